"""Several processes on one database: a second daemon refuses to start (SQLite file lock,
PostgreSQL advisory lock), and graders reading and writing while the daemon ingests never see
"database is locked"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faults.helpers import message_count, recorded, student_name
from servers.imap_fill import multiappend
from support import cli, cli_env, submission, wait_until

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
GRADER_WORKER = Path(__file__).with_name("grader_worker.py")
GRADERS = 3


def fill(dovecot, folder: str, count: int) -> list[int]:
    messages = [
        (
            submission(
                f"Theory 1 - {student_name(n)}" if n % 7 else f"question {n}",
                f"{student_name(n)} <s{n}@example.org>",
                attachments=[(f"s{n}.pdf", os.urandom(5_000))],
            ),
            BASE + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    return multiappend(dovecot, folder, messages)


@pytest.fixture(params=["sqlite", "postgres"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/twin.db"
    return str(request.getfixturevalue("pg_url"))


def test_a_second_daemon_on_the_same_database_refuses_to_start(
    dovecot, imap_folder, make_app, any_database, tmp_path
):
    uids = fill(dovecot, imap_folder, 3)
    app = make_app(imap_folder, db_url=any_database)
    env = cli_env(dovecot.password)
    log = tmp_path / "daemon.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen(cli(app, "run"), env=env, stdout=output, stderr=output)
    try:
        wait_until(lambda: message_count(app) == len(uids), what="first daemon polled")
        for command in ("run", "poll"):
            twin = subprocess.run(cli(app, command), env=env, capture_output=True, text=True)
            assert twin.returncode == 1, twin
            assert twin.stderr.startswith("tdl-inbox: error: another tdl-inbox daemon")
            assert "is already running on this database" in twin.stderr
            assert len(twin.stderr.strip().splitlines()) == 1
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    assert code == 0
    after = subprocess.run(cli(app, "poll"), env=env, capture_output=True, text=True)
    assert after.returncode == 0, after.stderr  # the lock went with the daemon
    assert sorted(recorded(app).uids) == uids


@pytest.mark.slow
def test_graders_reading_and_writing_while_the_daemon_ingests_never_see_a_locked_database(
    dovecot, imap_folder, make_app, tmp_path
):
    uids = fill(dovecot, imap_folder, 80)
    app = make_app(imap_folder, extra_mailbox="fetch_batch_messages = 5")
    env = {**cli_env(dovecot.password), "PYTHONPATH": os.pathsep.join(sys.path)}
    stop = tmp_path / "stop"
    graders = [
        subprocess.Popen(
            [sys.executable, str(GRADER_WORKER), str(app.settings.source), f"g{n}", str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for n in range(GRADERS)
    ]
    try:
        polled = subprocess.run(cli(app, "poll"), env=env, capture_output=True, text=True)
    finally:
        stop.touch()
        results = [grader.communicate(timeout=120) for grader in graders]

    assert polled.returncode == 0, polled.stderr
    assert polled.stderr == ""
    assert sorted(recorded(app).uids) == uids
    calls = graded = 0
    for grader, (out, err) in zip(graders, results, strict=True):
        assert grader.returncode == 0, err.decode()
        assert err == b""
        report = json.loads(out)
        assert report["failures"] == []
        calls, graded = calls + report["calls"], graded + report["graded"]
    print(f"graders: {calls} commands, {graded} grades while {len(uids)} messages were polled")
    assert calls > 3 * GRADERS  # they really worked while the poll ran
    assert graded > 0
