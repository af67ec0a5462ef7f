"""Which stored blobs belong to a submission: a file is served only when the SHA-256 a request
names is recorded as an attachment of that very submission, so nothing in a request becomes a
path and one submission's address never reaches another's files."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Message, Submission
from tdl_inbox.services.grading.grades import get_submission


@dataclass(frozen=True)
class RecordedFile:
    sha256: str
    filename: str
    """As the sender wrote it: for the cleaned download name only."""


def recorded_attachment(session: Session, submission_id: int, sha256: str) -> RecordedFile | None:
    """The attachment of ``submission_id`` stored under ``sha256``; None if it has none such
    (NotFound for no submission)."""
    get_submission(session, submission_id)
    found = session.execute(
        select(Attachment.sha256, Attachment.filename)
        .join(Submission, Submission.message_pk == Attachment.message_pk)
        .where(Submission.id == submission_id, Attachment.sha256 == sha256.lower())
        .order_by(Attachment.position)
        .limit(1)
    ).first()
    return None if found is None else RecordedFile(found.sha256, found.filename)


def raw_message_digest(session: Session, submission_id: int) -> str:
    """The SHA-256 the submission's raw message is stored under (NotFound for no submission)."""
    get_submission(session, submission_id)
    digest: str | None = session.scalar(
        select(Message.raw_sha256)
        .join(Submission, Submission.message_pk == Message.id)
        .where(Submission.id == submission_id)
    )
    assert digest is not None  # every submission is made from a recorded message
    return digest
