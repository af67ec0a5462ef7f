"""Which version of a student's assignment counts.

Versions are grouped by (assignment, owner). The counting one is, in order: the version the
admin chose; else the latest on-time version (policy ``latest_on_time``) or simply the latest
(policy ``latest``). A late resubmission therefore never replaces an on-time one by itself.
Computed in SQL, so it follows deadline changes without bookkeeping.

Index ``ix_submission_counting`` holds each group's versions in counting order
(``preference``), so the counting version of a group is its first entry. Three ways to ask:
``ranked`` numbers every version with window functions (for a few groups, e.g. one student's
versions); ``counting_ids`` lists the counting version of every group (of an assignment), one
index seek per group; ``is_counting`` tests given rows (e.g. graded ones), one seek per row.
On SQLite the window functions cost several times the index walk, hence the other two for
queues, listings and the grade book. ``counting_versions`` adds what the queue's counts filter
on to ``counting_ids``, read from the same index entry.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Integer, Select, func, select, type_coerce
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import UnaryExpression

from tdl_inbox.adapters.db.models import Grade, Submission

Policy = Literal["latest_on_time", "latest"]


def preference(policy: Policy, versions: Any = Submission) -> list[UnaryExpression[Any]]:
    """ORDER BY terms within a group, the counting version first. ``versions`` is
    ``Submission`` or an alias of it."""
    order: list[UnaryExpression[Any]] = [versions.chosen.desc()]
    if policy == "latest_on_time":
        order.append(versions.late.asc())
    order += [versions.arrived_at.desc(), versions.id.desc()]
    return order


def ranked(policy: Policy, assignment: str | None = None, owner: str | None = None) -> Subquery:
    """Columns: id, rank (1 = counts), version (1 = first sent); of one assignment, and of one
    owner's versions of it, when given."""
    group = (Submission.assignment, Submission.owner)
    query: Select[tuple[int, int, int]] = select(
        Submission.id,
        func.row_number().over(partition_by=group, order_by=preference(policy)).label("rank"),
        func.row_number()
        .over(partition_by=group, order_by=(Submission.arrived_at, Submission.id))
        .label("version"),
    )
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    if owner is not None:
        query = query.where(Submission.owner == owner)
    return query.subquery("ranked")


def counting_in_group(policy: Policy, group: Any) -> ColumnElement[int]:
    """The id of the counting version of ``group``'s (assignment, owner), as a correlated
    scalar subquery: one seek in ``ix_submission_counting``."""
    best = aliased(Submission, name="best")
    return (
        select(best.id)
        .where(best.assignment == group.assignment, best.owner == group.owner)
        .order_by(*preference(policy, best))
        .limit(1)
        .scalar_subquery()
    )


def _distinct_on(query: Select[Any], *columns: Any) -> Select[Any]:
    """PostgreSQL's ``DISTINCT ON (columns)``: SQLAlchemy 2.1's extension, 2.0's ``distinct``."""
    try:
        from sqlalchemy.dialects.postgresql import distinct_on
    except ImportError:  # SQLAlchemy 2.0
        return query.distinct(*columns)
    return query.ext(distinct_on(*columns))


def counting_ids(policy: Policy, dialect: str, assignment: str | None = None) -> Select[Any]:
    """The id of every group's counting version (of ``assignment`` when given): the rows of
    ``ranked`` with rank 1, without numbering the others. For ``IN``.

    PostgreSQL: ``DISTINCT ON`` over the index. SQLite: one seek per group (its window
    functions cost several times the index walk they ride on).
    """
    if dialect == "postgresql":
        ids = _distinct_on(select(Submission.id), Submission.assignment, Submission.owner)
        ids = ids.order_by(Submission.assignment, Submission.owner, *preference(policy))
        if assignment is not None:
            ids = ids.where(Submission.assignment == assignment)
        return ids.correlate(None)
    groups = select(Submission.assignment, Submission.owner).distinct()
    if assignment is not None:
        groups = groups.where(Submission.assignment == assignment)
    group = groups.subquery("grp")
    return select(counting_in_group(policy, group.c).label("id")).select_from(group).correlate(None)


def counting_versions(policy: Policy, dialect: str) -> Subquery:
    """Every group's counting version: columns id, assignment, late, chosen.

    SQLite: one seek per group as in ``counting_ids``, the three numbers packed into one value
    (a scalar subquery returns one column, and the index entry holds all three), in a
    materialised CTE so that each group is sought once however often the outer query reads it.
    """
    if dialect == "postgresql":
        columns = cast(
            "Select[Any]",
            select(Submission.id, Submission.assignment, Submission.late, Submission.chosen),
        )
        rows = _distinct_on(columns, Submission.assignment, Submission.owner)
        rows = rows.order_by(Submission.assignment, Submission.owner, *preference(policy))
        return rows.subquery("counting_version")
    group = select(Submission.assignment, Submission.owner).distinct().subquery("grp")
    best = aliased(Submission, name="best")
    packed = (
        select(
            best.id * 4 + type_coerce(best.chosen, Integer) * 2 + type_coerce(best.late, Integer)
        )
        .where(best.assignment == group.c.assignment, best.owner == group.c.owner)
        .order_by(*preference(policy, best))
        .limit(1)
        .scalar_subquery()
    )
    coded = (
        select(group.c.assignment, packed.label("code"))
        .select_from(group)
        .cte("coded")
        .prefix_with("MATERIALIZED")
    )
    code = coded.c.code
    return select(
        code.op(">>")(2).label("id"),
        coded.c.assignment,
        (code.op("&")(1) != 0).label("late"),
        (code.op("&")(2) != 0).label("chosen"),
    ).subquery("counting_version")


def is_counting(policy: Policy, versions: Any = Submission) -> ColumnElement[bool]:
    """True for a row of ``versions`` (``Submission`` or an alias) that is its group's counting
    version, to filter a subset (e.g. graded versions) without ranking every version: one
    index seek per row."""
    first: ColumnElement[bool] = versions.id == counting_in_group(policy, versions)
    return first


def current_grades() -> Subquery:
    """The newest grade row of each graded submission: no newer one exists (one index probe
    per grade row, in ``ix_grade_submission_id_id``)."""
    newer = aliased(Grade, name="newer")
    superseded = (
        select(newer.id).where(newer.submission_id == Grade.submission_id, newer.id > Grade.id)
    ).exists()
    return select(Grade).where(~superseded).subquery("current_grade")
