"""The graders' queue: counting versions without a grade, oldest first, and claims on them.

Two graders asking for work at the same moment never get the same submission: a claim is an
upsert that only succeeds if no live claim exists, and it runs inside a write transaction
(``BEGIN IMMEDIATE`` on SQLite, a row lock on the conflicting key on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import Claim, Grade, Message, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import NotFound
from tdl_inbox.services.listing import AttachmentRow, attachment_rows
from tdl_inbox.services.versions import Policy, ranked


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


def _queue_query(policy: Policy, now: datetime, assignment: str | None, include_late: bool):  # type: ignore[no-untyped-def]
    versions = ranked(policy, assignment)
    live_claim = and_(Claim.submission_id == Submission.id, Claim.expires_at > now)
    query = (
        select(Submission, Student.name, Claim.grader)
        .join(versions, and_(versions.c.id == Submission.id, versions.c.rank == 1))
        .outerjoin(Student, Student.id == Submission.student_id)
        .outerjoin(Claim, live_claim)
        .where(~exists().where(Grade.submission_id == Submission.id))
        .options(selectinload(Submission.message).selectinload(Message.attachments))
        .order_by(Submission.arrived_at, Submission.id)
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
    items = []
    for sub, roster_name, grader in session.execute(
        _queue_query(policy, now, assignment, include_late)
    ):
        status = "claimed" if grader else ("flagged" if sub.link_flag else "pending")
        items.append(
            QueueItem(
                id=sub.id,
                assignment=sub.assignment,
                student=roster_name or sub.student,
                arrived_at=sub.arrived_at,
                late=sub.late,
                status=status,
                claimed_by=grader,
                flag=sub.link_flag,
                attachments=attachment_rows(store, sub.message.attachments),
            )
        )
    return items


def _try_claim(
    session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta
) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
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
