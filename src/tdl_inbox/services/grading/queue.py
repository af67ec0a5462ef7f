"""The graders' queue: counting versions without a grade, oldest first, and claims on them.

Two graders asking for work at the same moment never get the same submission: a claim is an
upsert that only succeeds if no live claim exists, and it runs inside a write transaction
(``BEGIN IMMEDIATE`` on SQLite, a row lock on the conflicting key on PostgreSQL).

A live claim is its holder's: ``next`` hands a grader their own oldest claim before new work,
and grading or releasing another grader's live claim takes ``force`` (and is recorded as
forced), so two graders never grade the same item without knowing it.

A version the admin chose counts like an on-time one, late or not, so it is in the queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Claim, Grade, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import AlreadyClaimed
from tdl_inbox.services import audit
from tdl_inbox.services.grading.listing import AttachmentRow, attachment_columns, with_attachments
from tdl_inbox.services.grading.refs import no_submission
from tdl_inbox.services.grading.versions import (
    Policy,
    counting_ids,
    counting_versions,
    is_counting,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Released:
    holder: str
    forced: bool
    """True when it was another grader's live claim."""


@dataclass(frozen=True)
class QueueItem:
    id: int
    assignment: str
    student: str
    arrived_at: datetime
    late: bool
    chosen: bool
    """The admin chose this version (``choose``): it counts even when late."""
    status: str
    """``pending``, ``claimed`` or ``flagged`` (who it belongs to needs the admin)."""
    claimed_by: str | None
    flag: str | None
    attachments: tuple[AttachmentRow, ...]


def wanted(
    version: Any,
    holder: Any,
    include_late: bool,
    claimed_by: str | None,
    claimed: bool | None,
) -> list[ColumnElement[bool]]:
    """What puts a counting version in the queue, for ``version`` (anything with columns id,
    late, chosen) and ``holder`` (the grader of its live claim, outer-joined): no grade yet;
    on time or chosen by the admin unless late ones are asked for; with ``claimed_by`` only
    that grader's live claims, late ones too; ``claimed`` True or False: only items with, or
    without, a live claim."""
    # the id only: answered from the index, not the grade rows
    conditions = [~select(Grade.id).where(Grade.submission_id == version.id).exists()]
    if not include_late and claimed_by is None:
        conditions.append(or_(version.late.is_(False), version.chosen.is_(True)))
    if claimed_by is not None:
        conditions.append(holder == claimed_by)
    if claimed is not None:
        conditions.append(holder.is_not(None) if claimed else holder.is_(None))
    return conditions


def _page_ids(  # type: ignore[no-untyped-def]
    policy: Policy,
    dialect: str,
    now: datetime,
    assignment: str | None,
    conditions: list[ColumnElement[bool]],
    offset: int,
    limit: int,
):
    """The ids of one page of the queue. The whole course's: the submissions walked in arrival
    order, each tested for counting by one index seek, until the page is full, so the first
    pages cost the same in a course of any size (listing every counting version first cost
    most of the time). One assignment's: its counting versions are a twentieth of that list,
    and walking the whole course's arrivals to find them would cost more than listing them."""
    live_claim = and_(Claim.submission_id == Submission.id, Claim.expires_at > now)
    if assignment is None:
        counting = is_counting(policy)
    else:
        counting = Submission.id.in_(counting_ids(policy, dialect, assignment))
    return (
        select(Submission.id)
        .outerjoin(Claim, live_claim)
        .where(counting, *conditions)
        .order_by(Submission.arrived_at, Submission.id)
        .offset(offset)
        .limit(limit)
        .correlate(None)  # a list of its own, not a test of the enclosing query's row
    )


def _queue_query(  # type: ignore[no-untyped-def]
    policy: Policy,
    dialect: str,
    now: datetime,
    assignment: str | None,
    include_late: bool,
    claimed_by: str | None,
    claimed: bool | None = None,
    window: tuple[int, int] | None = None,
):
    live_claim = and_(Claim.submission_id == Submission.id, Claim.expires_at > now)
    conditions = wanted(Submission, Claim.grader, include_late, claimed_by, claimed)
    if window is None:
        which = counting_ids(policy, dialect, assignment)
    else:
        which = _page_ids(policy, dialect, now, assignment, conditions, *window)
    return (
        select(
            Submission.id,
            Submission.assignment,
            Submission.student,
            Student.name,
            Submission.arrived_at,
            Submission.late,
            Submission.chosen,
            Claim.grader,
            Submission.link_flag,
            *attachment_columns(),
        )
        .outerjoin(Student, Student.id == Submission.student_id)
        .outerjoin(Claim, live_claim)
        .outerjoin(Attachment, Attachment.message_pk == Submission.message_pk)
        .where(Submission.id.in_(which), *conditions)
        .order_by(Submission.arrived_at, Submission.id, Attachment.position)
    )


