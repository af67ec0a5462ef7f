"""Grading: ``queue``, ``next``, ``claim``, ``release``, ``show``, ``export``, ``grade``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from tdl_inbox.app import App, utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import (
    assignment_option,
    finite,
    submission_argument,
)
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, submission_ref, with_ref
from tdl_inbox.errors import AlreadyClaimed, TdlInboxError
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.refs import submission_id_of
from tdl_inbox.services.grading.work_list import item_json, work_list
from tdl_inbox.services.reporting.formatting import short_time, to_jsonable, verdict_text

GRADER_ENV = "TDL_INBOX_GRADER"
grader_option = click.option(
    "--grader",
    "-g",
    required=True,
    envvar=GRADER_ENV,
    help="Your name ($TDL_INBOX_GRADER).",
)
force_option = click.option(
    "--force", is_flag=True, help="Even if another grader holds a live claim on it."
)


def _ttl(app: App) -> timedelta:
    return app.settings.grading.claim_ttl


@contextmanager
def _course_time(zone: ZoneInfo) -> Iterator[None]:
    """A refusal naming a claim's end shows it in course time, like every other time."""
    try:
        yield
    except AlreadyClaimed as held:
        raise TdlInboxError(held.describe(short_time(held.until, zone))) from None


def _item_rows(items: list[work.QueueItem], app: App) -> list[list[str]]:
    zone = app.settings.course.zone
    return [
        [
            submission_ref(i.id),
            i.assignment,
            i.student,
            short_time(i.arrived_at, zone),
            verdict_text(i.late) + (", chosen" if i.late and i.chosen else ""),
            i.status
            + (f" by {i.claimed_by}" if i.claimed_by else "")
            + (f": {i.flag}" if i.flag else ""),
            str(len(i.attachments)),
        ]
        for i in items
    ]


QUEUE_COLUMNS = ["id", "assignment", "student", "arrived", "verdict", "status", "files"]


