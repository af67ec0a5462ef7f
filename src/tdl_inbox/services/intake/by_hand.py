"""``accept`` and ``reject``: the admin overrules how a message was read.

``accept m18``: a rejected message (a subject like ``homework``) becomes a submission of the
assignment and student the admin names, judged and linked to the roster as ingest would have
done, and the student gets a follow-up receipt replacing the rejection.

``reject s42``: a submission that is not one (a question sent with a homework subject) leaves
the queue: its message becomes rejected with the admin's reason. Its claim goes with it; its
grades too, but only with ``force`` (a graded submission is refused otherwise). Versions are
numbered by arrival among the submissions that remain, so the student's later versions move
up by one and the counting version is chosen again by the configured policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Claim, Grade, Message, Rejection, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.classify import Accepted
from tdl_inbox.domain.ids import Ref, submission_ref
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services import audit
from tdl_inbox.services.grading.refs import rejected_message_id_of, submission_id_of
from tdl_inbox.services.grading.roster import link_in
from tdl_inbox.services.intake.batch_lookups import BatchLookups
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.recheck import (
    Change,
    change_of,
    read_raw,
    replace_rejections,
    send_follow_ups,
)
from tdl_inbox.services.intake.recording import submission_row

MAX_NAME = 200
MAX_REASON = 1000
BY_HAND = "rejected by hand: "
"""Starts a reason the admin wrote, as no reason code's text starts: ``recheck`` never turns a
submission the admin rejected back into one, whatever the admin wrote."""


def accept(
    session: Session,
    store: BlobStore,
    ctx: IngestContext,
    ref: Ref,
    assignment_key: str,
    student: str,
    now: datetime,
    *,
    actor: str,
) -> Change:
    """Record rejected message ``ref`` as ``student``'s submission of ``assignment_key``."""
    message_id = rejected_message_id_of(session, ref)
    assignment = ctx.assignments.get(assignment_key)
    if assignment is None:
        raise TdlInboxError(f"unknown assignment {assignment_key} (see `tdl-inbox assignments`)")
    name = " ".join(student.split())
    if not name:
        raise TdlInboxError("the student's name is empty")
    if len(name) > MAX_NAME:
        raise TdlInboxError(f"the student's name is longer than {MAX_NAME} characters")
    message = session.get(Message, message_id)
    assert message is not None
    verdict = Accepted(assignment, name)
    lookups = BatchLookups(session)
    lookups.load_roster([message.sender] if message.sender else [], [name])
    link = link_in(lookups, message.sender, name)
    lookups.load_extensions([link.owner])
    row = submission_row(lookups, verdict, link, message.arrived_at, message.sent_at)
    mail = read_raw(store, message) if ctx.receipts is not None else None
    [submission_id] = replace_rejections(session, [message_id], [row])
    if ctx.receipts is not None and mail is not None:
        send_follow_ups(session, ctx.receipts, [(message_id, mail)], now)
    audit.record(
        session,
        actor=actor,
        action="accept",
        now=now,
        submission_id=submission_id,
        details={"message_id": message_id, "assignment": assignment_key, "student": name},
    )
    return change_of(message_id, submission_id, row)


@dataclass(frozen=True)
class Rejected:
    message_id: int
    submission_id: int
    reason: str
    grades_removed: int


def reject(
    session: Session, ref: Ref, reason: str, *, force: bool, actor: str, now: datetime
) -> Rejected:
    """Take submission ``ref`` out of the queue: its message becomes rejected for ``reason``."""
    submission_id = submission_id_of(session, ref)
    text = " ".join(reason.split())
    if not text:
        raise TdlInboxError("the reason is empty")
    if len(text) > MAX_REASON:
        raise TdlInboxError(f"the reason is longer than {MAX_REASON} characters")
    graded = session.scalar(
        select(func.count()).select_from(Grade).where(Grade.submission_id == submission_id)
    )
    if graded and not force:
        raise TdlInboxError(
            f"{submission_ref(submission_id)} is graded ({graded} grade(s)); --force rejects "
            "it and deletes its grades"
        )
    submission = session.get(Submission, submission_id)
    assert submission is not None
    message_id = submission.message_pk
    session.execute(delete(Claim).where(Claim.submission_id == submission_id))
    session.execute(delete(Grade).where(Grade.submission_id == submission_id))
    session.delete(submission)
    session.flush()
    stored = BY_HAND + text
    session.add(Rejection(message_pk=message_id, reason=stored))
    audit.record(
        session,
        actor=actor,
        action="reject",
        now=now,
        submission_id=submission_id,
        details={
            "message_id": message_id,
            "reason": text,
            "forced": force,
            "grades_removed": graded or 0,
        },
    )
    session.flush()
    return Rejected(message_id, submission_id, stored, graded or 0)
