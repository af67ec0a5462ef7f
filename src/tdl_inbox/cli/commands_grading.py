"""Grading: ``queue``, ``next``, ``claim``, ``release``, ``show``, ``export``, ``grade``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from tdl_inbox.app import App, utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.reporting.formatting import human_duration, short_time, to_jsonable

grader_option = click.option(
    "--grader",
    "-g",
    required=True,
    envvar="TDL_INBOX_GRADER",
    help="Your name ($TDL_INBOX_GRADER).",
)
assignment_option = click.option("--assignment", "-a", help="Only this assignment, e.g. theory-2.")


def _ttl(app: App) -> timedelta:
    return timedelta(minutes=app.settings.grading.claim_minutes)


def _item_rows(items: list[work.QueueItem], app: App) -> list[list[str]]:
    zone = app.settings.course.zone
    return [
        [
            str(i.id),
            i.assignment,
            i.student,
            short_time(i.arrived_at, zone),
            "LATE" if i.late else "on time",
            i.status
            + (f" by {i.claimed_by}" if i.claimed_by else "")
            + (f": {i.flag}" if i.flag else ""),
            str(len(i.attachments)),
        ]
        for i in items
    ]


QUEUE_COLUMNS = ["id", "assignment", "student", "arrived", "verdict", "status", "files"]


@click.command("queue")
@assignment_option
@click.option("--all", "include_late", is_flag=True, help="Include late versions.")
@format_options
@pass_state
def queue_cmd(
    state: CliState,
    assignment: str | None,
    include_late: bool,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Counting versions that still need a grade, oldest first (late ones only with --all)."""
    app = state.app_for_assignment(assignment)
    with app.sessions.begin() as session:
        items = work.queue(
            session, app.store, app.settings.grading.counting, utc_now(), assignment, include_late
        )
    if chosen_format(fmt, as_json) == "json":
        emit_json(to_jsonable(items, app.settings.course.zone), output)
    else:
        emit_table(f"Queue: {len(items)} to grade", QUEUE_COLUMNS, _item_rows(items, app), output)


