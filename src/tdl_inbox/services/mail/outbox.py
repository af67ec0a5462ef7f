"""The outbox: mail is queued in the transaction that causes it and sent afterwards.

Sending marks an item ``sending`` and commits, talks SMTP, then marks it ``sent``. A process
killed between the server's acceptance and that last commit leaves a ``sending`` item, which is
retried after ``STALE_SENDING``: the resend carries the same Message-ID (fixed when the item was
queued), so mail clients show the student one message. Transient failures back off
exponentially; an item the server refuses outright, or that fails ``max_attempts`` times, is
marked ``failed`` and shown by ``outbox``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from tdl_inbox.adapters.db.models import OutboxItem
from tdl_inbox.errors import SmtpError, SmtpRejected
from tdl_inbox.services.intake.ports import Clock

log = logging.getLogger(__name__)
STALE_SENDING = timedelta(minutes=10)
GRADE_MAIL = "grade"
"""The kind of a grade mail (``publish``): a student's reply to one is a regrade request."""
MAX_BACKOFF = timedelta(hours=1)
REPLY_KINDS = ("receipt", "rejection", "status")
"""Letters that answer a student's message (the rest are the admin's alerts and reports)."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


SenderFactory = Callable[[], AbstractContextManager[Sender]]


@dataclass(frozen=True)
class Letter:
    kind: str
    to_addr: str
    subject: str
    body_text: str
    body_html: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    dedupe_key: str | None = None
    message_pk: int | None = None
    receipt_code: str | None = None


def enqueue(
    session: Session, letter: Letter, sender_address: str, now: datetime
) -> OutboxItem | None:
    """Queue ``letter`` unless one with the same dedupe key exists; returns the new item."""
    if letter.dedupe_key is not None:
        exists = session.scalar(
            select(OutboxItem.id).where(OutboxItem.dedupe_key == letter.dedupe_key)
        )
        if exists is not None:
            return None
    item = OutboxItem(
        kind=letter.kind,
        dedupe_key=letter.dedupe_key,
        message_pk=letter.message_pk,
        receipt_code=letter.receipt_code,
        to_addr=letter.to_addr,
        subject=letter.subject,
        body_text=letter.body_text,
        body_html=letter.body_html,
        in_reply_to=letter.in_reply_to,
        references=letter.references,
        email_message_id=new_message_id(sender_address),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def new_message_id(sender_address: str) -> str:
    domain = sender_address.rpartition("@")[2].strip(">") or "tdl-inbox.invalid"
    return make_msgid("tdl-inbox", domain=domain)


def build_email(item: OutboxItem, sender_address: str, now: datetime) -> EmailMessage:
    """The queued ``item`` as the message to send at ``now``."""
    letter = Letter(
        kind=item.kind,
        to_addr=item.to_addr,
        subject=item.subject,
        body_text=item.body_text,
        body_html=item.body_html,
        in_reply_to=item.in_reply_to,
        references=item.references,
    )
    return compose(letter, item.email_message_id, sender_address, now)


def compose(letter: Letter, message_id: str, sender_address: str, now: datetime) -> EmailMessage:
    """The message to send at ``now``. ``policy.SMTP`` refuses CR/LF in header values."""
    message = EmailMessage(policy=SMTP)
    # RFC 5322 requires Date; spam filters penalise mail without it. It is the sending time:
    # a receipt held back by an SMTP outage must not look days old when it finally goes.
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["From"] = sender_address
    message["To"] = letter.to_addr
    message["Subject"] = letter.subject
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-replied" if letter.kind in REPLY_KINDS else "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["Precedence"] = "bulk"
    if letter.in_reply_to:
        message["In-Reply-To"] = letter.in_reply_to
    if letter.references:
        message["References"] = letter.references
    message.set_content(letter.body_text)
    if letter.body_html:
        message.add_alternative(letter.body_html, subtype="html")
    return message


@dataclass
class FlushReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    error: str | None = None


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def due_ids(session: Session, now: datetime, force: bool = False) -> list[int]:
    """Items to try now; ``force`` (an admin's ``outbox send``) ignores the backoff."""
    if force:
        condition: ColumnElement[bool] = OutboxItem.status.in_(("pending", "sending"))
    else:
        condition = or_(
            (OutboxItem.status == "pending") & (OutboxItem.next_attempt_at <= now),
            (OutboxItem.status == "sending") & (OutboxItem.next_attempt_at <= now - STALE_SENDING),
        )
    return list(session.scalars(select(OutboxItem.id).where(condition).order_by(OutboxItem.id)))


def flush(
    sessions: sessionmaker[Session],
    open_sender: SenderFactory,
    sender_address: str,
    clock: Clock,
    max_attempts: int,
    force: bool = False,
) -> FlushReport:
    report = FlushReport()
    with sessions.begin() as session:
        ids = due_ids(session, clock(), force)
    if not ids:
        return report
    try:
        with open_sender() as sender:
            for item_id in ids:
                _send_one(sessions, sender, sender_address, clock, max_attempts, item_id, report)
    except SmtpError as exc:
        # The server itself is away: every waiting item backs off, and none is ever marked
        # failed for it, so a weekend outage loses nothing.
        report.error = str(exc)
        report.deferred = _defer_all(sessions, ids, str(exc), clock())
        log.warning("outbox: %s; %d messages wait for the next attempt", exc, report.deferred)
    return report


def _defer_all(sessions: sessionmaker[Session], ids: list[int], error: str, now: datetime) -> int:
    deferred = 0
    with sessions.begin() as session:
        for item in session.scalars(select(OutboxItem).where(OutboxItem.id.in_(ids))):
            if item.status in ("sent", "failed"):
                continue
            if item.next_attempt_at <= now or item.status == "sending" or item.attempts == 0:
                item.attempts += 1
                item.status = "pending"
                item.next_attempt_at = now + _backoff(item.attempts)
            item.last_error = error
            deferred += 1
    return deferred


def _send_one(
    sessions: sessionmaker[Session],
    sender: Sender,
    sender_address: str,
    clock: Clock,
    max_attempts: int,
    item_id: int,
    report: FlushReport,
) -> None:
    with sessions.begin() as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.status in ("sent", "failed"):
            return
        now = clock()
        item.status, item.attempts, item.next_attempt_at = "sending", item.attempts + 1, now
        message = build_email(item, sender_address, now)
        attempts = item.attempts
    try:
        sender.send(message)
    except SmtpRejected as exc:
        _finish(sessions, item_id, "failed", str(exc), clock())
        report.failed += 1
        return
    except SmtpError as exc:
        if attempts >= max_attempts:
            _finish(sessions, item_id, "failed", str(exc), clock())
            report.failed += 1
        else:
            _finish(sessions, item_id, "pending", str(exc), clock() + _backoff(attempts))
            report.deferred += 1
        raise
    _finish(sessions, item_id, "sent", None, clock())
    report.sent += 1


def _finish(
    sessions: sessionmaker[Session], item_id: int, status: str, error: str | None, when: datetime
) -> None:
    with sessions.begin() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        item.status, item.last_error = status, error
        if status == "sent":
            item.sent_at = when
        else:
            item.next_attempt_at = when


def pending_and_failed(session: Session) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.status != "sent").order_by(OutboxItem.id)
    return list(session.scalars(query))
