"""The admin's reports as plain rows: late versions with their evidence, missing students, and a
per-assignment summary. Queries and arithmetic only; formatting is the CLI's. How arrivals fall
around each deadline (the HTML report's chart) is ``services.arrivals``.

Every report first brings stored verdicts in step with the config and extensions
(``refresh_verdicts``), so ``Submission.deadline`` is the deadline that applies to that student
and ``Submission.late`` is the verdict against it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

from sqlalchemy import RowMapping, case, distinct, exists, func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Extension, Grade, Message, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.lateness import cutoff
from tdl_inbox.services.grading.roster import STUDENT_OWNER, has_roster, owner_of_student
from tdl_inbox.services.grading.versions import Policy, counting_versions
from tdl_inbox.services.intake.verdicts import deadline_with_extension, refresh_verdicts
from tdl_inbox.services.reporting.received import Hop, hops_reader

_UNKNOWN = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LateRow:
    id: int
    assignment: str
    student: str
    """The roster name when linked, else the name as written in the subject."""
    student_id: int | None
    sender: str | None
    subject: str | None
    arrived_at: datetime
    """INTERNALDATE: when the course's mail server received it."""
    deadline: datetime
    """The deadline that applied, including the student's extension."""
    late_by_seconds: int
    sent_at: datetime | None
    """The sender's ``Date:`` header."""
    delivery_delay_suspected: bool
    raw_sha256: str
    received: tuple[Hop, ...] | None
    """The ``Received:`` hops, sender's side first; None when the raw message is unreadable."""


@dataclass(frozen=True)
class MissingRow:
    assignment: str
    student: str
    student_id: int
    group: str | None
    email: str | None
    deadline: datetime
    """The deadline that applies to this student (their extension, if later)."""
    late_versions: int
    """Late versions this student sent (none of which is on time)."""


@dataclass(frozen=True)
class SummaryRow:
    assignment: str
    deadline: datetime
    on_time: int
    """Students with at least one on-time version."""
    late: int
    """Students whose every version is late."""
    late_versions: int
    """Late versions (the rows ``report late`` lists)."""
    missing: int | None
    """Roster students without an on-time version once their deadline passed; None: no roster."""
    graded: int
    """Counting versions with a grade."""
    pending: int
    """Counting versions without a grade."""


def _order(assignments: Mapping[str, Assignment]) -> dict[str, tuple[datetime, str]]:
    """Sort keys: configured assignments by deadline, unknown ones after them."""
    return {key: (a.deadline, key) for key, a in assignments.items()}


def selected(assignments: Mapping[str, Assignment], only: str | None) -> list[Assignment]:
    """The configured assignments (or just ``only``), in deadline order."""
    chosen = [a for key, a in assignments.items() if only is None or key == only]
    return sorted(chosen, key=lambda a: (a.deadline, a.key))


def late_report(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None = None,
) -> list[LateRow]:
    """Every late version, by assignment (deadline order) then arrival, with its evidence."""
    return _with_evidence(store, _late_versions(session, assignments, assignment))


@dataclass(frozen=True)
class LatePage:
    rows: list[LateRow]
    total: int
    """Late versions in the whole report."""


def late_page(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None,
    start: int,
    size: int,
) -> LatePage:
    """Rows ``start`` to ``start + size`` of ``late_report``; only their messages are opened
    for the evidence (at tens of thousands of late versions, reading every one is most of the
    report's time)."""
    found = _late_versions(session, assignments, assignment)
    return LatePage(_with_evidence(store, found[start : start + size]), len(found))


