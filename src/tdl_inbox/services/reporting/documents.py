"""What each report shows: service rows as JSON objects and as display cells, and the e-mail.

``render`` lays the cells out; the ``report`` commands and the daemon's scheduled
reports both start here, so the admin gets the same report on screen and by mail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.ids import submission_ref, with_ref
from tdl_inbox.services.grading.versions import Policy
from tdl_inbox.services.reporting.arrivals import arrival_histogram
from tdl_inbox.services.reporting.formatting import human_duration, short_time, to_jsonable
from tdl_inbox.services.reporting.received import Hop
from tdl_inbox.services.reporting.render import Report, Table, render_html, render_markdown
from tdl_inbox.services.reporting.reports import (
    LateRow,
    MissingRow,
    SummaryRow,
    late_report,
    summary_report,
)


@dataclass(frozen=True)
class ReportScope:
    """What composing a report reads and how it shows times; an entry point builds it."""

    sessions: sessionmaker[Session]
    store: BlobStore
    assignments: Mapping[str, Assignment]
    counting: Policy
    course_name: str
    zone: ZoneInfo
    now: datetime


NO_ROSTER = "no roster: import one with `tdl-inbox roster import FILE.csv` to see who is missing"


def hop_line(hop: Hop, scope: ReportScope) -> str:
    when = short_time(hop.at, scope.zone) or "no readable time"
    return f"{hop.from_ or '?'} → {hop.by or '?'} at {when}"


def _hops_text(row: LateRow, scope: ReportScope) -> str:
    if row.received is None:
        return "raw message unreadable"
    return "\n".join(hop_line(hop, scope) for hop in row.received) or "no Received: headers"


def hop_json(hop: Hop, scope: ReportScope) -> dict[str, Any]:
    at = to_jsonable(hop.at, scope.zone)
    return {"from": hop.from_, "by": hop.by, "at": at, "raw": hop.raw}


def late_json(rows: Sequence[LateRow], scope: ReportScope) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = with_ref(to_jsonable(row, scope.zone), submission_ref(row.id))
        item["late_by"] = human_duration(row.late_by_seconds)
        item["received"] = [hop_json(hop, scope) for hop in row.received or ()]
        item["raw_message_readable"] = row.received is not None
        out.append(item)
    return out


def late_document(
    rows: Sequence[LateRow],
    scope: ReportScope,
    assignment: str | None,
    total: int | None = None,
) -> Report:
    """The late report; ``total`` when ``rows`` are one page of it (``late_page``)."""
    zone = scope.zone
    suspected = sum(row.delivery_delay_suspected for row in rows)
    where = "" if total is None else " on this page"
    table = Table(
        title=f"Late versions{f' of {assignment}' if assignment else ''}: "
        f"{len(rows) if total is None else total}",
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
                submission_ref(row.id),
                row.assignment,
                row.student,
                row.sender,
                short_time(row.arrived_at, zone),
                short_time(row.deadline, zone),
                human_duration(row.late_by_seconds),
                row.late_by_seconds,
                short_time(row.sent_at, zone),
                row.delivery_delay_suspected,
                _hops_text(row, scope),
            ]
            for row in rows
        ],
        numeric=frozenset({7}),
        wrap=frozenset({2, 10}),
        highlight=9,
        note=f"{suspected}{where} with a Date: header before the deadline"
        " (delivery delay suspected)."
        " The deadline includes the student's extension, if any.",
        details=["\n".join(f"Received: {hop.raw}" for hop in row.received or ()) for row in rows],
    )
    return document(scope, "Late submissions", [table])


def missing_document(
    rows: Sequence[MissingRow], scope: ReportScope, roster: bool, total: int | None = None
) -> Report:
    """The missing report; ``total`` when ``rows`` are one page of it."""
    zone = scope.zone
    table = Table(
        title=f"Missing: {len(rows) if total is None else total}",
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
    return document(scope, "Missing submissions", [table])


SUMMARY_COLUMNS = ["on_time", "late", "late_versions", "missing", "graded", "pending"]


def summary_document(rows: Sequence[SummaryRow], scope: ReportScope) -> Report:
    zone = scope.zone
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
    return document(scope, "Summary", [table])


def document(scope: ReportScope, title: str, tables: list[Table]) -> Report:
    zone = scope.zone
    subtitle = f"{scope.course_name} · generated {short_time(scope.now, zone)}"
    return Report(title=title, subtitle=subtitle, tables=tables, zone=zone)


def with_chart(doc: Report, scope: ReportScope, assignment: str | None) -> Report:
    with scope.sessions.begin() as session:
        chart = arrival_histogram(session, scope.assignments, assignment)
    return Report(doc.title, doc.subtitle, doc.tables, doc.zone, chart)


def report_mail(scope: ReportScope, assignment: str | None = None) -> tuple[str, str, str]:
    """Subject, Markdown text and HTML of the admin's mail: the summary, then the late versions
    (of ``assignment``, or all), with the arrivals chart. For ``report late --email`` and the
    daemon's scheduled reports."""
    with scope.sessions.begin() as session:
        late = late_report(session, scope.store, scope.assignments, assignment)
        summary = summary_report(session, scope.assignments, scope.counting, scope.now)
    tables = [
        *summary_document(summary, scope).tables,
        *late_document(late, scope, assignment).tables,
    ]
    mail = with_chart(document(scope, "Late submissions and summary", tables), scope, assignment)
    plural = "" if len(late) == 1 else "s"
    subject = f"{scope.course_name}: {len(late)} late submission{plural}"
    return subject, render_markdown(mail), render_html(mail)
