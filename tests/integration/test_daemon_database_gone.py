"""The daemon's database file removed or replaced under it: stop loudly, lose nothing.

Before, the daemon went on "recording" into the unlinked file (or across into a new one), the
next command reset the write-ahead log, and new submissions vanished without a word.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from servers.imap_fill import append
from servers.smtp import SmtpSink
from support import cli_env, config_text, migrated_app, submission
from tdl_inbox.adapters.db.engine import (
    DatabaseFileReplaced,
    make_engine,
    make_sessions,
    watch_database_file,
)
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.adapters.db.models import DaemonState

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def count_messages(database: Path) -> int:
    """Read the file at ``database`` now, with a connection of its own (no pool)."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM message")).scalar_one())
    finally:
        engine.dispose()


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def unlink(database: Path, _backup: Path) -> None:
    database.unlink()


def replace_with_backup(database: Path, backup: Path) -> None:
    os.replace(backup, database)


@pytest.fixture
def daemon_setup(tmp_path, dovecot, imap_folder, smtp_sink: SmtpSink) -> Path:
    alerts = f"""
[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
security = "starttls"
cafile = "{smtp_sink.cafile}"
from = "TDL course <course@example.org>"

[receipts]
enabled = false

[alerts]
recipients = ["admin@example.org"]
"""
    path = tmp_path / "tdl-inbox.toml"
    url = f"sqlite:///{tmp_path}/tdl-inbox.db"
    migrated_app(path, config_text(dovecot, imap_folder, url) + alerts).close()
    return path


@pytest.mark.dovecot
@pytest.mark.parametrize("lose", [unlink, replace_with_backup], ids=["removed", "replaced"])
def test_daemon_stops_with_an_alert_and_a_restart_records_everything(
    dovecot, imap_folder, smtp_sink, daemon_setup, lose
):
    for n in range(2):
        append(
            dovecot, imap_folder, submission(f"Theory 1 - Student {n}"), BASE + timedelta(minutes=n)
        )
    config = daemon_setup
    database = config.parent / "tdl-inbox.db"
    env = cli_env(dovecot.password)
    command = [sys.executable, "-m", "tdl_inbox", "--config", str(config)]
    log = config.parent / "daemon.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen([*command, "run"], env=env, stdout=output, stderr=output)
    try:
        wait_until(lambda: count_messages(database) == 2)
        backup = config.parent / "backup.db"
        with sqlite3.connect(database) as source, sqlite3.connect(backup) as copy:
            source.backup(copy)  # what a restored backup looks like
        lose(database, backup)
        append(
            dovecot, imap_folder, submission("Theory 1 - Late Arrival"), BASE + timedelta(hours=1)
        )
        code = daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()

    assert code == 1
    text_log = log.read_text()
    assert "Traceback" not in text_log
    errors = [line for line in text_log.splitlines() if " ERROR " in line]
    assert any(f"the database file {database} was" in line for line in errors), text_log
    [alert] = [m for m in smtp_sink.messages() if m["To"] == "admin@example.org"]
    assert alert["Subject"] == "[tdl-inbox] the daemon stopped: its database file is gone"
    assert str(database) in alert.get_content()

    # Nothing is lost: what the mailbox holds is recorded after the restart.
    upgraded = subprocess.run([*command, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    polled = subprocess.run([*command, "poll"], env=env, capture_output=True, text=True)
    assert polled.returncode == 0, polled.stderr
    assert count_messages(database) == 3


def test_a_commit_after_the_file_was_removed_or_replaced_is_refused(tmp_path):
    database = tmp_path / "tdl-inbox.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    watch = watch_database_file(engine)
    assert watch is not None
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(DaemonState(key="before", value="1", updated_at=now))

    moved = tmp_path / "moved.db"
    database.rename(moved)
    refused = pytest.raises(DatabaseFileReplaced, match="was removed while the daemon ran")
    with refused, sessions.begin() as session:
        session.add(DaemonState(key="after", value="1", updated_at=now))

    moved.rename(database)  # the same file back: commits go on
    with sessions.begin() as session:
        session.add(DaemonState(key="back", value="1", updated_at=now))

    other = tmp_path / "other.db"
    with sqlite3.connect(database) as source, sqlite3.connect(other) as copy:
        source.backup(copy)
    os.replace(other, database)
    refused = pytest.raises(DatabaseFileReplaced, match="was replaced while the daemon ran")
    with refused, sessions.begin() as session:
        session.add(DaemonState(key="replaced", value="1", updated_at=now))
    engine.dispose()
