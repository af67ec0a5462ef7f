"""Looking at data: ``parse-subject``, ``assignments``, ``submissions``, ``rejected``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import assignment_option
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import message_ref, submission_ref, with_ref
from tdl_inbox.errors import ConfigError, TdlInboxError
from tdl_inbox.services.reporting.formatting import iso, short_time, to_jsonable, verdict_text

if TYPE_CHECKING:
    from tdl_inbox.services.grading.extensions import ExtensionRow


@click.command("parse-subject")
@click.argument("subject")
@format_options
@pass_state
def parse_subject_cmd(
    state: CliState, subject: str, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Show how a subject line is read (checked against the config's assignments if found)."""
    # Reads the config only: no database, so it starts fast and works before `db upgrade`.
    from tdl_inbox.services.intake.subject_check import read_subject

    try:
        settings = state.settings() if state.config_path.exists() else None
    except ConfigError:
        settings = None
    configured = None
    if settings is not None:
        configured = ({a.key: a for a in settings.assignments()}, settings.kind_aliases())
    result = read_subject(subject, configured)
    if chosen_format(fmt, as_json) == "json":
        emit_json(result, output)
    else:
        rows = [[key, str(value)] for key, value in result.items()]
        emit_table("Subject", ["field", "value"], rows, output)
    if not result["ok"]:
        raise click.exceptions.Exit(1)


def _extensions_by_assignment(state: CliState) -> dict[str, list[ExtensionRow]]:
    """Granted extensions, when the database is there to ask (the listing works without it)."""
    from tdl_inbox.app import database_exists
    from tdl_inbox.services.grading.extensions import extensions_by_assignment

    if not database_exists(state.settings()):
        return {}  # listing assignments must not create a database as a side effect
    try:
        app = state.app()
        with app.sessions.begin() as session:
            return extensions_by_assignment(session)
    except TdlInboxError:
        return {}


@click.command()
@format_options
@pass_state
def assignments(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """List configured assignments, their deadlines, overrides and extensions."""
    from tdl_inbox.services.grading.listing import assignment_rows

    settings = state.settings()
    zone = settings.course.zone
    rows = assignment_rows({a.key: a for a in settings.assignments()})
    granted = _extensions_by_assignment(state)
    if chosen_format(fmt, as_json) == "json":
        data = to_jsonable(rows, zone)
        for item in data:
            item["extensions"] = [
                {"student": e.student, "until": iso(e.until, zone), "reason": e.reason}
                for e in granted.get(item["assignment"], [])
            ]
        emit_json(data, output)
        return
    table = [
        [
            r.assignment,
            r.published,
            short_time(r.deadline, zone) + (" (moved)" if r.deadline_overridden else ""),
            f"{r.max_points:g}",
            ", ".join(
                f"{e.student} until {short_time(e.until, zone)}"
                for e in granted.get(r.assignment, [])
            ),
        ]
        for r in rows
    ]
    emit_table(
        f"Assignments — {settings.course.name}",
        ["assignment", "published", "deadline", "max points", "extensions"],
        table,
        output,
    )


@click.command()
@assignment_option()
@format_options
@pass_state
def submissions(
    state: CliState, assignment: str | None, fmt: str, as_json: bool, output: Path | None
) -> None:
    """List every recorded submission with its verdict."""
    from tdl_inbox.services.grading.listing import submission_rows

    app = state.app_for_assignment(assignment)
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        rows = submission_rows(
            session,
            app.store,
            app.ctx.assignments,
            assignment,
            policy=app.settings.grading.counting,
        )
    if chosen_format(fmt, as_json) == "json":
        emit_json([with_ref(to_jsonable(r, zone), submission_ref(r.id)) for r in rows], output)
        return
    table = [
        [
            submission_ref(r.id),
            r.assignment,
            r.student,
            r.sender or "",
            short_time(r.arrived_at, zone),
            verdict_text(r.late, r.late_by_seconds, r.delivery_delay_suspected),
            ", ".join(a.filename for a in r.attachments),
        ]
        for r in rows
    ]
    emit_table(
        "Submissions",
        ["id", "assignment", "student", "sender", "arrived", "verdict", "files"],
        table,
        output,
    )


@click.command()
@format_options
@pass_state
def rejected(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """List messages that are not submissions, with the reason."""
    from tdl_inbox.services.grading.listing import rejected_rows

    app = state.app()
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        rows = rejected_rows(session)
    if chosen_format(fmt, as_json) == "json":
        emit_json([with_ref(to_jsonable(r, zone), message_ref(r.id)) for r in rows], output)
        return
    table = [
        [
            message_ref(r.id),
            r.subject or "",
            r.sender or "",
            short_time(r.arrived_at, zone),
            r.reason,
        ]
        for r in rows
    ]
    emit_table("Rejected messages", ["id", "subject", "sender", "arrived", "reason"], table, output)


COMMANDS = [parse_subject_cmd, assignments, submissions, rejected]
