"""Read side: assignments, submissions and rejected messages as plain rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import Message, Rejection, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.verdicts import refresh_verdicts


@dataclass(frozen=True)
class AssignmentRow:
    assignment: str
    kind: str
    number: int
    published: str
    deadline: datetime
    max_points: float
    deadline_overridden: bool


@dataclass(frozen=True)
class AttachmentRow:
    filename: str
    size: int
    sha256: str
    path: str


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    assignment: str
    student: str
    sender: str | None
    arrived_at: datetime
    sent_at: datetime | None
    deadline: datetime
    late: bool
    late_by_seconds: int
    delivery_delay_suspected: bool
    message_id: str | None
    attachments: tuple[AttachmentRow, ...]


@dataclass(frozen=True)
class RejectedRow:
    id: int
    subject: str | None
    sender: str | None
    arrived_at: datetime
    reason: str


def assignment_rows(assignments: Mapping[str, Assignment]) -> list[AssignmentRow]:
    ordered = sorted(assignments.values(), key=lambda a: (a.deadline, a.kind.value, a.number))
    return [
        AssignmentRow(
            assignment=a.key,
            kind=a.kind.value,
            number=a.number,
            published=a.published.isoformat(),
            deadline=a.deadline,
            max_points=a.max_points,
            deadline_overridden=a.overridden,
        )
        for a in ordered
    ]


def submission_rows(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None = None,
) -> list[SubmissionRow]:
    refresh_verdicts(session, assignments)
    query = (
        select(Submission)
        .options(selectinload(Submission.message).selectinload(Message.attachments))
        .order_by(Submission.arrived_at, Submission.id)
    )
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    rows = []
    for sub in session.scalars(query):
        message = sub.message
        rows.append(
            SubmissionRow(
                id=sub.id,
                assignment=sub.assignment,
                student=sub.student,
                sender=message.sender,
                arrived_at=sub.arrived_at,
                sent_at=message.sent_at,
                deadline=sub.deadline,
                late=sub.late,
                late_by_seconds=sub.late_by_seconds,
                delivery_delay_suspected=sub.delivery_delay_suspected,
                message_id=message.message_id,
                attachments=tuple(
                    AttachmentRow(
                        a.filename, a.size, a.sha256, str(store.path_for(a.sha256).resolve())
                    )
                    for a in message.attachments
                ),
            )
        )
    return rows


def rejected_rows(session: Session) -> list[RejectedRow]:
    query = (
        select(Message, Rejection.reason)
        .join(Rejection, Rejection.message_pk == Message.id)
        .order_by(Message.arrived_at, Message.id)
    )
    return [
        RejectedRow(m.id, m.subject, m.sender, m.arrived_at, reason)
        for m, reason in session.execute(query)
    ]
