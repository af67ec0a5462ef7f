"""``receipt CODE``: from the code a student quotes to what we recorded and told them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Message, OutboxItem
from tdl_inbox.errors import NotFound


@dataclass(frozen=True)
class ReceiptInfo:
    code: str
    message_id: int
    submission_id: int | None
    assignment: str | None
    student: str | None
    late: bool | None
    rejected_reason: str | None
    sender: str | None
    subject: str | None
    arrived_at: datetime
    receipt_status: str
    receipt_sent_at: datetime | None


def find_receipt(session: Session, code: str) -> ReceiptInfo:
    normalized = code.strip().upper().replace(" ", "")
    if len(normalized) == 10 and "-" not in normalized:
        normalized = normalized[:5] + "-" + normalized[5:]
    item = session.scalar(select(OutboxItem).where(OutboxItem.receipt_code == normalized))
    if item is None or item.message_pk is None:
        raise NotFound(f"no receipt with code {code!r}")
    message = session.get(Message, item.message_pk)
    assert message is not None
    sub, rej = message.submission, message.rejection
    return ReceiptInfo(
        code=normalized,
        message_id=message.id,
        submission_id=sub.id if sub else None,
        assignment=sub.assignment if sub else None,
        student=sub.student if sub else None,
        late=sub.late if sub else None,
        rejected_reason=rej.reason if rej else None,
        sender=message.sender,
        subject=message.subject,
        arrived_at=message.arrived_at,
        receipt_status=item.status,
        receipt_sent_at=item.sent_at,
    )
