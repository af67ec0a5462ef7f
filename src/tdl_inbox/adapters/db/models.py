"""Tables. The schema is created only by the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tdl_inbox.adapters.db.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FolderState(Base):
    """The ingest checkpoint of one IMAP folder."""

    __tablename__ = "folder_state"

    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    uidvalidity_changes: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Message(Base):
    """Every message ingest saw, exactly once, whether or not it is a submission."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("folder", "uidvalidity", "uid", name="uq_message_location"),
        Index("ix_message_message_id_sha", "message_id", "raw_sha256"),
        Index("ix_message_arrived_at", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subject: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(Text)
    defects: Mapped[str | None] = mapped_column(Text)
    possible_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    submission: Mapped[Submission | None] = relationship(back_populates="message")
    rejection: Mapped[Rejection | None] = relationship(back_populates="message")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.position"
    )


class Submission(Base):
    """A message whose subject names a configured assignment and a student.

    ``owner`` groups the versions of one student's assignment: ``s:<student id>`` when linked
    to the roster, else ``n:<name key>`` (the name as written, normalised).
    """

    __tablename__ = "submission"
    __table_args__ = (
        Index("ix_submission_assignment_owner", "assignment", "owner", "arrived_at"),
        # ``refresh_verdicts``: rows whose stored deadline is not the assignment's are two
        # index ranges, empty when nothing changed.
        Index("ix_submission_assignment_deadline", "assignment", "deadline"),
        Index("ix_submission_late", "late"),
        Index("ix_submission_arrived_at", "arrived_at"),
        # A submission's (assignment, owner) group by its id, from an index a quarter the size
        # of the table: the grade book looks it up for every current grade, all over the table.
        Index("ix_submission_id_assignment_owner", "id", "assignment", "owner"),
        # Students' submissions; unlinked ones (``student_id`` NULL) by owner, from the index.
        Index("ix_submission_student_id_owner", "student_id", "owner"),
        # The missing report: each student's versions of each assignment, on time or not.
        Index("ix_submission_student_id_assignment_late", "student_id", "assignment", "late"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), unique=True)
    assignment: Mapped[str] = mapped_column(String(64))
    student: Mapped[str] = mapped_column(String(255))
    """The name as written in the subject."""
    note: Mapped[str | None] = mapped_column(Text)
    """What the subject said about this version after the name (``v2``, ``исправлено``)."""
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"))
    owner: Mapped[str] = mapped_column(String(300))
    link_flag: Mapped[str | None] = mapped_column(Text)
    """Why the admin must look at who this belongs to; None when the link is clear."""
    link_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    """The admin made this version the one that counts."""
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    """The deadline the verdict was computed against; refreshed when the config changes."""
    late: Mapped[bool] = mapped_column(Boolean)
    late_by_seconds: Mapped[int] = mapped_column(BigInteger)
    delivery_delay_suspected: Mapped[bool] = mapped_column(Boolean)

    message: Mapped[Message] = relationship(back_populates="submission")
    linked_student: Mapped[Student | None] = relationship()


# The counting order of ``services.versions`` after the group: the counting version of a group
# is its first entry, found by one seek that never reads the table (the index covers it).
Index(
    "ix_submission_counting",
    Submission.assignment,
    Submission.owner,
    Submission.chosen.desc(),
    Submission.late,
    Submission.arrived_at.desc(),
    Submission.id.desc(),
)


class Rejection(Base):
    """A message that is not a submission, with a reason a person understands."""

    __tablename__ = "rejection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)

    message: Mapped[Message] = relationship(back_populates="rejection")


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("message_pk", "position", name="uq_attachment_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(Text)
    """The name the sender gave, for display only; never used as a path."""
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))

    message: Mapped[Message] = relationship(back_populates="attachments")


class Student(Base):
    """A roster entry."""

    __tablename__ = "student"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    group: Mapped[str | None] = mapped_column(String(64))
    mipt: Mapped[bool] = mapped_column(Boolean, default=True)
    """False: not a MIPT student, graded on a best-effort basis."""


class StudentAddress(Base):
    """A sender address known to belong to a student (from the roster or ``roster link``)."""

    __tablename__ = "student_address"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)


class Claim(Base):
    """A grader working on a submission; expired claims count as absent."""

    __tablename__ = "claim"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    grader: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Grade(Base):
    """One grading act. A regrade adds a row; the newest row for a submission is current."""

    __tablename__ = "grade"
    __table_args__ = (
        Index("ix_grade_submission_id_id", "submission_id", "id"),
        # Graders' progress (``services.grading.progress``) from the index alone.
        Index("ix_grade_grader_submission_id", "grader", "submission_id", "graded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    points: Mapped[float] = mapped_column(Float)
    extra: Mapped[float] = mapped_column(Float, default=0)
    comment: Mapped[str | None] = mapped_column(Text)
    grader: Mapped[str] = mapped_column(String(100))
    graded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    """Graded over another grader's live claim (``grade --force``)."""


class HistoryEvent(Base):
    """One decision a person made (or a claim that expired), appended and never changed."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_submission_id_id", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(40))
    submission_id: Mapped[int | None] = mapped_column(Integer)
    """The submission it concerns, if any; not a foreign key, so history outlives a change."""
    details: Mapped[str] = mapped_column(Text)
    """JSON object: what changed (old and new values, reason, comment, ...)."""


class PublishedGrade(Base):
    """A grade row mailed to its student (``publish``); unpublished grades stay with the staff."""

    __tablename__ = "published_grade"

    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    """The grade mail; None when nothing could be queued (no usable address)."""


class RegradeRequest(Base):
    """A student's reply to a grade mail, asking the grader to look again."""

    __tablename__ = "regrade_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("message.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    routed_to: Mapped[str | None] = mapped_column(String(100))
    """The grader who gave the grade the student answered."""
    state: Mapped[str] = mapped_column(String(10), index=True)
    """``open``, ``regraded`` (a new grade) or ``kept`` (``resolve``: the grade stands)."""
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    grade_id: Mapped[int | None] = mapped_column(ForeignKey("grade.id"))
    """The regrade that resolved it."""
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When ``publish`` queued the answer to the student."""


class ExamResult(Base):
    __tablename__ = "exam_result"

    owner: Mapped[str] = mapped_column(String(300), primary_key=True)
    points: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Extension(Base):
    """A per-student deadline for one assignment, granted by the admin."""

    __tablename__ = "extension"
    __table_args__ = (UniqueConstraint("owner", "assignment", name="uq_extension_owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))
    student: Mapped[str] = mapped_column(String(255))
    """Display name at the time it was granted."""
    assignment: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxItem(Base):
    """An e-mail to send (receipt, report, alert), queued in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Makes queuing idempotent, e.g. ``receipt:<message id>``: one receipt per message."""
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    receipt_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    to_addr: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    email_message_id: Mapped[str] = mapped_column(String(255))
    """Fixed when queued, so a resend after a crash carries the same Message-ID."""
    status: Mapped[str] = mapped_column(String(10))
    """``pending``, ``sending``, ``sent`` or ``failed``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DaemonState(Base):
    """Small facts the daemon keeps for ``status`` and alerts, one row per key."""

    __tablename__ = "daemon_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebUser(Base):
    """Someone who may use the web workspace; ``name`` is the grader name ``--grader`` takes.

    Only hashes are kept: the password's from argon2, the API token's a SHA-256 (the token is
    32 random bytes, so a slow hash adds nothing but latency to every API call).
    """

    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    token_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
