"""Checks shared by the fault tests: what the database and the store hold after a fault."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from tdl_inbox.adapters.db.models import Attachment, FolderState, Message
from tdl_inbox.adapters.store import TMP_PREFIX
from tdl_inbox.app import App

BLOB_PATH = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")


FIRST_NAMES = ("Ivan", "Petr", "Anna", "Oleg", "Nina", "Olga", "Pavel", "Irina", "Gleb", "Vera")
LAST_NAMES = ("Ivanov", "Petrov", "Sidorov", "Smirnov", "Kuznetsov", "Popov", "Volkov", "Sokolov")


def student_name(n: int) -> str:
    """A distinct student per ``n`` (names differing only in digits are the same student)."""
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
    lap = n // (len(FIRST_NAMES) * len(LAST_NAMES))
    return f"{first} {last}" + ("" if lap == 0 else "-" + "abcdefghijklmnopqrstuvwxyz"[lap % 26])


def message_count(app: App) -> int:
    with app.sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(Message)) or 0)


@dataclass(frozen=True)
class Recorded:
    uids: list[int]
    message_ids: list[str | None]
    digests: set[str]
    last_uid: int | None


def recorded(app: App) -> Recorded:
    with app.sessions.begin() as session:
        rows = session.execute(select(Message.uid, Message.message_id, Message.raw_sha256)).all()
        attachments = session.scalars(select(Attachment.sha256)).all()
        states = session.scalars(select(FolderState.last_uid)).all()
    return Recorded(
        uids=[uid for uid, _, _ in rows],
        message_ids=[mid for _, mid, _ in rows],
        digests={digest for _, _, digest in rows} | set(attachments),
        last_uid=states[0] if states else None,
    )


def store_problems(root: Path, *, verified: set[str] | None = None) -> list[str]:
    """Everything wrong with a store: a file under its final name whose content does not hash
    to its name (a half-written file made visible), a file outside ``sha256/ab/cd/<hex>``.

    Temporary files (``tmp/.tmp-*``) are invisible by design and not reported. ``verified``
    caches digests already checked (blobs never change once in place).
    """
    problems = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            if relative.startswith("tmp/") and name.startswith(TMP_PREFIX):
                continue
            found = BLOB_PATH.fullmatch(relative)
            if found is None or found.group(3)[:4] != found.group(1) + found.group(2):
                problems.append(f"unexpected file in the store: {relative}")
                continue
            digest = found.group(3)
            if verified is not None and digest in verified:
                continue
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"content of {relative} does not match its name")
            elif verified is not None:
                verified.add(digest)
    return problems


def temp_files(root: Path) -> list[str]:
    tmp = root / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []
