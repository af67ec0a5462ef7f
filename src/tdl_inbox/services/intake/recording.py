"""Record fetched messages: files first, then one database transaction.

The transaction writes each message, its submission or rejection, its attachments and the
folder checkpoint together, so a process killed at any point records every message exactly
once after a restart (a blob written before the kill is simply found again by its hash).
Ingest records a whole FETCH batch in one transaction; :func:`record` is a batch of one.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import FolderState, Message
from tdl_inbox.adapters.mime import ParsedMail, parse_mail
from tdl_inbox.adapters.mime_text import mail_text
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.classify import Accepted, Rejected, classify
from tdl_inbox.domain.lateness import judge
from tdl_inbox.domain.rejections import Reason, ReasonCode
from tdl_inbox.services.grading.regrades import current_grader, open_request
from tdl_inbox.services.grading.roster import Link, link_in
from tdl_inbox.services.intake.batch_lookups import BatchLookups, reply_ids
from tdl_inbox.services.intake.batch_rows import BatchRows, Row
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.verdicts import deadline_with_extension
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy
from tdl_inbox.services.mail.receipts import queue_receipt


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


@dataclass
class _Parsed:
    incoming: Incoming
    mail: ParsedMail
    digest: str
    attachments: list[tuple[str, int]]  # digest and size of each attachment
    verdict: Accepted | Rejected
    link: Link | None = None  # set for an accepted submission once the roster is read
    regrade_of: int | None = None  # the submission whose grade mail this message answers

    @property
    def provider_id(self) -> str | None:
        return self.incoming.provider_id or self.mail.provider_id


def verdict_for(ctx: IngestContext, mail: ParsedMail, *, oversized: bool) -> Accepted | Rejected:
    """What ``mail`` is under ``ctx``: ingest asks at arrival, ``recheck`` after a config
    change (``oversized``: only the header was fetched)."""
    if oversized:
        limit_mb = ctx.max_message_bytes / 1_000_000
        return Rejected(Reason.of(ReasonCode.MESSAGE_TOO_LARGE, limit_mb=f"{limit_mb:g}"))
    if mail.error is not None:
        return Rejected(Reason.of(ReasonCode.UNREADABLE, error=mail.error))
    return classify(mail.subject, ctx.assignments, ctx.kind_aliases)


def _parse(store: BlobStore, ctx: IngestContext, incoming: Incoming) -> _Parsed:
    """Parse one message and write its blobs, to be named by ``store.sync()``.

    A message that turns out to be a duplicate has its blobs written too: harmless in a
    content-addressed store, and the batch need not hold every attachment's bytes meanwhile.
    """
    digest = store.put(incoming.raw, durable=False)
    mail = parse_mail(incoming.raw)
    attachments = [
        (store.put(part.data, durable=False), len(part.data)) for part in mail.attachments
    ]
    mail = replace(mail, attachments=tuple(replace(part, data=b"") for part in mail.attachments))
    return _Parsed(
        incoming, mail, digest, attachments, verdict_for(ctx, mail, oversized=incoming.oversized)
    )


def record(
    session: Session, store: BlobStore, ctx: IngestContext, incoming: Incoming, now: datetime
) -> Outcome:
    """Record ``incoming`` inside ``session``'s open transaction (the caller commits)."""
    return record_batch(session, store, ctx, [incoming], now)[0]


def record_batch(
    session: Session,
    store: BlobStore,
    ctx: IngestContext,
    batch: Sequence[Incoming],
    now: datetime,
) -> list[Outcome]:
    """Record ``batch`` (one folder and UIDVALIDITY, UID order) inside ``session``'s open
    transaction and make its blobs durable; the caller commits. One outcome per message."""
    if not batch:
        return []
    first = batch[0].location
    lookups = BatchLookups(session)
    recorded = lookups.recorded_uids(
        first.folder, first.uidvalidity, [incoming.location.uid for incoming in batch]
    )
    parsed = [
        _parse(store, ctx, incoming) for incoming in batch if incoming.location.uid not in recorded
    ]
    lookups.load_messages(
        (p.provider_id for p in parsed if p.provider_id is not None),
        (p.mail.message_id for p in parsed if p.mail.message_id is not None),
    )
    _find_regrade_requests(lookups, parsed)
    accepted = [(p, p.verdict) for p in parsed if isinstance(p.verdict, Accepted)]
    lookups.load_roster(
        (p.mail.from_address for p, _ in accepted if p.mail.from_address),
        (verdict.student for _, verdict in accepted),
    )
    for p, verdict in accepted:
        p.link = link_in(lookups, p.mail.from_address, verdict.student)
    lookups.load_extensions(p.link.owner for p, _ in accepted if p.link is not None)

    rows = BatchRows(session)
    outcomes: dict[int, Outcome] = {}
    added: list[tuple[int, _Parsed]] = []  # (index in rows, parsed) of each new message
    for p in parsed:
        uid = p.incoming.location.uid
        if lookups.is_duplicate(p.provider_id, p.mail.message_id, p.digest):
            outcomes[uid] = Outcome.DUPLICATE
            continue
        same_id = (
            lookups.first_with_message_id(p.mail.message_id, rows.id_of)
            if p.mail.message_id
            else None
        )
        message = _message_row(p, same_id, now)
        attachments = _attachment_rows(p)
        if isinstance(p.verdict, Accepted) and p.link is not None:
            index = rows.add(
                message,
                submission=submission_row(
                    lookups, p.verdict, p.link, p.incoming.arrived_at, p.mail.sent_at
                ),
                attachments=attachments,
            )
            outcomes[uid] = Outcome.SUBMISSION
        else:
            assert isinstance(p.verdict, Rejected)
            index = rows.add(
                message, rejection={"reason": p.verdict.reason}, attachments=attachments
            )
            outcomes[uid] = Outcome.REJECTED
        lookups.added(index, p.provider_id, p.mail.message_id, p.digest)
        added.append((index, p))
    rows.flush()
    _open_regrade_requests(session, [(rows.id_of(i), p) for i, p in added], now)
    advance_checkpoint(session, max((i.location for i in batch), key=lambda loc: loc.uid), now)
    if ctx.receipts is not None and added:
        # Queued only now, after the whole batch is flushed: each receipt says which version
        # counts once every version in this batch is recorded.
        _queue_receipts(session, ctx.receipts, [(rows.id_of(i), p) for i, p in added], now)
    store.sync()
    return [outcomes.get(i.location.uid, Outcome.ALREADY_RECORDED) for i in batch]


