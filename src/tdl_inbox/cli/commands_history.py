"""The audit trail: ``history``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import course_time, optional_submission_argument
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, submission_ref

if TYPE_CHECKING:
    from tdl_inbox.services.audit import Event

HISTORY_COLUMNS = ["id", "when", "actor", "action", "submission", "details"]


def _details_text(details: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in details.items() if value is not None)


def event_rows(events: Sequence[Event], zone: ZoneInfo) -> list[list[str]]:
    from tdl_inbox.services.reporting.formatting import short_time

    return [
        [
            str(e.id),
            short_time(e.at, zone),
            e.actor,
            e.action,
            "" if e.submission_id is None else submission_ref(e.submission_id),
            _details_text(e.details),
        ]
        for e in events
    ]


@click.command("history")
@optional_submission_argument
@click.option("--since", "since_text", help="From this date or date-time (course time).")
@click.option("--actor", help="Only what this person did.")
@format_options
@pass_state
def history(
    state: CliState,
    ref: Ref | None,
    since_text: str | None,
    actor: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Who decided what and when: submission ID's history, or the course's (--since DATE)."""
    from tdl_inbox.services import audit

    zone = state.settings().course.zone
    since = None if since_text is None else course_time(since_text, zone, "'--since'")
    app = state.app()
    with app.sessions.begin() as session:
        if ref is None:
            found = audit.events(session, since=since, actor=actor)
        else:
            found = audit.submission_events(session, ref, since=since, actor=actor)
    if chosen_format(fmt, as_json) == "json":
        emit_json([audit.event_json(e, zone) for e in found], output)
        return
    title = f"History of {ref}" if ref is not None else "History"
    emit_table(f"{title}: {len(found)} events", HISTORY_COLUMNS, event_rows(found, zone), output)


COMMANDS = [history]
