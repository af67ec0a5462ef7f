"""``status``: is the daemon alive and keeping up?"""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.services.operations.status import daemon_status
from tdl_inbox.services.reporting.formatting import short_time, to_jsonable


@click.command("status")
@format_options
@pass_state
def status(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """Last successful poll, last new message, today's count, outbox backlog, daemon pid."""
    app = state.app()
    zone = app.settings.course.zone
    info = daemon_status(app.engine, app.sessions, zone, utc_now())
    data = to_jsonable(info, zone)
    if chosen_format(fmt, as_json) == "json":
        emit_json(data, output)
        return
    rows = [
        [
            "daemon",
            f"running (pid {info.daemon_pid})"
            if info.daemon_pid
            else ("running" if info.daemon_running else "not running"),
        ],
        ["last successful poll", short_time(info.last_successful_poll, zone) or "never"],
        ["failing since", short_time(info.failing_since, zone)],
        ["last error", info.last_error or ""],
        ["last new message", short_time(info.last_new_message, zone) or "none yet"],
        ["messages recorded today", str(info.messages_recorded_today)],
        ["UIDVALIDITY changes seen", str(info.uidvalidity_changes)],
        ["outbox waiting / failed", f"{info.outbox_pending} / {info.outbox_failed}"],
        ["mode", "idle (new mail pushed)" if info.mode == "idle" else "polling"],
        ["IDLE last reported mail", short_time(info.idle_last_mail, zone) or "never"],
        [
            "arrival to receipt (latest)",
            ", ".join(f"{d:g} s" for d in info.receipt_delays_seconds) or "no receipts yet",
        ],
        [
            "last ping",
            f"{short_time(info.last_ping_at, zone)} {info.last_ping_result}"
            if info.last_ping_at
            else "never",
        ],
    ]
    emit_table("tdl-inbox status", ["", ""], rows, output)


COMMANDS = [status]