def queue(
    session: Session,
    store: BlobStore,
    policy: Policy,
    now: datetime,
    assignment: str | None = None,
    include_late: bool = False,
    claimed_by: str | None = None,
    claimed: bool | None = None,
    window: tuple[int, int] | None = None,
) -> list[QueueItem]:
    """The queue; with ``claimed_by``, only that grader's live claims, late ones too; with
    ``claimed``, only the items with (True) or without (False) a live claim; with ``window``
    (offset, limit), only those items of it."""
    dialect = session.get_bind().dialect.name
    session.flush()  # plain rows from the connection: no ORM objects, no autoflush
    query = _queue_query(
        policy, dialect, now, assignment, include_late, claimed_by, claimed, window
    )
    return [
        QueueItem(
            id,
            key,
            roster_name or name_in_subject,
            arrived_at,
            late,
            chosen,
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
            chosen,
            grader,
            flag,
            *_,
        ), files in with_attachments(session.connection().execute(query), store)
    ]


def queue_counts(
    session: Session,
    policy: Policy,
    now: datetime,
    include_late: bool = False,
    claimed_by: str | None = None,
    claimed: bool | None = None,
) -> dict[str, int]:
    """How many items ``queue`` lists for each assignment (those with none are absent): one
    aggregate in the database, no rows in Python."""
    dialect = session.get_bind().dialect.name
    session.flush()
    version = counting_versions(policy, dialect)
    query = (
        select(version.c.assignment, func.count())
        .select_from(version)
        .where(*wanted(version.c, Claim.grader, include_late, claimed_by, claimed))
        .group_by(version.c.assignment)
    )
    if claimed_by is not None or claimed is not None:
        live_claim = and_(Claim.submission_id == version.c.id, Claim.expires_at > now)
        query = query.outerjoin(Claim, live_claim)
    return {key: count for key, count in session.execute(query)}


def neighbours(
    session: Session, policy: Policy, now: datetime, submission: Submission
) -> tuple[int | None, int | None]:
    """The items of ``submission``'s assignment in the queue (late ones only if chosen) just
    before and just after it in the queue's order, oldest arrival first; it need not be in the
    queue itself (graded already). One assignment, like "save and next", and two one-row
    queries: a page asks on every view (at 100,000 submissions the whole queue takes 0.4 s)."""
    dialect = session.get_bind().dialect.name
    query = _queue_query(policy, dialect, now, submission.assignment, False, None)
    arrived_at, submission_id = submission.arrived_at, submission.id
    earlier = or_(
        Submission.arrived_at < arrived_at,
        and_(Submission.arrived_at == arrived_at, Submission.id < submission_id),
    )
    later = or_(
        Submission.arrived_at > arrived_at,
        and_(Submission.arrived_at == arrived_at, Submission.id > submission_id),
    )
    before = query.where(earlier).order_by(None)
    before = before.order_by(Submission.arrived_at.desc(), Submission.id.desc()).limit(1)
    after = query.where(later).limit(1)
    return session.scalar(before), session.scalar(after)


def _try_claim(
    session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta
) -> bool:
    """Claim for ``grader`` if no live claim exists (an expired one is taken over), recording
    the claim, and the expiry of the claim it replaces, in the history."""
    # Locked (PostgreSQL) so the expired holder read here is the one the upsert replaces.
    stale = session.execute(
        select(Claim.grader, Claim.expires_at)
        .where(Claim.submission_id == submission_id, Claim.expires_at <= now)
        .with_for_update()
    ).first()
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
    if claimed is None:
        return False
    if stale is not None:
        _record_expiry(session, submission_id, stale.grader, stale.expires_at, grader, now)
    audit.record(
        session,
        actor=grader,
        action="claim",
        now=now,
        submission_id=submission_id,
        details={"expires_at": (now + ttl).isoformat()},
    )
    return True


def _record_expiry(
    session: Session,
    submission_id: int,
    holder: str,
    expired_at: datetime,
    actor: str,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        action="claim expired",
        now=now,
        submission_id=submission_id,
        details={"holder": holder, "expired_at": expired_at.isoformat()},
    )


