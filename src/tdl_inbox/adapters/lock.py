"""One daemon per database: a file lock beside a SQLite file, an advisory lock on PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from sqlalchemy import Engine, text

from tdl_inbox.adapters.db.engine import sqlite_path
from tdl_inbox.errors import AlreadyRunning

# An arbitrary constant that names "the tdl-inbox daemon" among PostgreSQL advisory locks.
PG_LOCK_KEY = 0x7D1_1B0C


@contextlib.contextmanager
def daemon_lock(engine: Engine) -> Iterator[None]:
    """Hold the daemon lock for the duration of the block, or raise AlreadyRunning."""
    if engine.dialect.name == "postgresql":
        with _pg_lock(engine):
            yield
        return
    path = sqlite_path(str(engine.url))
    if path is None:
        yield
        return
    with _file_lock(path.with_name(path.name + ".lock")):
        yield


@contextlib.contextmanager
def _file_lock(lock_path: os.PathLike[str]) -> Iterator[None]:
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise AlreadyRunning(
                f"another tdl-inbox daemon (pid {holder}) is already running on this database"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _pg_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}
        ).scalar()
        connection.commit()
        if not got:
            raise AlreadyRunning("another tdl-inbox daemon is already running on this database")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            connection.commit()


def lock_holder_pid(engine: Engine) -> int | None:
    """The pid recorded by a running daemon on a SQLite database, if any."""
    path = sqlite_path(str(engine.url))
    if path is None:
        return None
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            content = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(content) if content.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def daemon_holds_lock(engine: Engine) -> bool:
    """Whether some process holds the daemon lock on this database right now."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}
            ).scalar()
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
            connection.commit()
            return not got
    return lock_holder_pid(engine) is not None
