"""Read side: assignments, submissions and rejected messages as plain rows."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session

from tdl_inbox.adapters.db.models import Attachment, Message, Rejection, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.verdicts import refresh_verdicts
from tdl_inbox.services.versions import Policy, counting_ids


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


def blob_paths(store: BlobStore) -> Callable[[str], str]:
    """``str(store.path_for(digest).resolve())`` as a function of the digest, resolving the store's
    root once: below it nothing is a symlink (the store creates every directory and file), so
    a listing of thousands of files costs no system call per file."""
    sha256 = os.path.join(store.root.resolve(), "sha256")
    sep = os.sep

    def path(digest: str) -> str:
        return f"{sha256}{sep}{digest[:2]}{sep}{digest[2:4]}{sep}{digest}"

    return path


def attachment_rows(
    store: BlobStore, attachments: Iterable[Attachment]
) -> tuple[AttachmentRow, ...]:
    path = blob_paths(store)
    return tuple(AttachmentRow(a.filename, a.size, a.sha256, path(a.sha256)) for a in attachments)


def one_of(
    column: QueryableAttribute[int], ids: Collection[int], dialect: str
) -> ColumnElement[bool]:
    """``column IN ids`` with the ids bound as one parameter (a JSON array on SQLite, an array
    on PostgreSQL): thousands of ids cost neither a parameter each nor the limit on them."""
    if dialect == "sqlite":
        listed = func.json_each(json.dumps(list(ids))).table_valued("value")
        return column.in_(select(listed.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def attachments_of(
    session: Session, store: BlobStore, message_ids: Collection[int]
) -> dict[int, tuple[AttachmentRow, ...]]:
    """Message id -> its attachments in order (absent: none): one query, plain columns."""
    if not message_ids:
        return {}
    path = blob_paths(store)
    dialect = session.get_bind().dialect.name
    query = (
        select(Attachment.message_pk, Attachment.filename, Attachment.size, Attachment.sha256)
        .where(one_of(Attachment.message_pk, message_ids, dialect))
        .order_by(Attachment.message_pk, Attachment.position)
    )
    found: dict[int, tuple[AttachmentRow, ...]] = {}
    for message_pk, filename, size, sha256 in session.connection().execute(query).all():
        row = AttachmentRow(filename, size, sha256, path(sha256))
        found[message_pk] = (*found[message_pk], row) if message_pk in found else (row,)
    return found


def submission_rows(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None = None,
    policy: Policy = "latest_on_time",
) -> list[SubmissionRow]:
    refresh_verdicts(session, assignments)
    dialect = session.get_bind().dialect.name
    numbered = select(
        Submission.id,
        func.row_number()
        .over(
            partition_by=(Submission.assignment, Submission.owner),
            order_by=(Submission.arrived_at, Submission.id),
        )
        .label("version"),
        Submission.id.in_(counting_ids(policy, dialect, assignment)).label("counts"),
    )
    if assignment is not None:
        numbered = numbered.where(Submission.assignment == assignment)
    versions = numbered.subquery("versions")
    query = (
        select(
            Submission.id,
            Submission.assignment,
            Submission.student,
            Student.name,
            Message.sender,
            Submission.arrived_at,
            Message.sent_at,
            Submission.deadline,
            Submission.late,
            Submission.late_by_seconds,
            Submission.delivery_delay_suspected,
            Message.message_id,
            Submission.message_pk,
            versions.c.version,
            versions.c.counts,
            Submission.student_id,
            Submission.link_flag,
        )
        .join(versions, versions.c.id == Submission.id)
        .join(Message, Message.id == Submission.message_pk)
        .outerjoin(Student, Student.id == Submission.student_id)
        .order_by(Submission.arrived_at, Submission.id)
    )
    session.flush()  # the refreshed verdicts, for the plain query below
    found = session.connection().execute(query).all()
    files = attachments_of(session, store, [row.message_pk for row in found])
    return [
        SubmissionRow(
            id,
            key,
            roster_name or name_in_subject,
            sender,
            arrived_at,
            sent_at,
            deadline,
            late,
            late_by_seconds,
            delay_suspected,
            message_id,
            files.get(message_pk, ()),
            version,
            bool(counts),
            student_id,
            link_flag,
            name_in_subject,
        )
        for (
            id,
            key,
            name_in_subject,
            roster_name,
            sender,
            arrived_at,
            sent_at,
            deadline,
            late,
            late_by_seconds,
            delay_suspected,
            message_id,
            message_pk,
            version,
            counts,
            student_id,
            link_flag,
        ) in found
    ]


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
