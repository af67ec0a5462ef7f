"""``recheck``: read rejected mail again against the current config.

A message rejected for its subject (an assignment missing from the config, a kind word not
configured yet) is parsed again from its stored raw bytes; each one that is now a submission
is recorded as ingest would have recorded it on arrival: the same verdict (from its
INTERNALDATE, against the deadline that applies to its owner today), the same roster link, and
versions in arrival order. Its student gets one follow-up receipt replacing the rejection.

The CLI calls :func:`recheck`; the daemon can call it after reloading its config. Messages
rejected for anything else (too large, unreadable, a reason written by the admin) are left.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from tdl_inbox.adapters.db.models import Message, Rejection, Submission
from tdl_inbox.adapters.mime import ParsedMail, parse_mail
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.classify import Accepted
from tdl_inbox.domain.rejection_codes import is_about_subject
from tdl_inbox.errors import StorageError
from tdl_inbox.services import audit
from tdl_inbox.services.grading.roster import link_in
from tdl_inbox.services.intake.batch_lookups import BatchLookups
from tdl_inbox.services.intake.batch_rows import Row
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.ports import Clock
from tdl_inbox.services.intake.recording import submission_row, verdict_for
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy
from tdl_inbox.services.mail.receipts import queue_receipt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """A rejected message that is now a submission (``submission_id`` None on a dry run)."""

    message_id: int
    submission_id: int | None
    assignment: str
    student: str
    late: bool
    late_by_seconds: int
    delivery_delay_suspected: bool


def read_raw(store: BlobStore, message: Message) -> ParsedMail:
    """The stored message parsed again, as ingest parsed it, without its attachments' bytes
    (their blobs and rows were written at ingest; a recheck may hold many messages)."""
    try:
        raw = store.read(message.raw_sha256)
    except OSError:
        raise StorageError(
            f"the raw bytes of message m{message.id} are missing from the store "
            f"(sha256 {message.raw_sha256}); see `tdl-inbox db check`"
        ) from None
    mail = parse_mail(raw)
    return replace(mail, attachments=tuple(replace(part, data=b"") for part in mail.attachments))


def recheck(
    sessions: sessionmaker[Session],
    store: BlobStore,
    ctx: IngestContext,
    clock: Clock,
    *,
    actor: str,
    dry_run: bool = False,
) -> list[Change]:
    """Record as submissions the messages rejected for their subject that ``ctx`` now accepts,
    in one transaction (none on a dry run). Idempotent: a recorded one is no longer rejected.
    The follow-up receipts are queued in the outbox; the caller sends it as after a poll."""
    with sessions.begin() as session:
        return recheck_in(session, store, ctx, clock(), actor=actor, dry_run=dry_run)


def recheck_in(
    session: Session,
    store: BlobStore,
    ctx: IngestContext,
    now: datetime,
    *,
    actor: str,
    dry_run: bool,
) -> list[Change]:
    """:func:`recheck` inside ``session``'s open transaction (the caller commits)."""
    query = (
        select(Message)
        .join(Rejection, Rejection.message_pk == Message.id)
        .options(selectinload(Message.rejection))
        .order_by(Message.arrived_at, Message.id)  # versions follow arrival order
    )
    if not dry_run:
        # A second recheck at the same time (the daemon's after a config reload, the admin's)
        # waits here on PostgreSQL and then finds these rejections gone; SQLite has one writer.
        query = query.with_for_update(of=Rejection)
    rejected = session.scalars(query).all()
    found: list[tuple[Message, ParsedMail, Accepted]] = []
    for message in rejected:
        assert message.rejection is not None
        if not is_about_subject(message.rejection.reason):
            continue
        mail = read_raw(store, message)
        verdict = verdict_for(ctx, mail, oversized=False)
        if isinstance(verdict, Accepted):
            found.append((message, mail, verdict))
    if not found:
        return []
    lookups = BatchLookups(session)
    lookups.load_roster(
        (m.sender for m, _, _ in found if m.sender), (v.student for _, _, v in found)
    )
    links = [link_in(lookups, m.sender, v.student) for m, _, v in found]
    lookups.load_extensions(link.owner for link in links)
    rows = [
        submission_row(lookups, verdict, link, message.arrived_at, message.sent_at)
        for (message, _, verdict), link in zip(found, links, strict=True)
    ]
    message_ids = [message.id for message, _, _ in found]
    if dry_run:
        return [change_of(mid, None, row) for mid, row in zip(message_ids, rows, strict=True)]
    ids = replace_rejections(session, message_ids, rows)
    if ctx.receipts is not None:
        mails = [mail for _, mail, _ in found]
        send_follow_ups(session, ctx.receipts, list(zip(message_ids, mails, strict=True)), now)
    changes = [
        change_of(mid, sid, row) for mid, sid, row in zip(message_ids, ids, rows, strict=True)
    ]
    for change in changes:
        audit.record(
            session,
            actor=actor,
            action="recheck",
            now=now,
            submission_id=change.submission_id,
            details={
                "message_id": change.message_id,
                "assignment": change.assignment,
                "student": change.student,
            },
        )
        log.info("recheck: m%s is now submission s%s", change.message_id, change.submission_id)
    return changes


def replace_rejections(session: Session, message_ids: list[int], rows: Sequence[Row]) -> list[int]:
    """Replace the rejections of ``message_ids`` by their submission ``rows``; the new ids."""
    session.execute(delete(Rejection).where(Rejection.message_pk.in_(message_ids)))
    ids = list(
        session.scalars(
            insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [{**row, "message_pk": mid} for mid, row in zip(message_ids, rows, strict=True)],
        )
    )
    session.expire_all()  # the ORM's Message objects still hold their rejections
    return ids


def send_follow_ups(
    session: Session,
    policy: ReceiptPolicy,
    recorded: Sequence[tuple[int, ParsedMail]],
    now: datetime,
) -> None:
    """Queue a follow-up receipt for each just-recorded message, once all are recorded (so
    each says which version counts with every version in)."""
    messages = {
        m.id: m
        for m in session.scalars(
            select(Message)
            .where(Message.id.in_([mid for mid, _ in recorded]))
            .options(selectinload(Message.submission), selectinload(Message.attachments))
        )
    }
    for message_id, mail in recorded:  # in arrival order: the per-sender cap counts earlier ones
        queue_receipt(session, policy, messages[message_id], mail, now, None, follow_up=True)


def change_of(message_id: int, submission_id: int | None, row: Row) -> Change:
    return Change(
        message_id=message_id,
        submission_id=submission_id,
        assignment=str(row["assignment"]),
        student=str(row["student"]),
        late=bool(row["late"]),
        late_by_seconds=int(row["late_by_seconds"]),
        delivery_delay_suspected=bool(row["delivery_delay_suspected"]),
    )
