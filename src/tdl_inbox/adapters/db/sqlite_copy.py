"""Copying a SQLite database file with SQLite's online backup API.

The backup reads the live database in one step under a read transaction: with WAL, the
daemon keeps writing meanwhile, and the copy is the database as of one commit. The copy is
switched out of WAL mode, so it is one self-contained file whose checksum stays put.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tdl_inbox.adapters.fs_sync import fsync_path


def _driver_connection(connection: Any) -> sqlite3.Connection:
    raw = connection.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def backup_to_file(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the engine's SQLite database to ``target`` (replaced)."""
    partial = target.with_name(target.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))  # owner-only
    try:
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            with engine.connect() as connection:
                _driver_connection(connection).backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        fsync_path(partial)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    fsync_path(target.parent)


def restore_from_file(source: Path, engine: Engine) -> None:
    """Overwrite the engine's SQLite database with the content of ``source``."""
    original = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        with engine.connect() as connection:
            original.backup(_driver_connection(connection))
    finally:
        original.close()
    engine.dispose()  # pooled connections may hold the old (empty) schema


def file_revision(path: Path) -> str | None:
    """The Alembic revision recorded in a SQLite file, read without changing the file."""
    database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = database.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchall()
        if not tables:
            return None
        row = database.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        database.close()
