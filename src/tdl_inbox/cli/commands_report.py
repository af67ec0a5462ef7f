"""The admin's reports: ``report late``, ``report missing``, ``report summary``.

Each takes ``--format table|csv|json|md|html`` (``--json``) and ``--output FILE``. This module
turns service rows into JSON objects and display cells; ``report_render`` lays cells out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from tdl_inbox.app import App, utc_now
from tdl_inbox.cli.output import (
    chosen_format,
    formats_option,
    human_duration,
    short_time,
    to_jsonable,
)
from tdl_inbox.cli.report_render import Report, Table, emit_report, render_html, render_markdown
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.arrivals import arrival_histogram
from tdl_inbox.services.received import Hop
from tdl_inbox.services.reports import (
    LateRow,
    MissingRow,
    SummaryRow,
    has_roster,
    late_report,
    missing_report,
    summary_report,
)

FORMATS = ("table", "csv", "json", "md", "html")
NO_ROSTER = "no roster: import one with `tdl-inbox roster import FILE.csv` to see who is missing"

assignment_option = click.option("--assignment", "-a", help="Only this assignment, e.g. theory-2.")


@click.group("report")
def report() -> None:
    """Late versions, missing students, and a per-assignment summary."""


def _check_assignment(app: App, assignment: str | None) -> None:
    if assignment is not None and assignment not in app.ctx.assignments:
        raise TdlInboxError(f"unknown assignment {assignment} (see `tdl-inbox assignments`)")


def _hop_line(hop: Hop, app: App) -> str:
    when = short_time(hop.at, app.settings.course.zone) or "no readable time"
    return f"{hop.from_ or '?'} → {hop.by or '?'} at {when}"


def _hops_text(row: LateRow, app: App) -> str:
    if row.received is None:
        return "raw message unreadable"
    return "\n".join(_hop_line(hop, app) for hop in row.received) or "no Received: headers"


def hop_json(hop: Hop, app: App) -> dict[str, Any]:
    at = to_jsonable(hop.at, app.settings.course.zone)
    return {"from": hop.from_, "by": hop.by, "at": at, "raw": hop.raw}


def late_json(rows: Sequence[LateRow], app: App) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = to_jsonable(row, app.settings.course.zone)
        item["late_by"] = human_duration(row.late_by_seconds)
        item["received"] = [hop_json(hop, app) for hop in row.received or ()]
        item["raw_message_readable"] = row.received is not None
        out.append(item)
    return out


def late_document(rows: Sequence[LateRow], app: App, assignment: str | None) -> Report:
    zone = app.settings.course.zone
    suspected = sum(row.delivery_delay_suspected for row in rows)
    table = Table(
        title=f"Late versions{f' of {assignment}' if assignment else ''}: {len(rows)}",
        columns=[
            "id",
            "assignment",
            "student",
            "sender",
            "arrived (INTERNALDATE)",
            "deadline",
            "late by",
            "late by, s",
            "Date: header",
            "delay suspected",
            "Received: hops (sender first)",
        ],
        rows=[
            [
                row.id,
                row.assignment,
                row.student,
                row.sender,
                short_time(row.arrived_at, zone),
                short_time(row.deadline, zone),
                human_duration(row.late_by_seconds),
                row.late_by_seconds,
                short_time(row.sent_at, zone),
                row.delivery_delay_suspected,
                _hops_text(row, app),
            ]
            for row in rows
        ],
        numeric=frozenset({0, 7}),
        wrap=frozenset({2, 10}),
        highlight=9,
        note=f"{suspected} with a Date: header before the deadline (delivery delay suspected)."
        " The deadline includes the student's extension, if any.",
        details=["\n".join(f"Received: {hop.raw}" for hop in row.received or ()) for row in rows],
    )
    return _document(app, "Late submissions", [table])


def missing_document(rows: Sequence[MissingRow], app: App, roster: bool) -> Report:
    zone = app.settings.course.zone
    table = Table(
        title=f"Missing: {len(rows)}",
        columns=[
            "assignment",
            "student",
            "roster id",
            "group",
            "email",
            "deadline",
            "late versions",
        ],
        rows=[
            [
                r.assignment,
                r.student,
                r.student_id,
                r.group,
                r.email,
                short_time(r.deadline, zone),
                r.late_versions,
            ]
            for r in rows
        ],
        numeric=frozenset({2, 6}),
        wrap=frozenset({1}),
        note=(
            "Roster students with no on-time version of an assignment whose deadline has passed."
            if roster
            else NO_ROSTER
        ),
    )
    return _document(app, "Missing submissions", [table])


SUMMARY_COLUMNS = ["on_time", "late", "late_versions", "missing", "graded", "pending"]


def summary_document(rows: Sequence[SummaryRow], app: App) -> Report:
    zone = app.settings.course.zone
    table = Table(
        title="Per assignment",
        columns=["assignment", "deadline", *[c.replace("_", " ") for c in SUMMARY_COLUMNS]],
        rows=[
            [r.assignment, short_time(r.deadline, zone), *[getattr(r, c) for c in SUMMARY_COLUMNS]]
            for r in rows
        ],
        numeric=frozenset(range(2, 2 + len(SUMMARY_COLUMNS))),
        note="on time: students with an on-time version; late: students with only late"
        " versions; missing: roster students without an on-time version after their deadline"
        " (blank: no roster); graded/pending: counting versions with/without a grade.",
    )
    return _document(app, "Summary", [table])


def _document(app: App, title: str, tables: list[Table]) -> Report:
    zone = app.settings.course.zone
    subtitle = f"{app.settings.course.name} · generated {short_time(utc_now(), zone)}"
    return Report(title=title, subtitle=subtitle, tables=tables, zone=zone)


def _with_chart(doc: Report, app: App, assignment: str | None) -> Report:
    with app.sessions.begin() as session:
        chart = arrival_histogram(session, app.ctx.assignments, assignment)
    return Report(doc.title, doc.subtitle, doc.tables, chart, doc.zone)


@report.command("late")
@assignment_option
@click.option("--email", is_flag=True, help="Also e-mail this report to the admin now.")
@formats_option(FORMATS)
@pass_state
def late_cmd(
    state: CliState,
    assignment: str | None,
    email: bool,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Every late version with its evidence: arrival, deadline, Date: header, Received: hops."""
    app = state.app()
    _check_assignment(app, assignment)
    with app.sessions.begin() as session:
        rows = late_report(session, app.store, app.ctx.assignments, assignment)
    doc = late_document(rows, app, assignment)
    if email:
        from tdl_inbox.services.notify import queue_report  # the outbox side, imported lazily

        full = _with_chart(doc, app, assignment)
        with app.sessions.begin() as session:
            subject = f"{app.settings.course.name}: {len(rows)} late submissions"
            queue_report(session, app, subject, render_markdown(full), render_html(full))
        app.flush_outbox()
        click.echo("report queued for e-mail", err=True)
    fmt = chosen_format(fmt, as_json)
    doc = _with_chart(doc, app, assignment) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: late_json(rows, app))


@report.command("missing")
@assignment_option
@formats_option(FORMATS)
@pass_state
def missing_cmd(
    state: CliState, assignment: str | None, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Roster students with no on-time version of an assignment whose deadline has passed."""
    app = state.app()
    _check_assignment(app, assignment)
    with app.sessions.begin() as session:
        roster = has_roster(session)
        rows = missing_report(session, app.ctx.assignments, utc_now(), assignment)
    if not roster:
        click.echo(f"tdl-inbox: {NO_ROSTER}", err=True)
    doc = missing_document(rows, app, roster)
    fmt = chosen_format(fmt, as_json)
    doc = _with_chart(doc, app, assignment) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: to_jsonable(rows, app.settings.course.zone))


@report.command("summary")
@formats_option(FORMATS)
@pass_state
def summary_cmd(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """Per assignment: students on time, late, missing; counting versions graded, pending."""
    app = state.app()
    with app.sessions.begin() as session:
        rows = summary_report(
            session, app.ctx.assignments, app.settings.grading.counting, utc_now()
        )
    doc = summary_document(rows, app)
    fmt = chosen_format(fmt, as_json)
    doc = _with_chart(doc, app, None) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: to_jsonable(rows, app.settings.course.zone))


COMMANDS = [report]
