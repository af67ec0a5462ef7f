"""A submission's files for the graders' workspace: which blobs belong to it, how its page shows
each one, and the bytes to send.

A file is served only when the SHA-256 a request names is recorded as an attachment of that
very submission: nothing in a request becomes a path, and one submission's address never
reaches another's files. How a file is shown follows from its bytes, as its headers do
(:func:`tdl_inbox.services.grading.attachments.serving`): a PDF in the browser's own viewer,
an image inline, a notebook rendered here (:func:`render_notebook`), anything else a download.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Message, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.adapters.store_views import HEAD_BYTES, read_head
from tdl_inbox.domain.file_types import safe_extension
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import NotFound
from tdl_inbox.services.grading.attachments import INLINE_TYPES, Serving, serving
from tdl_inbox.services.grading.grades import get_submission
from tdl_inbox.services.grading.notebook import render_notebook


@dataclass(frozen=True)
class FileView:
    kind: str
    """``pdf`` (the browser's viewer), ``image`` (inline), ``notebook`` (rendered) or ``file``
    (a download link)."""
    notebook_html: str | None = None
    """For a notebook: the fragment from :func:`render_notebook`, which runs nothing."""


def file_view(store: BlobStore, filename: str, sha256: str) -> FileView:
    """How a submission's page shows the blob ``sha256`` that its sender called ``filename``."""
    extension = safe_extension(filename, read_head(store, sha256))
    content_type = INLINE_TYPES.get(extension)
    if content_type == "application/pdf":
        return FileView("pdf")
    if content_type is not None:
        return FileView("image")
    if extension == "ipynb":
        try:
            return FileView("notebook", render_notebook(store.read(sha256)))
        except OSError:
            return FileView("file")
    return FileView("file")


@dataclass(frozen=True)
class ServedFile:
    data: bytes
    serving: Serving


def _stored(store: BlobStore, digest: str) -> bytes:
    try:
        return store.read(digest)
    except OSError:
        raise NotFound(f"the stored file {digest} is missing from the store") from None


def attachment_to_serve(
    session: Session, store: BlobStore, submission_id: int, sha256: str
) -> ServedFile:
    """The attachment of ``submission_id`` stored under ``sha256`` and how to send it; NotFound
    when the submission has no such attachment (or no such submission)."""
    get_submission(session, submission_id)
    found = session.execute(
        select(Attachment.sha256, Attachment.filename)
        .join(Submission, Submission.message_pk == Attachment.message_pk)
        .where(Submission.id == submission_id, Attachment.sha256 == sha256)
        .order_by(Attachment.position)
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(f"{submission_ref(submission_id)} has no file {sha256[:64]}")
    data = _stored(store, found.sha256)
    return ServedFile(data, serving(data[:HEAD_BYTES], found.filename))


def raw_message(session: Session, store: BlobStore, submission_id: int) -> bytes:
    """The submission's raw message as it arrived (NotFound for no submission)."""
    get_submission(session, submission_id)
    digest: str | None = session.scalar(
        select(Message.raw_sha256)
        .join(Submission, Submission.message_pk == Message.id)
        .where(Submission.id == submission_id)
    )
    assert digest is not None  # every submission is made from a recorded message
    return _stored(store, digest)
