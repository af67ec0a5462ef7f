"""Copying the content-addressed store between an install and a backup.

A blob's name is its SHA-256 and a blob never changes, so a file already present under its
name with its size is the same file: copying again only what is missing is enough. A file
may instead be hard-linked from an earlier backup (same content, no space taken). Copies
go to a temporary name in the target directory and are renamed into place once on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tdl_inbox.adapters.fs_sync import fsync_path
from tdl_inbox.errors import StorageError

BLOBS = "sha256"
_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CopyCount:
    files: int
    """Blobs in the source."""
    bytes: int
    copied_files: int
    """Blobs that were missing from the target (copied or linked)."""
    copied_bytes: int


def blob_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every blob under a store root, in a stable order."""
    blobs = root / BLOBS
    if not blobs.is_dir():
        return
    for first in sorted(os.scandir(blobs), key=lambda e: e.name):
        if not first.is_dir(follow_symlinks=False):
            continue
        for second in sorted(os.scandir(first.path), key=lambda e: e.name):
            if not second.is_dir(follow_symlinks=False):
                continue
            for entry in sorted(os.scandir(second.path), key=lambda e: e.name):
                if entry.is_file(follow_symlinks=False) and _DIGEST.fullmatch(entry.name):
                    yield f"{first.name}/{second.name}/{entry.name}", Path(entry.path)


def has_blobs(root: Path) -> bool:
    return next(blob_files(root), None) is not None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _mkdirs(directory: Path, made: set[Path]) -> None:
    missing: list[Path] = []
    for parent in (directory, *directory.parents):
        if parent in made or parent.is_dir():
            break
        missing.append(parent)
    for parent in reversed(missing):
        with contextlib.suppress(FileExistsError):
            parent.mkdir(mode=0o700)
    made.add(directory)


def _copy_file(source: Path, target: Path, *, verify: bool) -> None:
    partial = target.with_name(f".part-{os.getpid()}-{target.name}")
    digest = hashlib.sha256()
    with source.open("rb") as reader:
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as writer:
                while chunk := reader.read(_CHUNK):
                    if verify:
                        digest.update(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            if verify and digest.hexdigest() != target.name:
                raise StorageError(f"{source} does not hash to its name: the backup is damaged")
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise


def mirror_blobs(
    source: Path, target: Path, *, link_from: Path | None = None, verify: bool = False
) -> CopyCount:
    """Give ``target`` every blob of ``source`` it lacks: hard-linked from ``link_from`` (an
    earlier copy) where it has the blob, else copied (``verify``: checked against its name)."""
    files = size = copied = copied_size = 0
    made: set[Path] = set()
    touched: set[Path] = set()
    try:
        for relative, path in blob_files(source):
            length = path.stat().st_size
            files, size = files + 1, size + length
            destination = target / BLOBS / relative
            if _size(destination) == length:
                continue
            _mkdirs(destination.parent, made)
            earlier = None if link_from is None else link_from / BLOBS / relative
            if earlier is None or _size(earlier) != length or not _link(earlier, destination):
                _copy_file(path, destination, verify=verify)
            touched.add(destination.parent)
            copied, copied_size = copied + 1, copied_size + length
        for directory in touched:
            fsync_path(directory)
    except OSError as exc:
        raise StorageError(
            f"cannot copy the store from {source} to {target}: {exc.strerror or exc}"
        ) from None
    return CopyCount(files, size, copied, copied_size)


def _link(existing: Path, new: Path) -> bool:
    """Hard-link; False where the file system cannot (another device, no link support)."""
    with contextlib.suppress(FileNotFoundError):
        new.unlink()  # a file of the wrong size: not this blob
    try:
        os.link(existing, new)
    except OSError:
        return False
    return True


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path)
