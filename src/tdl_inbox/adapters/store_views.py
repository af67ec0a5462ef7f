"""Stored files under a name with an extension, so a grader can open them directly.

Blobs are named by their SHA-256 and have no extension; a viewer picks its program by the
extension.  :func:`open_path` gives ``<store>/views/<sha256>.<ext>``: a hard link to the blob
(no copy, no extra space), or a copy where hard links are refused, created on first use.
Creating it again is harmless, and two graders creating it at once get the same file.
``<ext>`` comes from :func:`tdl_inbox.domain.file_types.safe_extension`, never from the sender
verbatim.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import StorageError

VIEWS = "views"
HEAD_BYTES = 4096


def read_head(store: BlobStore, digest: str) -> bytes:
    """The blob's first bytes, enough to recognise its type; ``b""`` if it is missing."""
    try:
        with store.path_for(digest).open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""


def open_path(store: BlobStore, digest: str, extension: str) -> Path:
    """``<store>/views/<digest>.<extension>``, the blob's content, created if missing."""
    if not extension.isalnum() or not extension.isascii() or len(digest) != 64:
        raise ValueError(f"not a view name: {digest}.{extension}")
    blob = store.path_for(digest)
    views = store.root / VIEWS
    target = views / f"{digest}.{extension}"
    try:
        if _same_size(target, blob):
            return target
        with contextlib.suppress(FileExistsError):
            views.mkdir(mode=0o700)
        # Made under a private name and renamed: a reader never sees a half-written copy.
        partial = views / f".{digest}.{extension}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        try:
            os.link(blob, partial)
        except OSError:  # another file system, or hard links refused: copy instead
            shutil.copyfile(blob, partial)
            partial.chmod(0o600)
        os.replace(partial, target)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StorageError(f"cannot make {target}: {reason}") from None
    return target


def _same_size(target: Path, blob: Path) -> bool:
    try:
        return target.stat().st_size == blob.stat().st_size
    except FileNotFoundError:
        return False
