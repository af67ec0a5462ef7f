"""Which version of a student's assignment counts.

Versions are grouped by (assignment, owner). The counting one is, in order: the version the
admin chose; else the latest on-time version (policy ``latest_on_time``) or simply the latest
(policy ``latest``). A late resubmission therefore never replaces an on-time one by itself.
Computed in SQL with window functions, so it follows deadline changes without bookkeeping.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import UnaryExpression

from tdl_inbox.adapters.db.models import Grade, Submission

Policy = Literal["latest_on_time", "latest"]


def ranked(policy: Policy, assignment: str | None = None) -> Subquery:
    """Columns: id, rank (1 = counts), version (1 = first sent)."""
    group = (Submission.assignment, Submission.owner)
    order: list[UnaryExpression[Any]] = [Submission.chosen.desc()]
    if policy == "latest_on_time":
        order.append(Submission.late.asc())
    order += [Submission.arrived_at.desc(), Submission.id.desc()]
    query: Select[tuple[int, int, int]] = select(
        Submission.id,
        func.row_number().over(partition_by=group, order_by=order).label("rank"),
        func.row_number()
        .over(partition_by=group, order_by=(Submission.arrived_at, Submission.id))
        .label("version"),
    )
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    return query.subquery("ranked")


def current_grades() -> Subquery:
    """The newest grade row of each graded submission."""
    latest = (
        select(Grade.submission_id, func.max(Grade.id).label("grade_id"))
        .group_by(Grade.submission_id)
        .subquery("latest_grade")
    )
    return select(Grade).join(latest, Grade.id == latest.c.grade_id).subquery("current_grade")
