"""Outgoing mail: ``outbox``, ``outbox send``, ``receipt CODE``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import message_ref, submission_ref, with_ref
from tdl_inbox.services.mail.outbox import pending_and_failed
from tdl_inbox.services.mail.receipt_lookup import find_receipt
from tdl_inbox.services.reporting.formatting import short_time, to_jsonable


@click.group(invoke_without_command=True)
@format_options
@pass_state
@click.pass_context
def outbox(
    ctx: click.Context, state: CliState, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Show pending and failed outgoing mail (subcommand: send)."""
    if ctx.invoked_subcommand is not None:
        return
    app = state.app()
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        rows = [
            {
                "id": item.id,
                "kind": item.kind,
                "to": item.to_addr,
                "subject": item.subject,
                "status": item.status,
                "attempts": item.attempts,
                "next_attempt_at": item.next_attempt_at,
                "last_error": item.last_error,
                "created_at": item.created_at,
                "receipt_code": item.receipt_code,
            }
            for item in pending_and_failed(session)
        ]
    if chosen_format(fmt, as_json) == "json":
        emit_json(to_jsonable(rows, zone), output)
        return
    table = [
        [
            str(r["id"]),
            str(r["kind"]),
            str(r["to"]),
            str(r["status"]),
            str(r["attempts"]),
            _when(r["next_attempt_at"], zone),
            str(r["last_error"] or ""),
        ]
        for r in rows
    ]
    emit_table(
        "Outbox: pending and failed",
        ["id", "kind", "to", "status", "attempts", "next try", "error"],
        table,
        output,
    )


def _when(value: object, zone: ZoneInfo) -> str:
    return short_time(value, zone) if isinstance(value, datetime) else ""


@outbox.command("send")
@pass_state
def outbox_send(state: CliState) -> None:
    """Send everything waiting now, ignoring the retry backoff."""
    report = state.app().flush_outbox(force=True)
    line = f"sent {report.sent}, failed {report.failed}, waiting {report.deferred}"
    click.echo(line + (f" ({report.error})" if report.error else ""))


@click.command("receipt")
@click.argument("code")
@format_options
@pass_state
def receipt(state: CliState, code: str, fmt: str, as_json: bool, output: Path | None) -> None:
    """Look up what a student's receipt code refers to."""
    app = state.app()
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        found = find_receipt(session, code)
    data = with_ref(
        to_jsonable(found, zone),
        message_ref(found.message_id),
        after="message_id",
        key="message_ref",
    )
    sub = found.submission_id
    data = with_ref(
        data,
        None if sub is None else submission_ref(sub),
        after="submission_id",
        key="submission_ref",
    )
    if chosen_format(fmt, as_json) == "json":
        emit_json(data, output)
        return
    rows = [[key, "" if value is None else str(value)] for key, value in data.items()]
    emit_table(f"Receipt {found.code}", ["field", "value"], rows, output)


COMMANDS = [outbox, receipt]