def _late_versions(
    session: Session, assignments: Mapping[str, Assignment], assignment: str | None
) -> list[RowMapping]:
    """The late versions' rows in the report's order, without the evidence."""
    refresh_verdicts(session, assignments)
    query = (
        select(
            Submission.id.label("id"),
            Submission.assignment.label("assignment"),
            func.coalesce(Student.name, Submission.student).label("student"),
            Submission.student_id.label("student_id"),
            Message.sender.label("sender"),
            Message.subject.label("subject"),
            Submission.arrived_at.label("arrived_at"),
            Submission.deadline.label("deadline"),
            Submission.late_by_seconds.label("late_by_seconds"),
            Message.sent_at.label("sent_at"),
            Submission.delivery_delay_suspected.label("delivery_delay_suspected"),
            Message.raw_sha256.label("raw_sha256"),
        )
        .join(Message, Message.id == Submission.message_pk)
        .outerjoin(Student, Student.id == Submission.student_id)
        .where(Submission.late.is_(True))
        # By id: SQLite's walk of ``ix_submission_late`` gives it without sorting. ORDER BY
        # arrival would make it walk the arrival index over every submission instead, reading
        # rows from all over the table; the late rows alone are put in arrival order below.
        .order_by(Submission.id)
    )
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    session.flush()  # the refreshed verdicts, for the plain query below
    found = list(session.connection().execute(query).mappings())
    found.sort(key=itemgetter("arrived_at"))  # stable: versions that arrived together stay by id
    by_assignment: dict[str, list[RowMapping]] = {}
    for row in found:
        by_assignment.setdefault(row["assignment"], []).append(row)
    order = _order(assignments)
    keys = sorted(by_assignment, key=lambda key: order.get(key, (_UNKNOWN, key)))
    return [row for key in keys for row in by_assignment[key]]


def _with_evidence(store: BlobStore, rows: list[RowMapping]) -> list[LateRow]:
    hops = hops_reader(store)
    return [LateRow(**row, received=hops(row["raw_sha256"])) for row in rows]


def _due(assignment: Assignment, until: datetime | None, now: datetime) -> bool:
    """Whether a student with extension ``until`` (None: none) lacks an on-time version of
    ``assignment`` for good: their deadline has passed."""
    return now >= cutoff(deadline_with_extension(assignment, until))


def _missing(session: Session, assignments: list[Assignment], now: datetime) -> list[MissingRow]:
    versions = session.execute(
        select(
            Submission.student_id,
            Submission.assignment,
            func.sum(case((Submission.late.is_(False), 1), else_=0)),
            func.count(),
        )
        .where(
            Submission.student_id.is_not(None),
            Submission.assignment.in_([a.key for a in assignments]),
        )
        .group_by(Submission.student_id, Submission.assignment)
    )
    on_time: set[tuple[int, str]] = set()
    late_counts: dict[tuple[int, str], int] = {}
    for sid, key, in_time, total in versions:
        if in_time:
            on_time.add((sid, key))
        late_counts[sid, key] = total - int(in_time)
    extended = {
        (owner, key): until
        for owner, key, until in session.execute(
            select(Extension.owner, Extension.assignment, Extension.until)
        )
    }
    roster = select(Student.id, Student.name, Student.group, Student.email)
    people = session.execute(roster.order_by(Student.name, Student.id))
    rows = []
    # every (student, assignment) pair is visited: keys and owners are worked out once each
    keyed = [(a, a.key) for a in assignments]
    for sid, name, group, email in people:
        owner = owner_of_student(sid)
        for a, key in keyed:
            until = extended.get((owner, key))
            if (sid, key) in on_time or not _due(a, until, now):
                continue
            deadline = deadline_with_extension(a, until)
            late = late_counts.get((sid, key), 0)
            rows.append(MissingRow(key, name, sid, group, email, deadline, late))
    order = {a.key: n for n, a in enumerate(assignments)}
    return sorted(rows, key=lambda r: order[r.assignment])


