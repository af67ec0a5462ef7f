"""Receipts to students: queued in the transaction that records their message.

A status request (subject ``status``) is answered here too, under the same guards, with the
sender's own versions, grades and extensions instead of a rejection
(:mod:`tdl_inbox.services.mail.status_reply`).

No receipt goes to auto-submitted mail, bounces, mailing lists, our own address or a sender who
already got ``max_per_sender_per_hour`` of them (RFC 3834). A message recorded twice (a second
delivery) is a duplicate and is never recorded, so it never gets a second receipt; the outbox's
dedupe key makes that hold even if queuing is retried.

A rejected message the admin later records as a submission (``recheck``, ``accept``) gets a
follow-up receipt that replaces the rejection: its own dedupe key and code (per submission),
so the first receipt's key does not swallow it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Message, OutboxItem, Submission
from tdl_inbox.adapters.mime import ParsedMail
from tdl_inbox.domain.rejection_codes import code_of
from tdl_inbox.domain.rejections import Reason, ReasonCode
from tdl_inbox.services.grading.versions import ranked
from tdl_inbox.services.mail.feedback_text import FEEDBACK_TEXTS
from tdl_inbox.services.mail.outbox import Letter, enqueue
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy
from tdl_inbox.services.mail.receipt_text import (
    TEXTS,
    duration,
    local_time,
    reason_text,
    size,
)
from tdl_inbox.services.mail.status_reply import status_lines

_MSGID = re.compile(r"^<[^<>\s]{1,250}>$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def receipt_code(message: Message, follow_up_of: int | None = None) -> str:
    """The code a student quotes; a follow-up receipt's also names its submission."""
    seed = f"{message.id}:{message.raw_sha256}"
    if follow_up_of is not None:
        seed += f":s{follow_up_of}"
    digest = hashlib.sha256(seed.encode()).digest()
    text = base64.b32encode(digest).decode()[:10]
    return f"{text[:5]}-{text[5:]}"


def _clean(text: str | None, limit: int = 200) -> str:
    return _CONTROL.sub(" ", text or "").strip()[:limit]


def _why_not(
    session: Session,
    policy: ReceiptPolicy,
    message: Message,
    mail: ParsedMail,
    now: datetime,
    follow_up: bool,
) -> str | None:
    sender = message.sender
    if not sender or "@" not in sender or _CONTROL.search(sender):
        return "no usable sender address"
    if mail.auto_submitted:
        return "automatic mail (RFC 3834)"
    if sender.lower() == parseaddr(policy.sender_address)[1].lower():
        return "our own address"
    # A follow-up is news of the admin's act today, however old the message.
    if not follow_up and policy.max_age is not None and message.arrived_at < now - policy.max_age:
        return "older than receipts.max_age_hours"
    recent = session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(OutboxItem.to_addr == sender, OutboxItem.created_at > now - timedelta(hours=1))
    )
    if (recent or 0) >= policy.max_per_sender_per_hour:
        return "receipts.max_per_sender_per_hour reached"
    return None


def _submission_lines(
    session: Session, policy: ReceiptPolicy, message: Message, sub: Submission
) -> list[str]:
    t, zone = TEXTS[policy.language], policy.zone
    zone_name = f"{policy.zone.key}, UTC{sub.arrived_at.astimezone(zone).strftime('%z')}"
    lines = [
        t["recorded"].format(assignment=sub.assignment, student=_clean(sub.student, 100)),
        *([t["note"].format(note=_clean(sub.note, 100))] if sub.note else []),
        "",
        t["arrived"].format(arrived=local_time(sub.arrived_at, zone), zone=zone_name),
        t["deadline"].format(deadline=local_time(sub.deadline, zone), zone=zone_name),
        t["late"].format(late_by=duration(sub.late_by_seconds, policy.language))
        if sub.late
        else t["on_time"],
    ]
    if sub.delivery_delay_suspected and message.sent_at is not None:
        lines.append(t["delay_note"].format(sent=local_time(message.sent_at, zone)))
    lines.append("")
    if message.attachments:
        lines.append(t["files"])
        lines += [
            t["file"].format(
                name=_clean(a.filename, 120), size=size(a.size, policy.language), sha256=a.sha256
            )
            for a in message.attachments
        ]
    else:
        lines.append(t["no_files"])
    lines += ["", _counting_line(session, policy, sub)]
    return lines


