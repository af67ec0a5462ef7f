"""Keep stored verdicts in step with the configured deadlines.

Each submission stores the deadline its verdict was computed against. When the admin moves a
deadline in the config, the rows of that assignment are re-judged from their stored arrival
times; nothing is re-imported. Unchanged assignments cost one indexed query each.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Message, Submission
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.lateness import judge


def refresh_verdicts(session: Session, assignments: Mapping[str, Assignment]) -> int:
    """Re-judge submissions whose stored deadline differs from the config; returns the count."""
    changed = 0
    for key, assignment in assignments.items():
        stale = session.execute(
            select(Submission, Message.sent_at)
            .join(Message, Submission.message_pk == Message.id)
            .where(Submission.assignment == key, Submission.deadline != assignment.deadline)
        )
        for submission, sent_at in stale:
            verdict = judge(submission.arrived_at, assignment.deadline, sent_at)
            submission.deadline = assignment.deadline
            submission.late = verdict.late
            submission.late_by_seconds = verdict.late_by_seconds
            submission.delivery_delay_suspected = verdict.delivery_delay_suspected
            changed += 1
    return changed
