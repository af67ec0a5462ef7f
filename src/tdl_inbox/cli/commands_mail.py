"""Reading the mailbox: ``poll`` (one cycle) and ``run`` (the daemon)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from tdl_inbox.cli.output import chosen_format, emit_json, format_options, write_text
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.daemon import Daemon
from tdl_inbox.services.operations.polling import poll_alone


@click.command()
@format_options
@pass_state
def poll(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """Run one poll cycle and print what it recorded."""
    report, sent = poll_alone(state.app().poll_cycle())
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
