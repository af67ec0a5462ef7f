"""``backup`` and ``restore``: a consistent copy of the database and the store, and back.

A backup directory holds ``database.sqlite3`` (SQLite's online backup: safe while the daemon
writes), ``store/`` (the blobs, same layout as the store) and ``manifest.json``, written last:
a directory without it is an unfinished backup. The database is copied before the store: a
blob is on disk before the commit that refers to it, so every blob the copied database names
is in the store when the store is copied. Backing up into the same directory again copies
only the blobs that are new. With PostgreSQL the database is left to ``pg_dump``; the store
and the manifest are written all the same.

A restore fills an empty database and store (a database with the schema but no rows counts as
empty: ``db upgrade`` may have run). The database's copy carries the folder's checkpoint, so
the next poll records exactly the mail that arrived after the backup.

The daemon's nightly backups go to dated directories (``2026-12-05T0300``, course time) under
``backup.dir``; blobs already in the previous dated backup are hard links to its files, so
each night costs only the new mail, and pruning one backup never takes a file from another.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Base
from tdl_inbox.adapters.db.revision import current_revision, expected_revision, known_revisions
from tdl_inbox.adapters.lock import daemon_holds_lock
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.adapters.store_copy import (
    CopyCount,
    file_sha256,
    has_blobs,
    mirror_blobs,
    remove_tree,
)
from tdl_inbox.errors import DatabaseError, StorageError, TdlInboxError
from tdl_inbox.services import audit
from tdl_inbox.services.mail.notify import AdminMail, queue_alert

MANIFEST = "manifest.json"
DATABASE_FILE = "database.sqlite3"
STORE = "store"
FORMAT = 1
DATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{4}")
"""The name of a nightly backup directory: its time, course time, to the minute."""
DATED_FORMAT = "%Y-%m-%dT%H%M"


class BackupError(TdlInboxError):
    """A backup cannot be read or restored."""


@dataclass(frozen=True)
class Install:
    """What a backup copies and a restore fills (built by the composition root)."""

    engine: Engine
    store_root: Path
    version: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    tdl_inbox_version: str
    schema_revision: str
    database_kind: str
    """``sqlite`` (the copy is ``database.sqlite3``) or ``postgresql`` (use pg_dump)."""
    database_file: str | None
    database_bytes: int | None
    database_sha256: str | None
    store_files: int
    store_bytes: int
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    manifest: Manifest
    store: CopyCount

    @property
    def database_note(self) -> str | None:
        """What to do about a database this backup does not contain."""
        if self.manifest.database_kind == "sqlite":
            return None
        return (
            "the database is PostgreSQL: this backup holds the store only; back up the "
            f"database with pg_dump (e.g. pg_dump --format=custom --file "
            f"{self.directory / 'database.pgdump'} DBNAME)"
        )


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    store: CopyCount
    upgraded_to: str | None
    """The schema revision a backup from an older schema was upgraded to."""
    database_note: str | None


def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise DatabaseError(f"backups know SQLite and PostgreSQL, not {name}")
    return name


def take_backup(
    install: Install, directory: Path, now: datetime, *, link_from: Path | None = None
) -> BackupResult:
    """Write a backup into ``directory`` (created; an earlier backup there is brought up to
    date). ``link_from``: an earlier backup whose blobs are hard-linked instead of copied."""
    from tdl_inbox.adapters.db.sqlite_copy import backup_to_file, file_revision

    kind = _kind(install.engine)
    if current_revision(install.engine) is None:
        raise DatabaseError("the database has no tables yet: nothing to back up")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create backup directory {directory}: {exc.strerror}") from None
    database: Path | None = None
    if kind == "sqlite":
        database = directory / DATABASE_FILE
        backup_to_file(install.engine, database)
        revision = file_revision(database)
    else:
        revision = current_revision(install.engine)
    if revision is None:
        raise DatabaseError("the database has no tables yet: nothing to back up")
    store = mirror_blobs(
        install.store_root,
        directory / STORE,
        link_from=None if link_from is None else link_from / STORE,
    )
    manifest = Manifest(
        created_at=now.isoformat(),
        tdl_inbox_version=install.version,
        schema_revision=revision,
        database_kind=kind,
        database_file=None if database is None else database.name,
        database_bytes=None if database is None else database.stat().st_size,
        database_sha256=None if database is None else file_sha256(database),
        store_files=store.files,
        store_bytes=store.bytes,
    )
    _write_manifest(directory, manifest)
    return BackupResult(directory, manifest, store)


def _write_manifest(directory: Path, manifest: Manifest) -> None:
    from tdl_inbox.adapters.fs_sync import fsync_path

    partial = directory / (MANIFEST + ".part")
    partial.write_text(manifest.to_json(), encoding="utf-8")
    fsync_path(partial)
    partial.replace(directory / MANIFEST)
    fsync_path(directory)


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} is not a tdl-inbox backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{path}: not a backup manifest this version of tdl-inbox reads")
    try:
        manifest = Manifest(**raw)
    except TypeError:
        raise BackupError(f"{path}: the manifest's fields are not the expected ones") from None
    if manifest.database_kind not in ("sqlite", "postgresql"):
        raise BackupError(f"{path}: unknown database kind {manifest.database_kind!r}")
    return manifest


def _database_is_empty(engine: Engine) -> bool:
    """No tables, or the schema with no rows (``db upgrade`` ran, nothing else)."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                rows = connection.scalar(select(func.count()).select_from(table))
                if rows:
                    return False
    return True


