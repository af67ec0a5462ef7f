"""The graders' queue: counting versions without a grade, oldest first, and claims on them.

Two graders asking for work at the same moment never get the same submission: a claim is an
upsert that only succeeds if no live claim exists, and it runs inside a write transaction
(``BEGIN IMMEDIATE`` on SQLite, a row lock on the conflicting key on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Claim, Grade, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import NotFound
from tdl_inbox.services.grading.listing import AttachmentRow, attachment_columns, with_attachments
from tdl_inbox.services.grading.versions import Policy, counting_ids


@dataclass(frozen=True)
class QueueItem:
    id: int
    assignment: str
    student: str
    arrived_at: datetime
    late: bool
    status: str
    """``pending``, ``claimed`` or ``flagged`` (who it belongs to needs the admin)."""
    claimed_by: str | None
    flag: str | None
    attachments: tuple[AttachmentRow, ...]


def _queue_query(  # type: ignore[no-untyped-def]
    policy: Policy, dialect: str, now: datetime, assignment: str | None, include_late: bool
):
    live_claim = and_(Claim.submission_id == Submission.id, Claim.expires_at > now)
    query = (
        select(
            Submission.id,
            Submission.assignment,
            Submission.student,
            Student.name,
            Submission.arrived_at,
            Submission.late,
            Claim.grader,
            Submission.link_flag,
            *attachment_columns(),
        )
        .outerjoin(Student, Student.id == Submission.student_id)
        .outerjoin(Claim, live_claim)
        .outerjoin(Attachment, Attachment.message_pk == Submission.message_pk)
        .where(
            Submission.id.in_(counting_ids(policy, dialect, assignment)),
            # the id only: answered from the index, not the grade rows
            ~select(Grade.id).where(Grade.submission_id == Submission.id).exists(),
        )
        .order_by(Submission.arrived_at, Submission.id, Attachment.position)
    )
    if not include_late:
        query = query.where(Submission.late.is_(False))
    return query


def queue(
    session: Session,
    store: BlobStore,
    policy: Policy,
    now: datetime,
    assignment: str | None = None,
    include_late: bool = False,
) -> list[QueueItem]:
    dialect = session.get_bind().dialect.name
    session.flush()  # plain rows from the connection: no ORM objects, no autoflush
    query = _queue_query(policy, dialect, now, assignment, include_late)
    return [
        QueueItem(
            id,
            key,
            roster_name or name_in_subject,
            arrived_at,
            late,
            "claimed" if grader else ("flagged" if flag else "pending"),
            grader,
            flag,
            files,
        )
        for (
            id,
            key,
            name_in_subject,
            roster_name,
            arrived_at,
            late,
            grader,
            flag,
            *_,
        ), files in with_attachments(session.connection().execute(query), store)
    ]


def _try_claim(
    session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta
) -> bool:
    # Only the dialect in use, and only here: importing PostgreSQL's costs a command ~50 ms.
    # Both inserts take the same on_conflict_do_update arguments.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(Claim).values(
        submission_id=submission_id, grader=grader, claimed_at=now, expires_at=now + ttl
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Claim.submission_id],
        set_={"grader": grader, "claimed_at": now, "expires_at": now + ttl},
        where=Claim.expires_at <= now,
    )
    claimed = session.execute(statement.returning(Claim.submission_id)).scalar_one_or_none()
    return claimed is not None


def claim_next(
    session: Session,
    store: BlobStore,
    policy: Policy,
    grader: str,
    now: datetime,
    ttl: timedelta,
    assignment: str | None = None,
) -> QueueItem | None:
    """Claim the oldest unclaimed on-time item for ``grader``; None when nothing is left."""
    for item in queue(session, store, policy, now, assignment):
        if item.claimed_by is not None:
            continue
        if _try_claim(session, item.id, grader, now, ttl):
            return QueueItem(**{**item.__dict__, "status": "claimed", "claimed_by": grader})
    return None


def claim(session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta) -> None:
    if session.get(Submission, submission_id) is None:
        raise NotFound(f"no submission with id {submission_id}")
    if not _try_claim(session, submission_id, grader, now, ttl):
        holder = session.get(Claim, submission_id)
        who = holder.grader if holder else "someone else"
        if who != grader:
            raise NotFound(f"submission {submission_id} is already claimed by {who}")
        session.execute(delete(Claim).where(Claim.submission_id == submission_id))
        _try_claim(session, submission_id, grader, now, ttl)


def release(session: Session, submission_id: int) -> bool:
    result = session.execute(delete(Claim).where(Claim.submission_id == submission_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]