@click.command("next")
@grader_option
@assignment_option
@format_options
@pass_state
def next_cmd(
    state: CliState,
    grader: str,
    assignment: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Claim the oldest unclaimed submission for GRADER and show it."""
    app = state.app_for_assignment(assignment)
    with app.sessions.begin() as session:
        item = work.claim_next(
            session,
            app.store,
            app.settings.grading.counting,
            grader,
            utc_now(),
            _ttl(app),
            assignment,
        )
    if chosen_format(fmt, as_json) == "json":
        if item is not None:
            emit_json(to_jsonable(item, app.settings.course.zone), output)
        return
    if item is None:
        click.echo("nothing left to grade")
        return
    emit_table(f"Claimed for {grader}", QUEUE_COLUMNS, _item_rows([item], app), output)
    for attachment in item.attachments:
        click.echo(f"  {attachment.filename}: {attachment.path}")


@click.command("claim")
@click.argument("submission_id", type=int)
@grader_option
@pass_state
def claim_cmd(state: CliState, submission_id: int, grader: str) -> None:
    """Claim submission ID for GRADER."""
    app = state.app()
    with app.sessions.begin() as session:
        work.claim(session, submission_id, grader, utc_now(), _ttl(app))
    click.echo(f"submission {submission_id} claimed by {grader}")


@click.command("release")
@click.argument("submission_id", type=int)
@pass_state
def release_cmd(state: CliState, submission_id: int) -> None:
    """Return submission ID to the queue."""
    app = state.app()
    with app.sessions.begin() as session:
        released = work.release(session, submission_id)
    click.echo(f"submission {submission_id} " + ("released" if released else "was not claimed"))


@click.command("show")
@click.argument("submission_id", type=int)
@format_options
@pass_state
def show_cmd(
    state: CliState, submission_id: int, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Everything about one submission: student, times, verdict, files (each with a path
    ending in its type's extension), the links and text of the mail, versions, grades."""
    from tdl_inbox.services.grading.details import submission_details

    app = state.app()
    with app.sessions.begin() as session:
        details = submission_details(
            session, app.store, app.ctx.assignments, app.settings.grading.counting, submission_id
        )
    zone = app.settings.course.zone
    if chosen_format(fmt, as_json) == "json":
        emit_json(to_jsonable(details, zone), output)
        return
    verdict = "LATE " + human_duration(details.late_by_seconds) if details.late else "on time"
    summary = [
        ["assignment", details.assignment],
        [
            "student",
            details.student + (f" (roster id {details.student_id})" if details.student_id else ""),
        ],
        ["name in subject", details.name_in_subject],
        ["note", details.note or ""],
        ["flag", details.link_flag or ""],
        ["sender", details.sender or ""],
        ["subject", details.subject or ""],
        ["arrived (INTERNALDATE)", short_time(details.arrived_at, zone)],
        ["Date: header", short_time(details.sent_at, zone)],
        ["deadline", short_time(details.deadline, zone)],
        [
            "verdict",
            verdict + (" (Date: before deadline)" if details.delivery_delay_suspected else ""),
        ],
        ["counts", "yes" if details.counts else "no (another version counts)"],
        ["raw message", details.raw_message_path],
        *[
            [f"file {a.filename}", f"{a.open_path or a.path} ({a.size} bytes)"]
            for a in details.attachments
        ],
        *[["link", url] for url in details.links],
        [
            "text",
            "(the raw message cannot be read)"
            if details.body_text is None
            else details.body_text or "(none)",
        ],
    ]
    emit_table(f"Submission {submission_id}", ["field", "value"], summary, output)
    versions = [
        [
            str(v.id),
            short_time(v.arrived_at, zone),
            "LATE" if v.late else "on time",
            "yes" if v.counts else "",
            "" if v.points is None else f"{v.points:g}",
        ]
        for v in details.versions
    ]
    emit_table(
        "Versions", ["id", "arrived", "verdict", "counts", "points"], versions, output, append=True
    )
    if details.grades:
        grades = [
            [
                short_time(g.graded_at, zone),
                g.grader,
                f"{g.points:g}",
                f"{g.extra:g}",
                g.comment or "",
            ]
            for g in details.grades
        ]
        emit_table(
            "Grade history",
            ["when", "grader", "points", "extra", "comment"],
            grades,
            output,
            append=True,
        )


@click.command("export")
@click.option("--assignment", "-a", required=True, help="The assignment to export, e.g. theory-2.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_state
def export_cmd(state: CliState, assignment: str, directory: Path) -> None:
    """Copy the counting versions' files into DIRECTORY/s<id> - <student>/, listed in
    DIRECTORY/manifest.csv."""
    from tdl_inbox.services.grading.export import MANIFEST, export_assignment

    app = state.app_for_assignment(assignment)
    with app.sessions.begin() as session:
        done = export_assignment(
            session,
            app.store,
            app.settings.grading.counting,
            assignment,
            directory,
            app.settings.course.zone,
        )
    files = sum(len(e.files) for e in done)
    click.echo(
        f"exported {files} files of {len(done)} students to {directory}"
        f" (list: {directory / MANIFEST})"
    )


@click.command("grade")
@click.argument("submission_id", type=int)
@click.option("--points", "-p", type=float, required=True, help="Points, 0..max_points.")
@click.option("--extra", type=float, default=0.0, show_default=True, help="Extra points.")
@click.option("--comment", "-m", help="A note for the record.")
@grader_option
@pass_state
def grade_cmd(
    state: CliState,
    submission_id: int,
    points: float,
    extra: float,
    comment: str | None,
    grader: str,
) -> None:
    """Record a grade; a regrade keeps the history."""
    from tdl_inbox.services.grading.grades import record_grade

    app = state.app()
    with app.sessions.begin() as session:
        change = record_grade(
            session,
            app.ctx.assignments,
            app.settings.grading.counting,
            submission_id,
            points,
            extra,
            comment,
            grader,
            utc_now(),
        )
        previous = change.previous
    line = f"submission {submission_id}: {points:g} points"
    if extra:
        line += f" + {extra:g} extra"
    if previous is not None:
        line += f" (was {previous.points:g} + {previous.extra:g} extra by {previous.grader})"
    click.echo(line)


COMMANDS = [queue_cmd, next_cmd, claim_cmd, release_cmd, show_cmd, export_cmd, grade_cmd]
