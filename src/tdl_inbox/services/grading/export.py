"""Copy the counting versions' files of one assignment into ``DIR/s<id> - <student>/`` for
offline grading, with ``DIR/manifest.csv`` listing what went where.

Directory and file names come from student-controlled text, so they are made safe: no path
separators, no control or bidi characters, no reserved Windows names, bounded length, and a
numeric suffix instead of overwriting.  The submission id in a folder's name tells namesakes
apart.  A file whose name does not end in its content's extension gets that extension added
(``solution`` holding a PDF becomes ``solution.pdf``, ``hw.exe`` becomes ``hw.exe.bin``), so it
opens with the right program and nothing else.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tdl_inbox.adapters.db.models import Message, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.adapters.store_views import read_head
from tdl_inbox.domain.file_types import name_extension, safe_extension
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.versions import Policy, ranked
from tdl_inbox.services.reporting.csv_text import render_csv
from tdl_inbox.services.reporting.formatting import human_duration, iso

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("id", "student", "assignment", "arrived", "verdict", "folder", "files")

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


def with_extension(name: str, extension: str) -> str:
    """``name``, with ``.extension`` added unless it already ends in it."""
    return name if name_extension(name) == extension else f"{name}.{extension}"


@dataclass(frozen=True)
class Exported:
    submission_id: int
    student: str
    folder: Path
    files: tuple[Path, ...]


def export_assignment(
    session: Session,
    store: BlobStore,
    policy: Policy,
    assignment: str,
    target: Path,
    zone: ZoneInfo,
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
    manifest: list[list[object]] = []
    for sub, roster_name in session.execute(query):
        student = roster_name or sub.student
        folder = _unique(target, safe_name(f"s{sub.id} - {student}", f"s{sub.id}"))
        folder.mkdir()
        files = []
        for attachment in sub.message.attachments:
            name = safe_name(attachment.filename, f"attachment-{attachment.position + 1}")
            extension = safe_extension(attachment.filename, read_head(store, attachment.sha256))
            destination = _unique(folder, with_extension(name, extension))
            shutil.copyfile(store.path_for(attachment.sha256), destination)
            files.append(destination)
        exported.append(Exported(sub.id, student, folder, tuple(files)))
        verdict = f"LATE {human_duration(sub.late_by_seconds)}" if sub.late else "on time"
        manifest.append(
            [
                sub.id,
                student,
                sub.assignment,
                iso(sub.arrived_at, zone),
                verdict,
                folder.name,
                "\n".join(path.name for path in files),
            ]
        )
    manifest_text = render_csv(MANIFEST_COLUMNS, manifest)
    (target / MANIFEST).write_text(manifest_text, encoding="utf-8", newline="")
    return exported
