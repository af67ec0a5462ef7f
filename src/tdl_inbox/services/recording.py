"""Record one fetched message: files first, then one database transaction.

The transaction writes the message, its submission or rejection, its attachments and the
folder checkpoint together, so a process killed at any point records the message exactly once
after a restart (a blob written before the kill is simply found again by its hash).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, FolderState, Message, Rejection, Submission
from tdl_inbox.adapters.mime import ParsedMail, parse_mail
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.classify import Accepted, Rejected, classify
from tdl_inbox.domain.lateness import judge
from tdl_inbox.services.context import IngestContext
from tdl_inbox.services.receipts import queue_receipt
from tdl_inbox.services.roster import decide_link
from tdl_inbox.services.verdicts import effective_deadline


class Outcome(enum.Enum):
    SUBMISSION = "submission"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    ALREADY_RECORDED = "already recorded"


@dataclass(frozen=True)
class Location:
    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class Incoming:
    """One message as fetched: its bytes (or only its header when it is too large)."""

    location: Location
    raw: bytes
    size: int
    arrived_at: datetime
    provider_id: str | None = None
    oversized: bool = False


def advance_checkpoint(session: Session, location: Location, now: datetime) -> None:
    state = session.get(FolderState, location.folder)
    if state is None:
        session.add(
            FolderState(
                folder=location.folder,
                uidvalidity=location.uidvalidity,
                last_uid=location.uid,
                uidvalidity_changes=0,
                updated_at=now,
            )
        )
    elif state.uidvalidity == location.uidvalidity and location.uid > state.last_uid:
        state.last_uid = location.uid
        state.updated_at = now


def _find_duplicate(
    session: Session, mail: ParsedMail, provider_id: str | None, digest: str
) -> Message | None:
    if provider_id is not None:
        found = session.scalar(select(Message).where(Message.provider_id == provider_id))
        if found is not None:
            return found
    if mail.message_id:
        return session.scalar(
            select(Message)
            .where(Message.message_id == mail.message_id, Message.raw_sha256 == digest)
            .limit(1)
        )
    return None


def _verdict_for(ctx: IngestContext, mail: ParsedMail, incoming: Incoming) -> Accepted | Rejected:
    if incoming.oversized:
        limit_mb = ctx.max_message_bytes / 1_000_000
        return Rejected(
            f"message is larger than the {limit_mb:g} MB limit; only its headers were kept"
        )
    if mail.error is not None:
        return Rejected(f"the message could not be read: {mail.error}")
    return classify(mail.subject, ctx.assignments, ctx.kind_aliases)


def record(
    session: Session, store: BlobStore, ctx: IngestContext, incoming: Incoming, now: datetime
) -> Outcome:
    """Record ``incoming`` inside ``session``'s open transaction (the caller commits)."""
    loc = incoming.location
    existing = session.scalar(
        select(Message.id).where(
            Message.folder == loc.folder,
            Message.uidvalidity == loc.uidvalidity,
            Message.uid == loc.uid,
        )
    )
    if existing is not None:
        advance_checkpoint(session, loc, now)
        return Outcome.ALREADY_RECORDED

    digest = store.put(incoming.raw)
    mail = parse_mail(incoming.raw)
    provider_id = incoming.provider_id or mail.provider_id
    if _find_duplicate(session, mail, provider_id, digest) is not None:
        advance_checkpoint(session, loc, now)
        return Outcome.DUPLICATE

    attachment_digests = [store.put(part.data) for part in mail.attachments]
    same_id = None
    if mail.message_id:
        same_id = session.scalar(
            select(Message.id).where(Message.message_id == mail.message_id).limit(1)
        )
    message = Message(
        folder=loc.folder,
        uidvalidity=loc.uidvalidity,
        uid=loc.uid,
        provider_id=provider_id,
        message_id=mail.message_id,
        raw_sha256=digest,
        size=incoming.size,
        arrived_at=incoming.arrived_at,
        sent_at=mail.sent_at,
        subject=mail.subject,
        sender=mail.from_address,
        sender_name=mail.from_name,
        defects="; ".join(mail.defects) or None,
        possible_duplicate_of=same_id,
        recorded_at=now,
    )
    for position, (part, part_digest) in enumerate(
        zip(mail.attachments, attachment_digests, strict=True)
    ):
        message.attachments.append(
            Attachment(
                position=position,
                filename=part.filename,
                content_type=part.content_type,
                size=len(part.data),
                sha256=part_digest,
            )
        )
    session.add(message)

    verdict = _verdict_for(ctx, mail, incoming)
    if isinstance(verdict, Accepted):
        link = decide_link(session, mail.from_address, verdict.student)
        deadline = effective_deadline(session, verdict.assignment, link.owner)
        lateness = judge(incoming.arrived_at, deadline, mail.sent_at)
        message.submission = Submission(
            assignment=verdict.assignment.key,
            student=verdict.student,
            arrived_at=incoming.arrived_at,
            deadline=deadline,
            late=lateness.late,
            late_by_seconds=lateness.late_by_seconds,
            delivery_delay_suspected=lateness.delivery_delay_suspected,
            student_id=link.student_id,
            owner=link.owner,
            link_flag=link.flag,
            link_manual=False,
            chosen=False,
        )
        outcome = Outcome.SUBMISSION
    else:
        message.rejection = Rejection(reason=verdict.reason)
        outcome = Outcome.REJECTED
    advance_checkpoint(session, loc, now)
    if ctx.receipts is not None:
        session.flush()
        queue_receipt(session, ctx.receipts, message, mail, now)
    return outcome
