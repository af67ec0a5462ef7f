"""Keep stored verdicts in step with the configured deadlines and granted extensions.

Each submission stores the deadline its verdict was computed against: the assignment's (from
the config) or the student's extension, whichever is later. When either changes, the affected
rows are re-judged from their stored arrival times; nothing is re-imported. When nothing
changed this costs one query: two index ranges per assignment (``ix_submission_assignment_
deadline``: rows whose stored deadline is not the assignment's), empty then, plus the rows of
students with an extension.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, case, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Extension, Message, Submission
from tdl_inbox.adapters.db.types import UtcDateTime
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.lateness import judge


def deadline_with_extension(assignment: Assignment, until: datetime | None) -> datetime:
    """The deadline that applies given the student's extension (which never shortens it);
    ``_stale`` below states the same rule in SQL."""
    return max(assignment.deadline, until) if until is not None else assignment.deadline


@functools.cache
def _stale(assignments: int) -> Select[Any]:
    """Rows whose stored deadline is not the one that applies, for ``assignments`` configured
    assignments (parameters ``key_N`` and ``deadline_N``); built once per count, so a call that
    finds nothing costs little more than the query itself."""
    keys = [bindparam(f"key_{n}", type_=String()) for n in range(assignments)]
    bases = [bindparam(f"deadline_{n}", type_=UtcDateTime()) for n in range(assignments)]
    # A verdict can only be stale where the stored deadline is not the assignment's, or where
    # the student has an extension of it (which may be later); only those rows are checked.
    off_base = select(Submission.id).where(
        or_(
            *(
                and_(Submission.assignment == key, bound)
                for key, base in zip(keys, bases, strict=True)
                for bound in (Submission.deadline < base, Submission.deadline > base)
            )
        )
    )
    extended = select(Submission.id).where(
        # a row-value IN, so that SQLite walks the (few) extensions, not the submissions
        tuple_(Submission.assignment, Submission.owner).in_(
            select(Extension.assignment, Extension.owner).where(Extension.assignment.in_(keys))
        )
    )
    base = case(*zip(keys, bases, strict=True), value=Submission.assignment)
    applies = case(
        (and_(Extension.until.is_not(None), Extension.until > base), Extension.until),
        else_=base,
    )
    return (
        select(Submission, Message.sent_at, applies)
        .join(Message, Submission.message_pk == Message.id)
        .outerjoin(
            Extension,
            and_(
                Extension.owner == Submission.owner,
                Extension.assignment == Submission.assignment,
            ),
        )
        .where(
            Submission.id.in_(union_all(off_base, extended)),
            Submission.deadline != applies,
        )
    )


def refresh_verdicts(session: Session, assignments: Mapping[str, Assignment]) -> int:
    """Re-judge submissions whose stored deadline is no longer the one that applies."""
    if not assignments:
        return 0
    params: dict[str, Any] = {}
    for n, (key, assignment) in enumerate(assignments.items()):
        params[f"key_{n}"] = key
        params[f"deadline_{n}"] = assignment.deadline
    stale = session.execute(_stale(len(assignments)), params).all()
    for submission, sent_at, deadline in stale:
        verdict = judge(submission.arrived_at, deadline, sent_at)
        submission.deadline = deadline
        submission.late = verdict.late
        submission.late_by_seconds = verdict.late_by_seconds
        submission.delivery_delay_suspected = verdict.delivery_delay_suspected
    return len(stale)
