"""Push (IMAP IDLE) when things go wrong: the server closes the idling connection, the
network black-holes it, the server stops offering IDLE, the daemon is killed mid-ingest.
Nothing is lost and nothing is recorded twice. The interval poll is 300 s in these tests, so
whatever gets recorded within their bounds was pushed or found by the check after a
reconnect."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faults.helpers import message_count, recorded, store_problems
from servers.imap_fill import multiappend
from support import cli, cli_env, submission, wait_for, wait_until
from tdl_inbox.adapters.db.models import DaemonState, OutboxItem
from tdl_inbox_dev.dovecot import Dovecot

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
# Dovecot 2.3's capabilities after login, less IDLE (``imap_capability`` replaces the list).
WITHOUT_IDLE = (
    "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY "
    "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE "
    "UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH "
    "ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY "
    "PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY\n"
)


def slow_polls(app, extra: str = "", interval: int = 300) -> None:
    config = Path(app.settings.source)
    text = config.read_text()
    config.write_text(
        text.replace("poll_interval_seconds = 5\n", f"poll_interval_seconds = {interval}\n{extra}")
    )


def state(app, key: str) -> str | None:
    with app.sessions.begin() as session:
        row = session.get(DaemonState, key)
        return None if row is None else row.value


def deliver(server, folder: str, first: int, count: int, size: int = 2_000) -> list[int]:
    return multiappend(
        server,
        folder,
        [
            (
                submission(
                    f"Theory 1 - Student {n}", attachments=[(f"s{n}.pdf", os.urandom(size))]
                ),
                BASE + timedelta(minutes=n),
            )
            for n in range(first, first + count)
        ],
    )


@contextlib.contextmanager
def daemon(app, password: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            cli(app, "run"), env=cli_env(password), stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def idle_sessions(log: Path) -> int:
    return log.read_text().count("IDLE on ")


def assert_each_recorded_once(app, uids: list[int]) -> None:
    state_ = recorded(app)
    assert sorted(state_.uids) == sorted(uids)
    assert store_problems(app.store.root) == []


def test_server_closing_the_idle_connection_is_reconnected_and_nothing_is_lost(
    dovecot, imap_folder, make_app, proxy, tmp_path
):
    app = make_app(imap_folder, port=proxy.port)
    slow_polls(app)
    log = tmp_path / "daemon.log"
    uids = deliver(dovecot, imap_folder, 0, 2)
    with daemon(app, dovecot.password, log) as process:
        wait_until(lambda: idle_sessions(log) == 1 and message_count(app) == 2, what="idling")
        proxy.drop_all()  # the server side hangs up: the daemon sees end-of-file in IDLE
        uids += deliver(dovecot, imap_folder, 2, 3)  # while reconnecting, or after
        wait_until(lambda: idle_sessions(log) == 2, 15, "IDLE re-established")
        wait_until(lambda: message_count(app) == 5, 10, "mail after the hang-up recorded")
        uids += deliver(dovecot, imap_folder, 5, 1)
        wait_until(lambda: message_count(app) == 6, 10, "pushed on the new connection")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert "IDLE connection lost" in log.read_text()
    assert "Traceback" not in log.read_text()
    assert_each_recorded_once(app, uids)


def test_black_holed_idle_connection_is_noticed_within_the_timeout_and_nothing_is_lost(
    dovecot, imap_folder, make_app, proxy, tmp_path
):
    app = make_app(imap_folder, port=proxy.port)
    slow_polls(app, "timeout_seconds = 2\n")
    log = tmp_path / "daemon.log"
    with daemon(app, dovecot.password, log) as process:
        wait_until(lambda: idle_sessions(log) == 1, what="idling")
        wait_until(lambda: state(app, "last_poll_ok_at") is not None, what="first poll")
        # From now on the server's bytes go nowhere: the connection stays open but silent.
        proxy.stall_after = 1
        silenced = time.monotonic()
        uids = deliver(dovecot, imap_folder, 0, 3)
        wait_until(lambda: "IDLE connection lost" in log.read_text(), 20, "stall noticed")
        # IDLE is re-issued every timeout_seconds and DONE answered within it: 2 + 2 s.
        assert time.monotonic() - silenced < 10
        assert message_count(app) == 0
        proxy.forward_normally()
        wait_until(lambda: message_count(app) == 3, 60, "mail recorded after the network heals")
        wait_until(lambda: state(app, "mode") == "idle", 30, "idling again")
        uids += deliver(dovecot, imap_folder, 3, 1)
        wait_until(lambda: message_count(app) == 4, 10, "pushed again")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert "Traceback" not in log.read_text()
    assert_each_recorded_once(app, uids)


def test_a_server_without_idle_is_polled(dovecot, make_app, tmp_path):
    server = Dovecot(tmp_path / "no-idle", implicit_tls=False, extra_conf=WITHOUT_IDLE)
    server.start()
    try:
        app = make_app("INBOX", server=server)
        slow_polls(app, interval=5)
        log = tmp_path / "daemon.log"
        with daemon(app, server.password, log) as process:
            wait_until(lambda: "does not offer IDLE" in log.read_text(), what="IDLE checked")
            uids = deliver(server, "INBOX", 0, 2)
            wait_until(lambda: message_count(app) == 2, 30, "recorded by the interval poll")
            assert state(app, "mode") == "polling"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        assert "IDLE on " not in log.read_text()
        assert_each_recorded_once(app, uids)
    finally:
        server.stop()


@pytest.mark.slow
def test_daemon_killed_during_a_pushed_ingest_records_each_message_once_after_restart(
    dovecot, imap_folder, make_app, tmp_path
):
    app = make_app(imap_folder, extra_mailbox="fetch_batch_messages = 1")
    slow_polls(app)
    log = tmp_path / "daemon.log"
    with daemon(app, dovecot.password, log) as process:
        wait_until(lambda: idle_sessions(log) == 1, what="idling")
        wait_until(lambda: state(app, "last_poll_ok_at") is not None, what="first poll")
        uids = deliver(dovecot, imap_folder, 0, 80, 300_000)
        # The log, not the database: a reader there could wait for the writer's commits.
        wait_until(lambda: log.read_text().count("outcome=") >= 3, 30, "pushed ingest under way")
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert message_count(app) < 80, "the ingest had finished before the kill"

    def restarted() -> subprocess.Popen[bytes] | None:
        with log.open("ab") as output:
            again = subprocess.Popen(
                cli(app, "run"), env=cli_env(dovecot.password), stdout=output, stderr=output
            )
        time.sleep(0.5)  # a refused twin exits at once; on PostgreSQL the lock goes later
        if again.poll() is not None:
            return None
        return again

    again = wait_for(restarted, what="the killed daemon's lock released")
    try:
        wait_until(lambda: message_count(app) == 80, 60, "all recorded after the restart")
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0
    assert_each_recorded_once(app, uids)
    with app.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(OutboxItem)) == 0
