"""Everything about one submission, for ``show`` and for settling disputes.

The text the student wrote (a solution may be just a link) is read from the stored raw
message on demand, and each file gets a path with its own extension to open it by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Grade, Student, Submission
from tdl_inbox.adapters.mime_text import MailText, mail_text
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.adapters.store_views import open_path, read_head
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.file_types import safe_extension
from tdl_inbox.errors import StorageError
from tdl_inbox.services.grading.grades import get_submission, grade_history
from tdl_inbox.services.grading.listing import blob_paths
from tdl_inbox.services.grading.versions import Policy, ranked
from tdl_inbox.services.intake.verdicts import refresh_verdicts


@dataclass(frozen=True)
class VersionRow:
    id: int
    arrived_at: datetime
    late: bool
    late_by_seconds: int
    counts: bool
    points: float | None


@dataclass(frozen=True)
class GradeEntry:
    id: int
    """What a grader passes as the grade they saw (``grade --seen``, the API's ``seen_grade``)."""
    graded_at: datetime
    grader: str
    points: float
    extra: float
    comment: str | None
    forced: bool
    """Graded over another grader's live claim."""


@dataclass(frozen=True)
class ShownFile:
    filename: str
    """As the sender wrote it: display only."""
    size: int
    sha256: str
    path: str
    """The stored blob (no extension)."""
    open_path: str | None
    """The same content as ``<store>/views/<sha256>.<ext>``, ``ext`` checked against the
    content; ``None`` when it cannot be made (a read-only store)."""


@dataclass(frozen=True)
class SubmissionDetails:
    id: int
    assignment: str
    student: str
    student_id: int | None
    group: str | None
    """The roster's group (``None``: not in the roster, or no group given)."""
    mipt: bool | None
    """The roster says a MIPT student (``None``: not in the roster)."""
    name_in_subject: str
    note: str | None
    """What the subject said about this version after the name (``v2``, ``(fixed)``)."""
    link_flag: str | None
    sender: str | None
    subject: str | None
    message_id: str | None
    arrived_at: datetime
    sent_at: datetime | None
    deadline: datetime
    late: bool
    late_by_seconds: int
    delivery_delay_suspected: bool
    counts: bool
    raw_message_path: str
    body_text: str | None
    """The text the sender wrote; ``None`` when the raw message cannot be read."""
    links: tuple[str, ...]
    attachments: tuple[ShownFile, ...]
    versions: tuple[VersionRow, ...]
    grades: tuple[GradeEntry, ...]


def grade_entry(grade: Grade) -> GradeEntry:
    return GradeEntry(
        grade.id,
        grade.graded_at,
        grade.grader,
        grade.points,
        grade.extra,
        grade.comment,
        grade.forced,
    )


def shown_file(store: BlobStore, attachment: Attachment, path: str) -> ShownFile:
    extension = safe_extension(attachment.filename, read_head(store, attachment.sha256))
    try:
        view: str | None = str(open_path(store, attachment.sha256, extension))
    except StorageError:
        view = None
    return ShownFile(attachment.filename, attachment.size, attachment.sha256, path, view)


def _text_of(store: BlobStore, digest: str) -> MailText | None:
    try:
        raw = store.read(digest)
    except OSError:
        return None
    return mail_text(raw)


def submission_details(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    submission_id: int,
) -> SubmissionDetails:
    refresh_verdicts(session, assignments)
    sub = get_submission(session, submission_id)
    versions = ranked(policy, sub.assignment, sub.owner)
    points = (
        select(Grade.points)
        .where(Grade.submission_id == Submission.id)
        .order_by(Grade.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    siblings = session.execute(
        select(
            Submission.id,
            Submission.arrived_at,
            Submission.late,
            Submission.late_by_seconds,
            versions.c.rank == 1,
            points,
        )
        .join(versions, versions.c.id == Submission.id)
        .order_by(Submission.arrived_at, Submission.id)
    ).all()
    version_rows = [
        VersionRow(id, arrived_at, late, late_by_seconds, bool(counting), current)
        for id, arrived_at, late, late_by_seconds, counting, current in siblings
    ]
    counts = any(row.id == sub.id and row.counts for row in version_rows)
    roster = session.get(Student, sub.student_id) if sub.student_id else None
    message = sub.message
    paths = blob_paths(store)
    text = _text_of(store, message.raw_sha256)
    return SubmissionDetails(
        id=sub.id,
        assignment=sub.assignment,
        student=roster.name if roster else sub.student,
        student_id=sub.student_id,
        group=roster.group if roster else None,
        mipt=roster.mipt if roster else None,
        name_in_subject=sub.student,
        note=sub.note,
        link_flag=sub.link_flag,
        sender=message.sender,
        subject=message.subject,
        message_id=message.message_id,
        arrived_at=sub.arrived_at,
        sent_at=message.sent_at,
        deadline=sub.deadline,
        late=sub.late,
        late_by_seconds=sub.late_by_seconds,
        delivery_delay_suspected=sub.delivery_delay_suspected,
        counts=counts,
        raw_message_path=paths(message.raw_sha256),
        body_text=None if text is None else text.text,
        links=() if text is None else text.links,
        attachments=tuple(shown_file(store, a, paths(a.sha256)) for a in message.attachments),
        versions=tuple(version_rows),
        grades=tuple(grade_entry(g) for g in grade_history(session, sub.id)),
    )
