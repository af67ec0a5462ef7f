"""Content-addressed file store for raw messages and attachments.

A blob lives at ``<dir>/sha256/ab/cd/<hex digest>``. Nothing a sender writes ever becomes part
of a path. Writes go to a temporary file in the same directory, are fsynced, then renamed,
so a crash never leaves a half-written blob under its final name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from tdl_inbox.errors import StorageError


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        """Create the store directory, owner-only, or explain why it cannot be."""
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.root / "sha256").mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create store directory {self.root}: {exc.strerror}"
            ) from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"store directory {self.root} is not writable")

    def path_for(self, digest: str) -> Path:
        return self.root / "sha256" / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its SHA-256 hex digest. Idempotent."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
            _fsync_dir(target.parent)
        except OSError as exc:
            reason = "disk is full" if exc.errno == errno.ENOSPC else exc.strerror
            raise StorageError(f"cannot write to store directory {self.root}: {reason}") from None
        return digest

    def read(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def verify(self, digest: str) -> bool:
        """True when the blob exists and its content still hashes to ``digest``."""
        path = self.path_for(digest)
        if not path.is_file():
            return False
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        return hasher.hexdigest() == digest


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