@click.command("queue")
@assignment_option()
@click.option("--all", "include_late", is_flag=True, help="Include late versions.")
@click.option("--mine", is_flag=True, help="Only the items you (--grader) hold a live claim on.")
@click.option(
    "--grader",
    "-g",
    envvar=GRADER_ENV,
    help=(
        "Your name, for --mine; also only the regrade requests routed to you ($TDL_INBOX_GRADER)."
    ),
)
@format_options
@pass_state
def queue_cmd(
    state: CliState,
    assignment: str | None,
    include_late: bool,
    mine: bool,
    grader: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Counting versions that still need a grade, oldest first (late ones only with --all,
    unless the admin chose them), then open regrade requests."""
    if mine and not grader:
        raise click.UsageError("--mine needs --grader NAME (or $TDL_INBOX_GRADER)")
    app = state.app_for_assignment(assignment)
    with app.sessions.begin() as session:
        items = work_list(
            session,
            app.store,
            app.settings.grading.counting,
            utc_now(),
            assignment,
            include_late,
            grader,
            mine,
        )
    zone = app.settings.course.zone
    if chosen_format(fmt, as_json) == "json":
        emit_json([item_json(item, zone) for item in items], output)
        return
    title = f"Claimed by {grader}: {len(items)}" if mine else f"Queue: {len(items)} to grade"
    emit_table(title, QUEUE_COLUMNS, _item_rows(items, app), output)


@click.command("next")
@grader_option
@assignment_option()
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
    """GRADER's oldest live claim, else the oldest unclaimed submission, claimed: show it."""
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
            emit_json(item_json(item, app.settings.course.zone), output)
        return
    if item is None:
        click.echo("nothing left to grade")
        return
    emit_table(f"Claimed for {grader}", QUEUE_COLUMNS, _item_rows([item], app), output)
    for attachment in item.attachments:
        click.echo(f"  {attachment.filename}: {attachment.path}")


@click.command("claim")
@submission_argument
@grader_option
@pass_state
def claim_cmd(state: CliState, ref: Ref, grader: str) -> None:
    """Claim submission ID (s18, or 18) for GRADER."""
    app = state.app()
    with _course_time(app.settings.course.zone), app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        work.claim(session, submission_id, grader, utc_now(), _ttl(app))
    click.echo(f"submission {submission_ref(submission_id)} claimed by {grader}")


@click.command("release")
@submission_argument
@grader_option
@force_option
@pass_state
def release_cmd(state: CliState, ref: Ref, grader: str, force: bool) -> None:
    """Return submission ID to the queue; another grader's live claim only with --force."""
    app = state.app()
    with _course_time(app.settings.course.zone), app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        released = work.release(session, submission_id, grader, utc_now(), force)
    line = f"submission {submission_ref(submission_id)} "
    if released is None:
        line += "was not claimed"
    elif released.forced:
        line += f"released (it was {released.holder}'s claim: forced)"
    else:
        line += "released"
    click.echo(line)


def _details_json(details: Any, zone: ZoneInfo) -> dict[str, Any]:
    data = with_ref(to_jsonable(details, zone), submission_ref(details.id))
    data["versions"] = [with_ref(v, submission_ref(v["id"])) for v in data["versions"]]
    return data


@click.command("show")
@submission_argument
@format_options
@pass_state
def show_cmd(state: CliState, ref: Ref, fmt: str, as_json: bool, output: Path | None) -> None:
    """Everything about one submission: student, times, verdict, files (each with a path
    ending in its type's extension), the links and text of the mail, versions, grades."""
    from tdl_inbox.cli.commands_history import HISTORY_COLUMNS, event_json, event_rows
    from tdl_inbox.services import audit
    from tdl_inbox.services.grading.details import submission_details
    from tdl_inbox.services.grading.regrades import regrade_rows

    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        details = submission_details(
            session, app.store, app.ctx.assignments, app.settings.grading.counting, submission_id
        )
        history = audit.events(session, submission_id=submission_id)
        requests = regrade_rows(session, submission_id=submission_id)
    zone = app.settings.course.zone
    if chosen_format(fmt, as_json) == "json":
        data = _details_json(details, zone)
        data["history"] = [event_json(e, zone) for e in history]
        data["regrade_requests"] = to_jsonable(requests, zone)
        emit_json(data, output)
        return
    verdict = verdict_text(details.late, details.late_by_seconds)
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
    emit_table(f"Submission {submission_ref(submission_id)}", ["field", "value"], summary, output)
    versions = [
        [
            submission_ref(v.id),
            short_time(v.arrived_at, zone),
            verdict_text(v.late),
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
                g.grader + (" (forced)" if g.forced else ""),
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
    if requests:
        emit_table(
            "Regrade requests",
            ["requested", "routed to", "state", "student's text", "answer"],
            [
                [
                    short_time(r.requested_at, zone),
                    r.routed_to or "",
                    r.state,
                    r.text,
                    r.resolution or "",
                ]
                for r in requests
            ],
            output,
            append=True,
        )
    if history:
        emit_table("History", HISTORY_COLUMNS, event_rows(history, zone), output, append=True)


@click.command("export")
@assignment_option(required=True, help="The assignment to export, e.g. theory-2.")
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
@submission_argument
@click.option(
    "--points", "-p", type=float, callback=finite, required=True, help="Points, 0..max_points."
)
@click.option(
    "--extra", type=float, callback=finite, default=0.0, show_default=True, help="Extra points."
)
@click.option("--comment", "-m", help="A note for the record.")
@grader_option
@force_option
@pass_state
def grade_cmd(
    state: CliState,
    ref: Ref,
    points: float,
    extra: float,
    comment: str | None,
    grader: str,
    force: bool,
) -> None:
    """Record a grade for submission ID (s18, or 18); a regrade keeps the history.
    Another grader's live claim on it needs --force, and the grade is recorded as forced."""
    from tdl_inbox.services.grading.grades import record_grade

    app = state.app()
    with _course_time(app.settings.course.zone), app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
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
            force,
        )
        previous, forced = change.previous, change.current.forced
    line = f"submission {submission_ref(submission_id)}: {points:g} points"
    if extra:
        line += f" + {extra:g} extra"
    if previous is not None:
        line += f" (was {previous.points:g} + {previous.extra:g} extra by {previous.grader})"
    if forced:
        line += " [forced over another grader's claim]"
    click.echo(line)


COMMANDS = [queue_cmd, next_cmd, claim_cmd, release_cmd, show_cmd, export_cmd, grade_cmd]
