"""From an id a person typed (``s18``, ``m18``, ``18``) to the submission a command acts on.

An id of the wrong kind is refused before anything changes: ``grade m18`` once meant grading
submission 18, another student's work, when the grader had rejected message 18 in mind.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Message, Rejection, Submission
from tdl_inbox.domain.ids import IdKind, Ref, message_ref, submission_ref
from tdl_inbox.errors import NotFound, TdlInboxError

LARGEST_ID = 2**31 - 1
"""Ids are 32-bit integers on PostgreSQL: a larger number is no row (and no query error)."""


class WrongKind(TdlInboxError):
    """An id of a message where a submission is expected."""


def no_submission(submission_id: int) -> NotFound:
    return NotFound(f"no submission {submission_ref(submission_id)} (see `tdl-inbox submissions`)")


def _message_outcome(session: Session, message_id: int) -> tuple[int | None, bool] | None:
    """What message ``message_id`` became: (its submission id, whether it is rejected); None
    for no such message."""
    if message_id > LARGEST_ID:
        return None
    found = session.execute(
        select(Submission.id, Rejection.id)
        .select_from(Message)
        .outerjoin(Submission, Submission.message_pk == Message.id)
        .outerjoin(Rejection, Rejection.message_pk == Message.id)
        .where(Message.id == message_id)
    ).first()
    return None if found is None else (found[0], found[1] is not None)


def submission_id_of(session: Session, ref: Ref) -> int:
    """The id of the submission ``ref`` names; NotFound or WrongKind otherwise."""
    if ref.kind is IdKind.SUBMISSION:
        if ref.number > LARGEST_ID or session.get(Submission, ref.number) is None:
            raise no_submission(ref.number)
        return ref.number
    outcome = _message_outcome(session, ref.number)
    if outcome is None:
        raise NotFound(f"no message {ref}; this command takes a submission id such as s12")
    submission_id, rejected = outcome
    if submission_id is not None:
        raise WrongKind(
            f"{ref} is a message, not a submission: its submission is "
            f"{submission_ref(submission_id)}"
        )
    what = "a rejected message" if rejected else "a message that is not a submission"
    raise WrongKind(
        f"{ref} is {what}, not a submission (submission ids start with s, see "
        "`tdl-inbox submissions`)"
    )


def rejected_message_id_of(session: Session, ref: Ref) -> int:
    """The id of the rejected message ``ref`` names (``m18``, as ``rejected`` lists it);
    NotFound or WrongKind otherwise, before anything changes."""
    if ref.kind is IdKind.SUBMISSION:
        raise WrongKind(
            f"{ref} is a submission id (a bare number is one too); this command takes a "
            "rejected message's id such as m18 (see `tdl-inbox rejected`)"
        )
    outcome = _message_outcome(session, ref.number)
    if outcome is None:
        raise NotFound(f"no message {ref} (see `tdl-inbox rejected`)")
    submission_id, rejected = outcome
    if submission_id is not None:
        raise WrongKind(
            f"{message_ref(ref.number)} is already submission {submission_ref(submission_id)}"
        )
    if not rejected:
        raise NotFound(f"message {ref} is not rejected (see `tdl-inbox rejected`)")
    return ref.number