def _missing_counts(
    session: Session, assignments: list[Assignment], now: datetime, on_time: Mapping[str, int]
) -> dict[str, int]:
    """How many rows ``_missing`` gives per assignment, without visiting every (student,
    assignment) pair: ``on_time`` is the number of roster students with an on-time version
    of each assignment. Only students with an extension are looked at one by one."""
    roster = session.scalar(select(func.count()).select_from(Student)) or 0
    students = {owner_of_student(sid): sid for sid in session.scalars(select(Student.id))}
    keys = {a.key for a in assignments}
    extended: dict[str, dict[int, datetime]] = defaultdict(dict)
    for owner, key, until in session.execute(
        select(Extension.owner, Extension.assignment, Extension.until)
    ):
        if owner in students and key in keys:
            extended[key][students[owner]] = until
    ids = {sid for per_student in extended.values() for sid in per_student}
    on_time_extended: set[tuple[int | None, str]] = set()
    if ids:
        on_time_extended = {
            (sid, key)
            for sid, key in session.execute(
                select(Submission.student_id, Submission.assignment)
                .where(Submission.student_id.in_(ids), Submission.late.is_(False))
                .distinct()
            )
        }
    counts = {}
    for a in assignments:
        exceptions = extended.get(a.key, {})
        count = 0
        if _due(a, None, now):
            ok = on_time.get(a.key, 0) - sum((sid, a.key) in on_time_extended for sid in exceptions)
            count = roster - len(exceptions) - ok
        count += sum(
            _due(a, until, now) and (sid, a.key) not in on_time_extended
            for sid, until in exceptions.items()
        )
        counts[a.key] = count
    return counts


def missing_report(
    session: Session,
    assignments: Mapping[str, Assignment],
    now: datetime,
    assignment: str | None = None,
) -> list[MissingRow]:
    """Roster students with no on-time version of an assignment whose deadline (theirs) passed.

    Empty without a roster (``has_roster`` tells the two cases apart). Submissions not linked
    to a roster student (flagged ones) count for nobody here.
    """
    refresh_verdicts(session, assignments)
    return _missing(session, selected(assignments, assignment), now)


def summary_report(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    now: datetime,
) -> list[SummaryRow]:
    """One row per configured assignment, in deadline order."""
    refresh_verdicts(session, assignments)
    on_time = Submission.late.is_(False)
    # a roster student's versions are keyed ``s:<id>`` (``owner_of_student``), so these counts
    # come from ``ix_submission_counting`` alone, without reading the table
    on_roster = Submission.owner.startswith(STUDENT_OWNER, autoescape=True)
    students = session.execute(
        select(
            Submission.assignment,
            func.count(distinct(case((on_time, Submission.owner)))),
            func.count(distinct(Submission.owner)),
            func.sum(case((on_time, 0), else_=1)),
            func.count(distinct(case((on_time & on_roster, Submission.owner)))),
        ).group_by(Submission.assignment)
    )
    counts, on_time_students = {}, {}
    for key, ok, everyone, late, roster_ok in students:
        counts[key] = (ok, everyone - ok, int(late or 0))
        on_time_students[key] = roster_ok
    # a counting version is graded when it has any grade row (its newest is the current one);
    # the counting versions by one index seek per group, not by numbering every version
    version = counting_versions(policy, session.get_bind().dialect.name)
    has_grade = exists().where(Grade.submission_id == version.c.id)
    counting = session.execute(
        select(version.c.assignment, func.count(), func.sum(case((has_grade, 1), else_=0)))
        .select_from(version)
        .group_by(version.c.assignment)
    )
    grading = {key: (int(graded or 0), total - int(graded or 0)) for key, total, graded in counting}
    chosen = selected(assignments, None)
    roster = has_roster(session)
    missing = _missing_counts(session, chosen, now, on_time_students) if roster else {}
    rows = []
    for a in chosen:
        ok, late, late_versions = counts.get(a.key, (0, 0, 0))
        graded, pending = grading.get(a.key, (0, 0))
        lacking = missing.get(a.key, 0) if roster else None
        rows.append(
            SummaryRow(a.key, a.deadline, ok, late, late_versions, lacking, graded, pending)
        )
    return rows
