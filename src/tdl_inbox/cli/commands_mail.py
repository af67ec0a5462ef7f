"""Reading the mailbox: ``poll`` (one cycle) and ``run`` (the daemon)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from tdl_inbox.adapters.lock import daemon_lock
from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, format_options, write_text
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.daemon import Daemon
from tdl_inbox.services.intake.ingest import poll_once
from tdl_inbox.services.operations.status import poll_succeeded


@click.command()
@format_options
@pass_state
def poll(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """Run one poll cycle and print what it recorded."""
    app = state.app()
    with daemon_lock(app.engine):
        report = poll_once(app.open_mailbox, app.sessions, app.store, app.ctx, utc_now)
        with app.sessions.begin() as session:
            poll_succeeded(session, app.settings, utc_now(), report.uidvalidity_changed)
        sent = app.flush_outbox()
    summary = {
        "new_submissions": report.new_submissions,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
        "already_recorded": report.already_recorded,
        "before_since": report.before_since,
        "uidvalidity_changed": report.uidvalidity_changed,
        "remapped": report.remapped,
        "receipts_sent": sent.sent,
        "receipts_waiting": sent.deferred,
    }
    if chosen_format(fmt, as_json) == "json":
        emit_json(summary, output)
        return
    lines = [
        f"new submissions: {report.new_submissions}",
        f"rejected:        {report.rejected}",
        f"duplicates:      {report.duplicates}",
    ]
    if report.before_since:
        lines.append(f"ignored (arrived before mailbox.since): {report.before_since}")
    if sent.sent or sent.deferred or sent.failed:
        lines.append(f"mail sent: {sent.sent}, waiting: {sent.deferred}, failed: {sent.failed}")
    if report.uidvalidity_changed:
        lines.append(f"folder UIDVALIDITY changed: {report.remapped} recorded messages re-matched")
    write_text("\n".join(lines) + "\n", output)


@click.command()
@pass_state
def run(state: CliState) -> None:
    """Poll the mailbox every mailbox.poll_interval_seconds until stopped."""
    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger().setLevel(logging.INFO)
    Daemon(state.app()).run()


COMMANDS = [poll, run]