def claim_next(
    session: Session,
    store: BlobStore,
    policy: Policy,
    grader: str,
    now: datetime,
    ttl: timedelta,
    assignment: str | None = None,
) -> QueueItem | None:
    """``grader``'s oldest live claim, renewed; else the oldest unclaimed item, now claimed for
    them (on time or chosen by the admin); None when nothing is left."""
    for item in queue(session, store, policy, now, assignment, claimed_by=grader):
        _renew(session, item.id, grader, now, ttl)
        return item
    for item in queue(session, store, policy, now, assignment):
        if item.claimed_by is not None:
            continue
        if _graded_since(session, item.id):
            continue
        if _try_claim(session, item.id, grader, now, ttl):
            return QueueItem(**{**item.__dict__, "status": "claimed", "claimed_by": grader})
    return None


def lock_submission(session: Session, submission_id: int) -> None:
    """Serialise claiming and grading one submission (PostgreSQL: a row lock until commit;
    SQLite's write transactions are serial already)."""
    session.execute(select(Submission.id).where(Submission.id == submission_id).with_for_update())


def _graded_since(session: Session, submission_id: int) -> bool:
    """Whether a grade was recorded after the queue was read: on PostgreSQL (read committed)
    the queue can be a moment old, and grading deletes the claim that would have stopped this
    one. Taken after the submission's lock, so a grade being recorded is waited for."""
    lock_submission(session, submission_id)
    graded = select(Grade.id).where(Grade.submission_id == submission_id).exists()
    return bool(session.scalar(select(graded)))


def _renew(
    session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta
) -> None:
    session.execute(
        update(Claim)
        .where(Claim.submission_id == submission_id, Claim.grader == grader)
        .values(claimed_at=now, expires_at=now + ttl)
    )


def live_claim(session: Session, submission_id: int, now: datetime) -> Claim | None:
    """The live claim on ``submission_id``, read afresh and (PostgreSQL) locked until commit, so
    the claim a decision was made on is the one that is deleted or kept."""
    found = session.get(Claim, submission_id, with_for_update=True, populate_existing=True)
    return found if found is not None and found.expires_at > now else None


def shown_claim(session: Session, submission_id: int, now: datetime) -> Claim | None:
    """The live claim on ``submission_id`` as a page shows it: read without a lock, so looking
    never waits for a grader who is saving."""
    found = session.get(Claim, submission_id)
    return found if found is not None and found.expires_at > now else None


def clear_claim(session: Session, submission_id: int, actor: str, now: datetime) -> None:
    """Delete the claim on ``submission_id``, after ``live_claim`` or ``check_claim`` read and
    locked it; one found expired is recorded as such."""
    stale = session.get(Claim, submission_id)
    expired = None if stale is None or stale.expires_at > now else stale
    if expired is not None:
        _record_expiry(session, submission_id, expired.grader, expired.expires_at, actor, now)
    session.execute(delete(Claim).where(Claim.submission_id == submission_id))


def check_claim(
    session: Session, submission_id: int, grader: str, now: datetime, force: bool
) -> bool:
    """Whether acting on ``submission_id`` overrides another grader's live claim (allowed only
    with ``force``; AlreadyClaimed otherwise)."""
    held = live_claim(session, submission_id, now)
    if held is None or held.grader == grader:
        return False
    if not force:
        hint = "ask them, or repeat with --force; nothing changed"
        raise AlreadyClaimed(submission_id, held.grader, held.expires_at, hint)
    return True


def claim(session: Session, submission_id: int, grader: str, now: datetime, ttl: timedelta) -> None:
    """Claim for ``grader`` (renewing their own claim); AlreadyClaimed if another grader has it."""
    if session.get(Submission, submission_id) is None:
        raise no_submission(submission_id)
    if _try_claim(session, submission_id, grader, now, ttl):
        return
    held = live_claim(session, submission_id, now)
    if held is not None and held.grader != grader:
        ref = submission_ref(submission_id)
        hint = f"ask them, or `tdl-inbox release {ref} --force` first"
        raise AlreadyClaimed(submission_id, held.grader, held.expires_at, hint)
    _renew(session, submission_id, grader, now, ttl)


def release(
    session: Session, submission_id: int, grader: str, now: datetime, force: bool = False
) -> Released | None:
    """Give a claim back; another grader's live claim only with ``force``. None: there was no
    live claim (an expired one is cleared)."""
    if session.get(Submission, submission_id) is None:
        raise no_submission(submission_id)
    held = live_claim(session, submission_id, now)
    holder = None if held is None else held.grader
    forced = check_claim(session, submission_id, grader, now, force)
    clear_claim(session, submission_id, grader, now)
    if holder is None:
        return None
    audit.record(
        session,
        actor=grader,
        action="release",
        now=now,
        submission_id=submission_id,
        details={"holder": holder, "forced": forced},
    )
    if forced:
        ref = submission_ref(submission_id)
        log.info("%s: %s released %s's claim with --force", ref, grader, holder)
    return Released(holder, forced)