def _counting_line(session: Session, policy: ReceiptPolicy, sub: Submission) -> str:
    """Which version counts once every version recorded so far (the whole batch) is in, and
    why, told from this version's side: a newer version replaces an older one, a late one
    does not replace an on-time one, or the staff chose."""
    t = TEXTS[policy.language]
    versions = ranked(policy.counting, sub.assignment, sub.owner)
    rows = session.execute(
        select(
            Submission.id,
            Submission.arrived_at,
            Submission.late,
            Submission.chosen,
            versions.c.version,
            versions.c.rank,
        ).join(versions, versions.c.id == Submission.id)
    ).all()
    mine = next(r for r in rows if r.id == sub.id)
    counting = next(r for r in rows if r.rank == 1)
    if counting.id == mine.id:
        return t["counts_this"].format(version=mine.version)
    if counting.chosen:
        text = "counts_chosen"
    elif mine.late and not counting.late:
        text = "counts_on_time"
    elif counting.version > mine.version:
        text = "counts_newer"
    else:
        text = "counts_earlier"
    return t[text].format(
        version=counting.version, when=local_time(counting.arrived_at, policy.zone)
    )


def _rejection_was_queued(session: Session, message: Message) -> bool:
    """Whether the student was told the message was not recorded (the follow-up says it
    replaces that reply only if there was one)."""
    first = session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.dedupe_key == f"receipt:{message.id}", OutboxItem.kind == "rejection"
        )
    )
    return first is not None


def _is_status_request(message: Message, why: Reason | None) -> bool:
    if why is not None:
        return why.code is ReasonCode.STATUS_REQUEST
    return message.rejection is not None and code_of(message.rejection.reason) is (
        ReasonCode.STATUS_REQUEST
    )


def _kind(message: Message, why: Reason | None) -> str:
    if message.submission is not None:
        return "receipt"
    return "status" if _is_status_request(message, why) else "rejection"


def queue_receipt(
    session: Session,
    policy: ReceiptPolicy,
    message: Message,
    mail: ParsedMail,
    now: datetime,
    why: Reason | None,
    *,
    follow_up: bool = False,
) -> OutboxItem | None:
    """Queue the receipt for a just-recorded message (flushed, so it has an id); ``why`` is
    the reason a rejected one was not recorded, told to the student in their language.

    ``follow_up``: the message was rejected before and is now a submission; the receipt says
    it replaces the earlier reply, once per submission."""
    if follow_up and message.submission is None:
        raise ValueError("a follow-up receipt is for a message that is now a submission")
    if _why_not(session, policy, message, mail, now, follow_up) is not None:
        return None
    t = TEXTS[policy.language]
    sub = message.submission
    code = receipt_code(message, sub.id if follow_up and sub is not None else None)
    dedupe_key = f"receipt:{message.id}"
    if sub is not None:
        body = _submission_lines(session, policy, message, sub)
        if follow_up:
            dedupe_key = f"receipt:{message.id}:s{sub.id}"
            if _rejection_was_queued(session, message):
                body = [t["follow_up"], "", *body]
    elif _is_status_request(message, why):
        body = status_lines(session, policy, message.sender or "")
    else:
        assert message.rejection is not None
        reason = message.rejection.reason if why is None else reason_text(why, policy.language)
        body = [t["rejected"].format(reason=reason), "", t["expected"]]
        if why is not None and why.code == ReasonCode.REGRADE_REQUEST:
            assignment = dict(why.params).get("assignment", "")
            texts = FEEDBACK_TEXTS[policy.language]
            body = [texts["regrade_received"].format(assignment=assignment)]
    text = "\n".join(
        [
            t["greeting"],
            "",
            *body,
            "",
            t["code"].format(code=code),
            "",
            t["signature"].format(course=policy.course_name),
            "",
        ]
    )
    message_id = (
        message.message_id if message.message_id and _MSGID.match(message.message_id) else None
    )
    references = (
        " ".join(
            part
            for part in (_clean(mail.references, 900), message_id)
            if part and _MSGID.match(part.split()[-1])
        )
        or None
    )
    subject = _clean(message.subject) or t["no_subject"]
    if not subject.lower().startswith("re:"):
        subject = t["subject_prefix"] + subject
    return enqueue(
        session,
        Letter(
            kind=_kind(message, why),
            to_addr=message.sender or "",
            subject=subject,
            body_text=text,
            in_reply_to=message_id,
            references=references,
            dedupe_key=dedupe_key,
            message_pk=message.id,
            receipt_code=code,
        ),
        policy.sender_address,
        now,
    )
