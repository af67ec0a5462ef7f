"""Deadline extensions: ``extend``, ``extensions``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import actor_option, assignment_key, course_time
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.services.grading.extensions import extension_rows, grant, revoke
from tdl_inbox.services.reporting.formatting import short_time, to_jsonable


def _local(value: str, state: CliState) -> datetime:
    return course_time(value, state.settings().course.zone, "'--until'")


@click.command("extend")
@click.argument("student")
@click.argument("assignment", callback=assignment_key)
@click.option("--until", "until_text", help="New deadline, course time: 2019-03-20T23:59.")
@click.option("--reason", help="Why (kept for disputes).")
@click.option("--revoke", "undo", is_flag=True, help="Remove the extension instead.")
@actor_option
@pass_state
def extend(
    state: CliState,
    student: str,
    assignment: str,
    until_text: str | None,
    reason: str | None,
    undo: bool,
    actor: str,
) -> None:
    """Give STUDENT a later deadline for ASSIGNMENT; verdicts are recomputed at once."""
    if not undo and until_text is None:
        raise click.UsageError("--until is required (or --revoke to remove an extension)")
    until = None if until_text is None else _local(until_text, state)
    app = state.app()
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        if undo:
            removed = revoke(
                session,
                app.ctx.assignments,
                student,
                assignment,
                actor=actor,
                now=utc_now(),
                reason=reason,
            )
            click.echo("extension removed" if removed else "there was no such extension")
            return
        assert until is not None
        row = grant(
            session, app.ctx.assignments, student, assignment, until, reason, utc_now(), actor=actor
        )
    click.echo(f"{row.student}: {row.assignment} due {short_time(row.until, zone)}")


@click.command("extensions")
@format_options
@pass_state
def extensions(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """List granted extensions."""
    app = state.app()
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        rows = extension_rows(session)
    if chosen_format(fmt, as_json) == "json":
        emit_json(to_jsonable(rows, zone), output)
        return
    table = [[r.student, r.assignment, short_time(r.until, zone), r.reason or ""] for r in rows]
    emit_table("Extensions", ["student", "assignment", "until", "reason"], table, output)


COMMANDS = [extend, extensions]