def _find_regrade_requests(lookups: BatchLookups, parsed: list[_Parsed]) -> None:
    """A reply to a grade mail is a regrade request, whatever its subject says: one query for
    the batch finds which messages answer one."""
    answered = [reply_ids(p.mail.in_reply_to, p.mail.references) for p in parsed]
    lookups.load_grade_mails(mid for ids in answered for mid in ids)
    for p, ids in zip(parsed, answered, strict=True):
        found = lookups.grade_mail_answered(ids)
        if found is not None:
            p.regrade_of = found[0]
            p.verdict = Rejected(Reason.of(ReasonCode.REGRADE_REQUEST, assignment=found[1]))


def _open_regrade_requests(
    session: Session, added: list[tuple[int, _Parsed]], now: datetime
) -> None:
    for message_id, p in added:
        if p.regrade_of is None:
            continue
        open_request(
            session,
            submission_id=p.regrade_of,
            message_pk=message_id,
            text=mail_text(p.incoming.raw).text,
            routed_to=current_grader(session, p.regrade_of),
            actor=p.mail.from_address or "student",
            now=now,
        )


def _queue_receipts(
    session: Session, policy: ReceiptPolicy, added: list[tuple[int, _Parsed]], now: datetime
) -> None:
    messages = {
        message.id: message
        for message in session.scalars(
            select(Message)
            .where(Message.id.in_([message_id for message_id, _ in added]))
            .options(
                selectinload(Message.submission),
                selectinload(Message.rejection),
                selectinload(Message.attachments),
            )
        )
    }
    for message_id, p in added:  # in UID order: the per-sender cap counts earlier ones
        why = p.verdict.why if isinstance(p.verdict, Rejected) else None
        queue_receipt(session, policy, messages[message_id], p.mail, now, why)


def _message_row(p: _Parsed, same_id: int | None, now: datetime) -> Row:
    mail, loc = p.mail, p.incoming.location
    return {
        "folder": loc.folder,
        "uidvalidity": loc.uidvalidity,
        "uid": loc.uid,
        "provider_id": p.provider_id,
        "message_id": mail.message_id,
        "raw_sha256": p.digest,
        "size": p.incoming.size,
        "arrived_at": p.incoming.arrived_at,
        "sent_at": mail.sent_at,
        "subject": mail.subject,
        "sender": mail.from_address,
        "sender_name": mail.from_name,
        "defects": "; ".join(mail.defects) or None,
        "possible_duplicate_of": same_id,
        "recorded_at": now,
    }


def _attachment_rows(p: _Parsed) -> list[Row]:
    return [
        {
            "position": position,
            "filename": part.filename,
            "content_type": part.content_type,
            "size": size,
            "sha256": digest,
        }
        for position, (part, (digest, size)) in enumerate(
            zip(p.mail.attachments, p.attachments, strict=True)
        )
    ]


def submission_row(
    lookups: BatchLookups,
    verdict: Accepted,
    link: Link,
    arrived_at: datetime,
    sent_at: datetime | None,
) -> Row:
    """The submission row of a message that arrived at ``arrived_at`` (INTERNALDATE), judged
    against the deadline that applies to its owner; ``lookups`` has the owner's extensions."""
    until = lookups.extension_until(link.owner, verdict.assignment.key)
    deadline = deadline_with_extension(verdict.assignment, until)
    lateness = judge(arrived_at, deadline, sent_at)
    return {
        "assignment": verdict.assignment.key,
        "student": verdict.student,
        "note": verdict.note,
        "arrived_at": arrived_at,
        "deadline": deadline,
        "late": lateness.late,
        "late_by_seconds": lateness.late_by_seconds,
        "delivery_delay_suspected": lateness.delivery_delay_suspected,
        "student_id": link.student_id,
        "owner": link.owner,
        "link_flag": link.flag,
        "link_manual": False,
        "chosen": False,
    }
