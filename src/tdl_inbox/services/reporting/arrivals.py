"""How arrivals fall around each deadline: the data behind the HTML report's chart.

Shows how much comes in during the last hour and the last minute, and just after, without
reading a single row into Python: one aggregate query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Submission
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.intake.verdicts import refresh_verdicts
from tdl_inbox.services.reporting.reports import selected

BUCKETS = (
    "more than 24 h before",
    "24 h to 1 h before",
    "last hour",
    "last minute",
    "first minute late",
    "first hour late",
    "later",
)
"""Arrival buckets around a deadline. The deadline minute itself is the "last minute" (23:59
counts as on time); each bucket leaves out the narrower ones ("last hour" is the hour before the
last minute). The first three and the last three are measured from the first late instant."""
ON_TIME_BUCKETS = 4
"""The first four buckets are on time, the rest late."""


@dataclass(frozen=True)
class ArrivalBuckets:
    assignment: str
    deadline: datetime
    counts: tuple[int, ...]
    """Versions per bucket of ``BUCKETS``, each against the deadline that applied to it."""


def _seconds_to_deadline(session: Session) -> ColumnElement[int]:
    """Whole seconds from a version's arrival to its deadline, computed by the database."""
    deadline, arrived = Submission.deadline, Submission.arrived_at
    if session.get_bind().dialect.name == "postgresql":
        return func.round(func.extract("epoch", deadline - arrived)).cast(Integer)
    return func.round((func.julianday(deadline) - func.julianday(arrived)) * 86400).cast(Integer)


def arrival_histogram(
    session: Session, assignments: Mapping[str, Assignment], assignment: str | None = None
) -> list[ArrivalBuckets]:
    """How many versions arrived in each of ``BUCKETS`` around each configured deadline.

    One aggregate query: on-time versions by the time left before the deadline minute ended,
    late ones by their stored ``late_by_seconds``.
    """
    refresh_verdicts(session, assignments)
    sqlite = session.get_bind().dialect.name == "sqlite"
    per_version = select(
        Submission.assignment,
        Submission.late,
        Submission.late_by_seconds,
        (_seconds_to_deadline(session) + 60).label("left"),
    )
    if assignment is not None:
        per_version = per_version.where(Submission.assignment == assignment)
    if sqlite:
        # LIMIT -1 (no limit) keeps SQLite from merging this query into the outer one, which
        # would repeat the time arithmetic in every branch of the CASE (3 times the cost)
        per_version = per_version.limit(-1)
    version = per_version.subquery("version")
    late, left = version.c.late.is_(True), version.c.left
    bucket = case(
        (late & (version.c.late_by_seconds < 60), 4),
        (late & (version.c.late_by_seconds < 3600), 5),
        (late, 6),
        (left <= 60, 3),
        (left <= 3600, 2),
        (left <= 86400, 1),
        else_=0,
    ).label("bucket")
    query = select(version.c.assignment, bucket, func.count()).group_by(
        version.c.assignment, bucket
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
    for key, index, count in session.execute(query):
        counts[key][index] = count
    return [
        ArrivalBuckets(a.key, a.deadline, tuple(counts[a.key]))
        for a in selected(assignments, assignment)
    ]
