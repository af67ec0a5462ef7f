"""The CLI and daemon as processes: kill -9 mid-poll, SIGTERM, one daemon per database."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servers.imap_fill import multiappend
from support import PASSWORD_ENV, cli, cli_env, submission, wait_for, wait_until
from tdl_inbox.adapters.db.models import FolderState, Message, Submission

pytestmark = pytest.mark.dovecot

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def env_for(dovecot) -> dict[str, str]:
    return cli_env(dovecot.password)


def recorded(app) -> int:
    with app.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(Message))


def fill(dovecot, folder: str, count: int) -> None:
    messages = [
        (
            submission(f"Theory 1 - Student {n}", attachments=[(f"s{n}.pdf", os.urandom(20_000))]),
            BASE + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    multiappend(dovecot, folder, messages)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 7, 23])
def test_poll_killed_mid_way_and_restarted_records_each_message_once(
    dovecot, imap_folder, make_app, kill_after
):
    fill(dovecot, imap_folder, 40)
    # Batches of 3 (one transaction each), so the kill lands with part of the mail recorded.
    app = make_app(imap_folder, extra_mailbox="fetch_batch_messages = 3")
    process = subprocess.Popen(
        cli(app, "poll"), env=env_for(dovecot), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: recorded(app) >= kill_after or process.poll() is not None)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()

    def poll_unless_locked() -> subprocess.CompletedProcess[str] | None:
        again = subprocess.run(
            cli(app, "poll", "--json"), env=env_for(dovecot), capture_output=True, text=True
        )
        return None if "already running" in again.stderr else again

    # on PostgreSQL the killed process's lock goes a moment later
    again = wait_for(poll_unless_locked, what="the killed poll's lock released")
    assert again.returncode == 0, again.stderr

    with app.sessions.begin() as session:
        rows = session.execute(select(Message.uid, Message.raw_sha256)).all()
        subjects = session.execute(select(Submission.student)).all()
        last_uid = session.scalar(select(FolderState.last_uid))
    assert len(rows) == 40
    assert len({uid for uid, _ in rows}) == 40
    assert sorted(s for (s,) in subjects) == sorted(f"Student {n}" for n in range(40))
    assert last_uid == max(uid for uid, _ in rows)
    for _, digest in rows:
        assert app.store.verify(digest)


def test_daemon_polls_then_exits_zero_on_sigterm_and_refuses_a_twin(dovecot, imap_folder, make_app):
    fill(dovecot, imap_folder, 3)
    app = make_app(imap_folder)
    log = app.store.root.parent / "daemon.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen(
            cli(app, "run"), env=env_for(dovecot), stdout=output, stderr=output
        )
    try:
        wait_until(lambda: recorded(app) == 3)
        twin = subprocess.run(cli(app, "run"), env=env_for(dovecot), capture_output=True, text=True)
        assert twin.returncode == 1
        assert "already running" in twin.stderr
        assert len(twin.stderr.strip().splitlines()) == 1
        polled = subprocess.run(
            cli(app, "poll"), env=env_for(dovecot), capture_output=True, text=True
        )
        assert polled.returncode == 1
        assert "already running" in polled.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    assert code == 0
    text = log.read_text()
    assert "daemon stopped" in text
    assert "Traceback" not in text
    assert dovecot.password not in text


def test_check_reports_a_wrong_password_in_one_line(dovecot, imap_folder, make_app):
    app = make_app(imap_folder)
    env = {**os.environ, PASSWORD_ENV: "wrong-password"}
    result = subprocess.run(cli(app, "check"), env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "login to" in result.stderr
    assert "refused" in result.stderr
    assert "wrong-password" not in result.stdout + result.stderr
    good = subprocess.run(cli(app, "check"), env=env_for(dovecot), capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "ok   mailbox" in good.stdout


def test_poll_against_a_closed_port_is_one_clear_line(dovecot, imap_folder, make_app, tmp_path):
    app = make_app(imap_folder)
    config = Path(app.settings.source)
    config.write_text(config.read_text().replace(f"port = {dovecot.port}", "port = 1"))
    result = subprocess.run(cli(app, "poll"), env=env_for(dovecot), capture_output=True, text=True)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "tdl-inbox: error: cannot connect to 127.0.0.1:1: connection refused"
    )
