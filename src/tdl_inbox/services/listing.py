"""Read side: assignments, submissions and rejected messages as plain rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import Attachment, Message, Rejection, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.verdicts import refresh_verdicts
from tdl_inbox.services.versions import Policy, ranked


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
    version: int
    counts: bool
    student_id: int | None
    link_flag: str | None
    name_in_subject: str


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


def attachment_rows(
    store: BlobStore, attachments: Iterable[Attachment]
) -> tuple[AttachmentRow, ...]:
    return tuple(
        AttachmentRow(a.filename, a.size, a.sha256, str(store.path_for(a.sha256).resolve()))
        for a in attachments
    )


def submission_rows(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None = None,
    policy: Policy = "latest_on_time",
) -> list[SubmissionRow]:
    refresh_verdicts(session, assignments)
    versions = ranked(policy, assignment)
    query = (
        select(Submission, versions.c.version, versions.c.rank, Student.name)
        .join(versions, versions.c.id == Submission.id)
        .outerjoin(Student, Student.id == Submission.student_id)
        .options(selectinload(Submission.message).selectinload(Message.attachments))
        .order_by(Submission.arrived_at, Submission.id)
    )
    rows = []
    for sub, version, rank, roster_name in session.execute(query):
        message = sub.message
        rows.append(
            SubmissionRow(
                id=sub.id,
                assignment=sub.assignment,
                student=roster_name or sub.student,
                sender=message.sender,
                arrived_at=sub.arrived_at,
                sent_at=message.sent_at,
                deadline=sub.deadline,
                late=sub.late,
                late_by_seconds=sub.late_by_seconds,
                delivery_delay_suspected=sub.delivery_delay_suspected,
                message_id=message.message_id,
                attachments=attachment_rows(store, message.attachments),
                version=version,
                counts=rank == 1,
                student_id=sub.student_id,
                link_flag=sub.link_flag,
                name_in_subject=sub.student,
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
