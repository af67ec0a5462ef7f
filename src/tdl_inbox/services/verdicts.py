"""Keep stored verdicts in step with the configured deadlines and granted extensions.

Each submission stores the deadline its verdict was computed against: the assignment's (from
the config) or the student's extension, whichever is later. When either changes, the affected
rows are re-judged from their stored arrival times; nothing is re-imported. When nothing
changed this costs one indexed query per assignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, case, literal, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Extension, Message, Submission
from tdl_inbox.adapters.db.types import UtcDateTime
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.lateness import judge


def effective_deadline(session: Session, assignment: Assignment, owner: str) -> datetime:
    until = session.scalar(
        select(Extension.until).where(
            Extension.owner == owner, Extension.assignment == assignment.key
        )
    )
    return max(assignment.deadline, until) if until is not None else assignment.deadline


def refresh_verdicts(session: Session, assignments: Mapping[str, Assignment]) -> int:
    """Re-judge submissions whose stored deadline is no longer the one that applies."""
    changed = 0
    for key, assignment in assignments.items():
        base = literal(assignment.deadline, UtcDateTime())
        applies = case(
            (and_(Extension.until.is_not(None), Extension.until > base), Extension.until),
            else_=base,
        )
        stale = session.execute(
            select(Submission, Message.sent_at, applies)
            .join(Message, Submission.message_pk == Message.id)
            .outerjoin(
                Extension,
                and_(Extension.owner == Submission.owner, Extension.assignment == key),
            )
            .where(Submission.assignment == key, Submission.deadline != applies)
        ).all()
        for submission, sent_at, deadline in stale:
            verdict = judge(submission.arrived_at, deadline, sent_at)
            submission.deadline = deadline
            submission.late = verdict.late
            submission.late_by_seconds = verdict.late_by_seconds
            submission.delivery_delay_suspected = verdict.delivery_delay_suspected
            changed += 1
    return changed
