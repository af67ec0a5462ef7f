"""Content-addressed file store for raw messages and attachments.

A blob lives at ``<dir>/sha256/ab/cd/<hex digest>``. Nothing a sender writes ever becomes part
of a path. Writes go to a temporary file ``<dir>/tmp/.tmp-*`` (same file system), are made
durable, then renamed into place, so a crash never leaves a half-written blob under its final
name; the temporary files a killed process leaves behind are removed by the next ingester
(:meth:`BlobStore.discard_partial_writes`). Every directory is created owner-only.

Ingest writes a whole batch with ``put(..., durable=False)`` and calls :meth:`BlobStore.sync`
once before its database transaction commits: one file-system flush for the batch instead of
two fsyncs per blob. Those writes run on a writer thread: creating a file costs 0.1-0.4 ms
of kernel time on an ordinary ext4 disk, which then overlaps with parsing and fetching.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import itertools
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

from tdl_inbox.adapters.fs_sync import fsync_path, make_durable
from tdl_inbox.errors import StorageError

TMP_PREFIX = ".tmp-"

# What an OSError means to the admin, by errno; anything else is described by its strerror.
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file is larger than this file system or the process's file size limit allows",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a path component is not a directory",
    errno.EEXIST: "a file is in the way of a directory",
}


def _blob_path(blobs: str, digest: str) -> str:
    """The store's layout: a blob is named by its digest, two directory levels deep."""
    return f"{blobs}{os.sep}{digest[:2]}{os.sep}{digest[2:4]}{os.sep}{digest}"


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        # digest -> (temporary file, final name) being written, until sync()
        self._pending: dict[str, Future[tuple[str, str]]] = {}
        self._made: set[Path] = set()  # directories known to exist: mkdir costs a syscall
        self._writers: ThreadPoolExecutor | None = None
        self._names = itertools.count()

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> None:
        """Create the store directory, owner-only, or explain why it cannot be."""
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            for directory in (self.root, self.root / "sha256", self.tmp_dir):
                _mkdir_private(directory)
        except OSError as exc:
            raise StorageError(
                f"cannot create store directory {self.root}: {_reason(exc)}"
            ) from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"store directory {self.root} is not writable")

    def discard_partial_writes(self) -> int:
        """Delete the temporary files of writes that never finished (a killed process).

        Only for the one ingester (``poll``/``run`` hold the daemon lock): another process's
        write in flight would be lost. Returns how many files were removed.
        """
        removed = 0
        try:
            entries = list(os.scandir(self.tmp_dir))
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise StorageError(
                f"cannot read store directory {self.tmp_dir}: {_reason(exc)}"
            ) from None
        for entry in entries:
            if entry.name.startswith(TMP_PREFIX) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    def path_for(self, digest: str) -> Path:
        return Path(_blob_path(os.path.join(self.root, "sha256"), digest))

    def paths(self, *, resolved: bool = False) -> Callable[[str], str]:
        """``path_for`` as a function of the digest returning a string, without pathlib's
        per-call cost (a listing or report on a big course asks for thousands). ``resolved``
        resolves the root once: below it nothing is a symlink (the store creates every
        directory and file), so the paths are absolute at no system call per file."""
        root = self.root.resolve() if resolved else self.root
        return functools.partial(_blob_path, os.path.join(root, "sha256"))

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store ``data`` and return its SHA-256 hex digest. Idempotent.

        ``durable=False`` only starts writing a temporary file: the blob gets its name,
        durably, at the next :meth:`sync` (or is dropped by :meth:`abandon`).
        """
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._pending:
            return digest
        target = self.path_for(digest)
        if _size_of(target) == len(data):
            return digest
        if not durable:
            if self._writers is None:
                self._writers = ThreadPoolExecutor(1, thread_name_prefix="blob-writer")
            self._pending[digest] = self._writers.submit(self._write_temporary, target, data)
            return digest
        try:
            tmp_name, _ = self._write_temporary(target, data)
            try:
                fsync_path(tmp_name)
                os.replace(tmp_name, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
            fsync_path(target.parent)
        except OSError as exc:
            self._fail([], exc)
        return digest

    def sync(self) -> None:
        """Give every blob written with ``durable=False`` its name, durably: content on disk
        first, then the renames, so a blob never appears under its name before its bytes."""
        written = self._collect()
        if not written:
            return
        try:
            # Generators: without syncfs, make_durable walks them to fsync one by one.
            make_durable(self.root, (tmp_name for tmp_name, _ in written))
            for tmp_name, target in written:
                os.replace(tmp_name, target)
            make_durable(self.root, {os.path.dirname(target) for _, target in written})
        except OSError as exc:
            self._fail(written, exc)

    def abandon(self) -> None:
        """Drop the blobs written with ``durable=False`` since the last :meth:`sync`."""
        with contextlib.suppress(StorageError):
            for tmp_name, _ in self._collect():
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    def close(self) -> None:
        self.abandon()
        if self._writers is not None:
            self._writers.shutdown()
            self._writers = None

    def _collect(self) -> list[tuple[str, str]]:
        """Wait for the pending writes: (temporary file, final name) of each."""
        pending, self._pending = self._pending, {}
        written: list[tuple[str, str]] = []
        failure: OSError | None = None
        for future in pending.values():
            try:
                written.append(future.result())
            except OSError as exc:
                failure = failure or exc
        if failure is not None:
            self._fail(written, failure)
        return written

    def _fail(self, written: list[tuple[str, str]], exc: OSError) -> NoReturn:
        """Remove ``written``'s temporary files and raise the admin's error. The directory
        cache is dropped too: the failure may be a directory removed under us."""
        self._made.clear()
        for tmp_name, _ in written:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        raise StorageError(f"cannot write to store directory {self.root}: {_reason(exc)}") from None

    def _write_temporary(self, target: Path, data: bytes) -> tuple[str, str]:
        self._make_dirs(target.parent)
        fd, tmp_name = self._create_temporary(target.name)
        try:
            with memoryview(data) as view:
                written = 0
                while written < len(view):
                    written += os.write(fd, view[written:])
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        finally:
            os.close(fd)
        return tmp_name, str(target)

    def _create_temporary(self, digest: str) -> tuple[int, str]:
        """A new owner-only file in tmp/. Named by process, counter and digest rather than
        by ``tempfile`` (whose Python-level name drawing holds the GIL the parser needs);
        ``O_EXCL`` still guarantees the file is ours."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        for _attempt in range(100):
            name = f"{self.tmp_dir}/{TMP_PREFIX}{os.getpid()}-{next(self._names)}-{digest[:16]}"
            try:
                return os.open(name, flags, 0o600), name
            except FileExistsError:  # left by an earlier process with the same pid
                continue
            except FileNotFoundError:  # tmp/ removed since ensure()
                _mkdir_private(self.tmp_dir)
        raise FileExistsError(errno.EEXIST, "no free temporary file name", str(self.tmp_dir))

    def _make_dirs(self, leaf: Path) -> None:
        """Create ``leaf`` (``sha256/ab/cd``) and what is missing above it, owner-only. A new
        leaf usually costs one ``mkdir``: the levels above are created once."""
        if leaf in self._made:
            return
        try:
            os.mkdir(leaf, 0o700)
        except FileExistsError:
            if not leaf.is_dir():
                raise
        except FileNotFoundError:
            for directory in (self.root, self.root / "sha256", leaf.parent, leaf, self.tmp_dir):
                _mkdir_private(directory)
        self._made.add(leaf)

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


def _size_of(path: Path) -> int | None:
    """The file's size, or None if there is no file (one ``stat``, not two)."""
    try:
        return os.stat(path).st_size
    except (FileNotFoundError, NotADirectoryError):
        return None


def _mkdir_private(directory: Path) -> None:
    """``mkdir`` one level with mode 0700 (``Path.mkdir(parents=True)`` gives the parents the
    default mode, which lets other users list the store)."""
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        if not directory.is_dir():
            raise
