"""``backup`` and ``restore`` on real SQLite files (and PostgreSQL's store-only backup), with
the suite's Dovecot: a backup taken mid-poll is consistent, a restored install lists what the
original listed and records the rest of the term exactly once."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import func, select

from servers.imap_fill import multiappend
from support import PASSWORD_ENV, poll, run_cli, submission
from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import _alembic_config
from tdl_inbox.adapters.db.models import Message
from tdl_inbox.adapters.db.revision import expected_revision
from tdl_inbox.app import App, build_app, utc_now
from tdl_inbox.config import load_config
from tdl_inbox.daemon import Daemon
from tdl_inbox.services.operations.backup import nightly_backup, take_backup
from tdl_inbox_dev.config import config_text

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")


def deliver(dovecot, folder: str, first: int, count: int) -> None:
    multiappend(
        dovecot,
        folder,
        [
            (
                submission(
                    f"Theory 1 - Студент {n}",
                    sender=f"Student {n} <s{n}@example.org>",
                    attachments=[(f"s{n}.pdf", f"solution {n}\n".encode() * 500)],
                ),
                BASE + timedelta(minutes=n),
            )
            for n in range(first, first + count)
        ],
    )


def sqlite_app(make_app, tmp_path: Path, folder: str, extra_mailbox: str = "") -> App:
    """An install on a SQLite file whatever TDL_TEST_DATABASE says: its backup is a file."""
    return make_app(folder, f"sqlite:///{tmp_path}/tdl-inbox.db", extra_mailbox)


def empty_install(directory: Path, dovecot, folder: str, database_url: str | None = None) -> Path:
    """A config for a new install (no database yet, store not created) reading ``folder``."""
    directory.mkdir()
    config = directory / "tdl-inbox.toml"
    config.write_text(
        config_text(
            database_url=database_url or f"sqlite:///{directory}/tdl-inbox.db",
            password_env=PASSWORD_ENV,
            server=dovecot,
            folder=folder,
            store_dir=directory / "store",
        ),
        encoding="utf-8",
    )
    return config


def listings(capsys, config: App | Path) -> dict[str, object]:
    """The JSON listings, each install's store directory (in the files' paths) written STORE."""
    path = Path(config.settings.source) if isinstance(config, App) else config
    store = load_config(path).storage.dir
    assert store is not None
    result = {}
    for command_name in ("submissions", "grades", "rejected"):
        code, out, err = run_cli(capsys, path, command_name, "--json")
        assert code == 0, err
        result[command_name] = json.loads(out.replace(str(store.resolve()), "STORE"))
    return result


def copy_state(database: Path) -> tuple[int, int, list[str]]:
    """(messages, the folder's checkpoint, blobs the messages name) in a backup's database."""
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        messages, top = connection.execute("SELECT count(*), max(uid) FROM message").fetchone()
        checkpoint = connection.execute("SELECT max(last_uid) FROM folder_state").fetchone()[0]
        digests = [row[0] for row in connection.execute("SELECT raw_sha256 FROM message")]
    assert checkpoint == top, "the checkpoint must match the messages recorded with it"
    connection.close()
    return messages, checkpoint or 0, digests


def test_backup_taken_while_a_poll_writes_is_consistent(dovecot, imap_folder, make_app, tmp_path):
    deliver(dovecot, imap_folder, 0, 45)
    # Batches of 3 messages: many commits, so the backups land between (and during) them.
    app = sqlite_app(make_app, tmp_path, imap_folder, "fetch_batch_messages = 3")
    poller = threading.Thread(target=poll, args=(app,))
    poller.start()
    taken: list[Path] = []
    try:
        while poller.is_alive():
            directory = tmp_path / "backups" / f"b{len(taken)}"
            take_backup(app.install(), directory, utc_now())
            taken.append(directory)
    finally:
        poller.join()
    assert taken
    seen = set()
    for directory in taken:
        messages, _, digests = copy_state(directory / "database.sqlite3")
        seen.add(messages)
        for digest in digests:
            assert (directory / "store" / "sha256" / digest[:2] / digest[2:4] / digest).is_file()
        manifest = json.loads((directory / "manifest.json").read_text())
        assert manifest["schema_revision"] == expected_revision()
        assert manifest["database_kind"] == "sqlite"
    assert max(seen) <= 45  # each copy as of one commit: consistent, checked above


def test_a_restored_backup_lists_the_same_and_records_the_rest_of_the_term_once(
    dovecot, imap_folder, make_app, tmp_path, capsys
):
    deliver(dovecot, imap_folder, 0, 5)
    original = sqlite_app(make_app, tmp_path, imap_folder)
    assert poll(original).recorded == 5
    at_backup = listings(capsys, original)
    code, out, err = run_cli(capsys, original, "backup", str(tmp_path / "backup"))
    assert code == 0, err
    assert "store: 10 files" in out  # five raw messages, five attachments

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["store_files"] == 10
    assert manifest["tdl_inbox_version"]
    assert manifest["created_at"]

    deliver(dovecot, imap_folder, 5, 3)  # the rest of the term
    assert poll(original).recorded == 3

    config = empty_install(tmp_path / "restored", dovecot, imap_folder)
    code, out, err = run_cli(capsys, config, "restore", str(tmp_path / "backup"))
    assert code == 0, err
    assert listings(capsys, config) == at_backup

    restored = build_app(load_config(config))
    try:
        report = poll(restored)
        assert (report.recorded, report.duplicates) == (3, 0)
        assert poll(restored).recorded == 0
        with restored.sessions.begin() as session:
            uids = session.scalars(select(Message.uid)).all()
        assert sorted(uids) == list(range(1, 9))
    finally:
        restored.close()
    after = listings(capsys, config)
    expected = listings(capsys, original)

    def same_part(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        # When each copy recorded the later mail differs; everything else must not.
        return [{k: v for k, v in row.items() if k != "recorded_at"} for row in rows]

    for name, rows in expected.items():
        assert same_part(after[name]) == same_part(rows), name


def test_restore_refuses_a_database_or_a_store_that_is_not_empty(
    dovecot, imap_folder, make_app, tmp_path, capsys
):
    deliver(dovecot, imap_folder, 0, 2)
    original = sqlite_app(make_app, tmp_path, imap_folder)
    poll(original)
    take_backup(original.install(), tmp_path / "backup", utc_now())

    code, _, err = run_cli(capsys, original, "restore", str(tmp_path / "backup"))
    assert code == 1
    assert err == (
        "tdl-inbox: error: the configured database is not empty: restore only into a new database\n"
    )

    config = empty_install(tmp_path / "other", dovecot, imap_folder)
    stray = tmp_path / "other" / "store" / "sha256" / "ab" / "cd"
    stray.mkdir(parents=True)
    (stray / ("abcd" + "0" * 60)).write_bytes(b"not from this backup")
    code, _, err = run_cli(capsys, config, "restore", str(tmp_path / "backup"))
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "store" in err
    assert "is not empty" in err
    # Refused before anything was written: the database is still empty.
    assert run_cli(capsys, config, "db", "upgrade")[0] == 0
    assert json.loads(run_cli(capsys, config, "submissions", "--json")[1]) == []


def test_restore_after_db_upgrade_and_of_a_damaged_or_newer_backup(
    dovecot, imap_folder, make_app, tmp_path, capsys
):
    deliver(dovecot, imap_folder, 0, 2)
    original = sqlite_app(make_app, tmp_path, imap_folder)
    poll(original)
    backup = tmp_path / "backup"
    take_backup(original.install(), backup, utc_now())
    config = empty_install(tmp_path / "new", dovecot, imap_folder)

    manifest_path = backup / "manifest.json"
    good = manifest_path.read_text()
    newer = json.loads(good) | {"schema_revision": "9999"}
    manifest_path.write_text(json.dumps(newer))
    code, _, err = run_cli(capsys, config, "restore", str(backup))
    assert code == 1
    assert "schema (9999) is newer than this tdl-inbox" in err
    assert len(err.splitlines()) == 1

    damaged = json.loads(good) | {"database_sha256": "0" * 64}
    manifest_path.write_text(json.dumps(damaged))
    code, _, err = run_cli(capsys, config, "restore", str(backup))
    assert code == 1
    assert "does not match its manifest" in err

    manifest_path.write_text(good)
    # `db upgrade` first leaves the schema without rows: that still counts as empty.
    assert run_cli(capsys, config, "db", "upgrade")[0] == 0
    code, _, err = run_cli(capsys, config, "restore", str(backup))
    assert code == 0, err
    assert len(json.loads(run_cli(capsys, config, "submissions", "--json")[1])) == 2


def test_a_backup_from_an_older_schema_is_restored_then_upgraded(
    dovecot, imap_folder, tmp_path, capsys
):
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    try:
        command.upgrade(_alembic_config(engine), "0005")
    finally:
        engine.dispose()
    old_config = empty_install(tmp_path / "old", dovecot, imap_folder, f"sqlite:///{old}")
    code, out, err = run_cli(capsys, old_config, "backup", str(tmp_path / "backup"))
    assert code == 0, err
    assert "(schema 0005)" in out

    config = empty_install(tmp_path / "new", dovecot, imap_folder)
    code, out, err = run_cli(capsys, config, "restore", str(tmp_path / "backup"))
    assert code == 0, err
    assert f"database upgraded from schema 0005 to {expected_revision()}" in out
    code, _, err = run_cli(capsys, config, "status", "--json")
    assert code == 0, err


def test_a_second_backup_into_the_same_directory_copies_only_new_store_files(
    dovecot, imap_folder, make_app, tmp_path, capsys
):
    deliver(dovecot, imap_folder, 0, 3)
    app = sqlite_app(make_app, tmp_path, imap_folder)
    poll(app)
    first = take_backup(app.install(), tmp_path / "backup", utc_now())
    assert (first.store.files, first.store.copied_files) == (6, 6)
    blob = next((tmp_path / "backup" / "store" / "sha256").rglob("*/*/*"))
    before = blob.stat().st_mtime_ns

    deliver(dovecot, imap_folder, 3, 2)
    poll(app)
    code, out, err = run_cli(capsys, app, "backup", str(tmp_path / "backup"))
    assert code == 0, err
    assert "store: 10 files" in out
    assert "4 new" in out
    assert blob.stat().st_mtime_ns == before
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["store_files"] == 10
    assert copy_state(tmp_path / "backup" / "database.sqlite3")[0] == 5


def test_nightly_backups_keep_the_last_n_and_share_unchanged_files(
    dovecot, imap_folder, make_app, tmp_path
):
    deliver(dovecot, imap_folder, 0, 2)
    app = sqlite_app(make_app, tmp_path, imap_folder)
    poll(app)
    root = tmp_path / "nightly"
    night = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # 03:00 in Moscow
    for day in range(4):
        result, removed = nightly_backup(
            app.install(), root, 2, night + timedelta(days=day), MOSCOW
        )
        assert result.directory == root / f"2026-12-0{5 + day}T0300"
        assert len(removed) == (1 if day >= 2 else 0)
    assert sorted(p.name for p in root.iterdir()) == ["2026-12-07T0300", "2026-12-08T0300"]
    blobs = [sorted((root / name / "store").rglob("*/*/*/*")) for name in sorted(os.listdir(root))]
    assert len(blobs[0]) == len(blobs[1]) == 4
    for older, newer in zip(*blobs, strict=True):
        assert older.stat().st_ino == newer.stat().st_ino  # a hard link, not a second copy
    assert copy_state(root / "2026-12-08T0300" / "database.sqlite3")[0] == 2


def test_the_daemon_writes_the_scheduled_backup_under_backup_dir(
    dovecot, imap_folder, make_app, tmp_path
):
    deliver(dovecot, imap_folder, 0, 1)
    app = sqlite_app(make_app, tmp_path, imap_folder)
    poll(app)
    config = Path(app.settings.source)
    config.write_text(
        config.read_text() + '\n[backup]\ndir = "nightly"\ncron = "0 3 * * *"\nkeep = 3\n'
    )
    settings = load_config(config)
    assert settings.backup.dir == tmp_path / "nightly"
    scheduled = build_app(settings)
    try:
        Daemon(scheduled).backup_job()
    finally:
        scheduled.close()
    (dated,) = (tmp_path / "nightly").iterdir()
    assert (dated / "manifest.json").is_file()
    assert copy_state(dated / "database.sqlite3")[0] == 1


def test_a_postgresql_backup_copies_the_store_and_says_to_use_pg_dump(
    dovecot, imap_folder, make_app, pg_url, tmp_path, capsys
):
    deliver(dovecot, imap_folder, 0, 2)
    app = make_app(imap_folder, pg_url)
    poll(app)
    code, out, err = run_cli(capsys, app, "backup", str(tmp_path / "backup"))
    assert code == 0, err
    assert "note: the database is PostgreSQL" in out
    assert "pg_dump" in out
    assert "store: 4 files" in out
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database_kind"] == "postgresql"
    assert manifest["database_sha256"] is None
    assert not (tmp_path / "backup" / "database.sqlite3").exists()
    with app.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 2


@pytest.mark.parametrize("value", ["0 3 * *", "every night"])
def test_a_bad_backup_cron_is_one_config_error(tmp_path, value, make_app, imap_folder):
    app = make_app(imap_folder)
    config = Path(app.settings.source)
    config.write_text(config.read_text() + f'\n[backup]\ndir = "b"\ncron = "{value}"\n')
    from tdl_inbox.daemon import backup_trigger
    from tdl_inbox.errors import ConfigError

    scheduled = build_app(load_config(config))
    try:
        with pytest.raises(ConfigError, match=r"^backup\.cron: "):
            backup_trigger(scheduled)
    finally:
        scheduled.close()


def test_a_failed_scheduled_backup_is_an_alert_and_the_daemon_goes_on(
    dovecot, imap_folder, make_app, tmp_path, caplog
):
    app = sqlite_app(make_app, tmp_path, imap_folder)
    (tmp_path / "nightly").write_text("a file where the backups should go")
    config = Path(app.settings.source)
    config.write_text(config.read_text() + '\n[backup]\ndir = "nightly"\ncron = "0 3 * * *"\n')
    scheduled = build_app(load_config(config))
    try:
        Daemon(scheduled).backup_job()
    finally:
        scheduled.close()
    assert "scheduled backup failed: cannot create backup directory" in caplog.text
    assert "alert: the scheduled backup failed" in caplog.text


def test_backup_cron_without_a_dir_is_refused_in_one_line(tmp_path, capsys):
    config = tmp_path / "tdl-inbox.toml"
    config.write_text(
        '[mailbox]\nusername = "u"\npassword_env = "X"\n\n[backup]\ncron = "0 3 * * *"\n'
    )
    code, _, err = run_cli(capsys, config, "status")
    assert code == 1
    assert err.endswith("backup: cron is set: also set dir (where the backups go)\n")
    assert len(err.splitlines()) == 1
