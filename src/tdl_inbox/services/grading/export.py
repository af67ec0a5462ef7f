"""Copy the counting versions' files of one assignment into ``DIR/<student>/`` for offline grading.

Directory and file names come from student-controlled text, so they are made safe: no path
separators, no control or bidi characters, no reserved Windows names, bounded length, and a
numeric suffix instead of overwriting.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import Message, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.versions import Policy, ranked

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
# File systems limit a name to 255 bytes; leave room for " (N)" suffixes.
MAX_NAME_BYTES = 200


def _fit(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes without splitting a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_name(text: str, fallback: str) -> str:
    """A file name made from sender text: at most ``MAX_NAME_BYTES``, extension kept."""
    text = "".join(
        ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Cf"
    )
    text = _UNSAFE.sub("_", text).strip(" .")
    if text.split(".")[0].strip().lower() in _RESERVED:
        text = "_" + text
    if len(text.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, suffix = text.rpartition(".")
        if dot and len(suffix.encode("utf-8")) <= 10:
            text = _fit(stem, MAX_NAME_BYTES - len(suffix.encode("utf-8")) - 1) + "." + suffix
        else:
            text = _fit(text, MAX_NAME_BYTES)
    return text or fallback


def _unique(directory: Path, name: str) -> Path:
    candidate = directory / name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    counter = 2
    while candidate.exists():
        candidate = directory / (
            f"{stem} ({counter}).{suffix}" if suffix else f"{stem} ({counter})"
        )
        counter += 1
    return candidate


@dataclass(frozen=True)
class Exported:
    submission_id: int
    student: str
    files: tuple[Path, ...]


def export_assignment(
    session: Session, store: BlobStore, policy: Policy, assignment: str, target: Path
) -> list[Exported]:
    versions = ranked(policy, assignment)
    query = (
        select(Submission, Student.name)
        .join(versions, (versions.c.id == Submission.id) & (versions.c.rank == 1))
        .outerjoin(Student, Student.id == Submission.student_id)
        .options(selectinload(Submission.message).selectinload(Message.attachments))
        .order_by(Submission.arrived_at)
    )
    if target.exists() and any(target.iterdir()):
        raise TdlInboxError(f"export directory {target} is not empty; choose a new one")
    target.mkdir(parents=True, exist_ok=True)
    exported = []
    for sub, roster_name in session.execute(query):
        student = roster_name or sub.student
        folder = _unique(target, safe_name(student, f"submission-{sub.id}"))
        folder.mkdir()
        files = []
        for attachment in sub.message.attachments:
            name = safe_name(attachment.filename, f"attachment-{attachment.position + 1}")
            destination = _unique(folder, name)
            shutil.copyfile(store.path_for(attachment.sha256), destination)
            files.append(destination)
        exported.append(Exported(sub.id, student, tuple(files)))
    return exported