def restore_backup(
    install: Install, directory: Path, *, actor: str, now: datetime
) -> RestoreResult:
    """Fill the empty database and store of ``install`` from the backup in ``directory``; the
    restored database's history records who restored it, from which backup."""
    from tdl_inbox.adapters.db.sqlite_copy import restore_from_file

    manifest = read_manifest(directory)
    kind = _kind(install.engine)
    if manifest.schema_revision not in known_revisions():
        raise BackupError(
            f"the backup's database schema ({manifest.schema_revision}) is newer than this "
            f"tdl-inbox {install.version} knows: install the version that wrote it "
            f"({manifest.tdl_inbox_version}) or later"
        )
    if manifest.database_kind != kind:
        raise BackupError(
            f"the backup holds a {manifest.database_kind} database but database.url is {kind}: "
            "restore into the same kind of database"
        )
    database: Path | None = None
    if manifest.database_kind == "sqlite":
        database = directory / (manifest.database_file or DATABASE_FILE)
        if not database.is_file():
            raise BackupError(f"the backup's database copy {database} is missing")
        if file_sha256(database) != manifest.database_sha256:
            raise BackupError(
                f"the backup's database copy {database} does not match its manifest (damaged)"
            )
        if daemon_holds_lock(install.engine):
            raise BackupError("a tdl-inbox daemon is running on this database: stop it first")
        if not _database_is_empty(install.engine):
            raise BackupError(
                "the configured database is not empty: restore only into a new database"
            )
    if has_blobs(install.store_root):
        raise BackupError(
            f"the store {install.store_root} is not empty: restore only into a new store"
        )
    BlobStore(install.store_root).ensure()
    store = mirror_blobs(directory / STORE, install.store_root, verify=True)
    upgraded_to = None
    note = None
    if database is not None:
        restore_from_file(database, install.engine)
        if manifest.schema_revision != expected_revision():
            from tdl_inbox.adapters.db.migrate import upgrade

            upgraded_to = upgrade(install.engine)[1]
        with Session(install.engine) as session, session.begin():
            audit.record(
                session,
                actor=actor,
                action="restore",
                now=now,
                details={
                    "backup": str(directory),
                    "created_at": manifest.created_at,
                    "schema": manifest.schema_revision,
                },
            )
    else:
        note = (
            "the database is PostgreSQL: restore it with pg_restore from the pg_dump taken "
            "with this backup"
        )
    return RestoreResult(manifest, store, upgraded_to, note)


def dated_backups(root: Path) -> list[Path]:
    """The nightly backups under ``root`` that finished (have a manifest), oldest first."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.iterdir()
        if DATED.fullmatch(path.name) and path.is_dir() and (path / MANIFEST).is_file()
    )


def nightly_backup(
    install: Install, root: Path, keep: int, now: datetime, zone: tzinfo
) -> tuple[BackupResult, list[Path]]:
    """A dated backup under ``root`` linked to the previous one, then the oldest removed so
    that ``keep`` remain. Returns the backup and the directories removed."""
    name = now.astimezone(zone).strftime(DATED_FORMAT)
    earlier = [path for path in dated_backups(root) if path.name < name]
    result = take_backup(install, root / name, now, link_from=earlier[-1] if earlier else None)
    return result, prune(root, keep)


def prune(root: Path, keep: int) -> list[Path]:
    """Remove the dated directories older than the newest ``keep`` finished backups."""
    finished = dated_backups(root)
    if len(finished) <= keep:
        return []
    oldest_kept = finished[-keep].name
    removed = [
        path
        for path in sorted(root.iterdir())
        if DATED.fullmatch(path.name) and path.is_dir() and path.name < oldest_kept
    ]
    for path in removed:
        remove_tree(path)
    return removed


def nightly_backup_failed(session: Session, admin: AdminMail, error: str, now: datetime) -> None:
    """Tell the admin (once a day at most): a backup that silently stops is found too late."""
    queue_alert(
        session,
        admin,
        "the scheduled backup failed",
        f"The daemon's scheduled backup failed: {error}\n"
        "Until one works there is no recent backup. Run `tdl-inbox backup DIR` by hand to see "
        "the problem, and check backup.dir (space, permissions).",
        f"backup-failed:{now.date().isoformat()}",
        now,
    )
