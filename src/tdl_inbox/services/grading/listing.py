"""Read side: assignments, submissions and rejected messages as plain rows."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Message, Rejection, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.grading.versions import Policy, counting_ids
from tdl_inbox.services.intake.verdicts import refresh_verdicts


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
    note: str | None = None
    """What the subject said about this version after the name (``v2``, ``(fixed)``)."""


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


def with_attachments(
    rows: Iterable[Sequence[Any]], store: BlobStore
) -> Iterator[tuple[Sequence[Any], tuple[AttachmentRow, ...]]]:
    """Rows of a query that ends with ``attachment_columns()`` and is outer-joined to the
    attachments, ordered by submission and then ``Attachment.position``, folded back into one
    row per submission (its first column) with its attachments (empty without any).

    One query for the listing and its files: a second query for the files of tens of thousands
    of submissions cost more than the join, and this reads the rows once, as they come.
    """
    path = blob_paths(store)
    current: Sequence[Any] | None = None
    files: list[AttachmentRow] = []
    for row in rows:
        if current is not None and row[0] == current[0]:
            files.append(AttachmentRow(row[-3], row[-2], row[-1], path(row[-1])))
            continue
        if current is not None:
            yield current, tuple(files)
        current = row
        sha256 = row[-1]
        files = [] if sha256 is None else [AttachmentRow(row[-3], row[-2], sha256, path(sha256))]
    if current is not None:
        yield current, tuple(files)


def attachment_columns() -> tuple[Any, ...]:
    """The columns ``with_attachments`` reads, last in the select list, in this order."""
    return (Attachment.filename, Attachment.size, Attachment.sha256)


def submission_rows(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    assignment: str | None = None,
    policy: Policy = "latest_on_time",
) -> list[SubmissionRow]:
    refresh_verdicts(session, assignments)
    dialect = session.get_bind().dialect.name
    # Numbered over the ids alone, so the window walks ``ix_submission_assignment_owner`` (it
    # holds the arrival time, and the id is the row id) instead of sorting the whole rows.
    numbered = select(
        Submission.id,
        func.row_number()
        .over(
            partition_by=(Submission.assignment, Submission.owner),
            order_by=(Submission.arrived_at, Submission.id),
        )
        .label("version"),
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
            versions.c.version,
            Submission.id.in_(counting_ids(policy, dialect, assignment)),
            Submission.student_id,
            Submission.link_flag,
            Submission.note,
            *attachment_columns(),
        )
        .join(versions, versions.c.id == Submission.id)
        .join(Message, Message.id == Submission.message_pk)
        .outerjoin(Student, Student.id == Submission.student_id)
        .outerjoin(Attachment, Attachment.message_pk == Submission.message_pk)
        .order_by(Submission.arrived_at, Submission.id, Attachment.position)
    )
    session.flush()  # the refreshed verdicts, for the plain query below
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
            files,
            version,
            bool(counts),
            student_id,
            link_flag,
            name_in_subject,
            note,
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
            version,
            counts,
            student_id,
            link_flag,
            note,
            *_,
        ), files in with_attachments(session.connection().execute(query), store)
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
