"""The IMAP server misbehaves: stopped mid-fetch, connection reset mid-message, a server that
accepts but never answers, a refused login. The real Dovecot serves the mail; a loopback proxy
(``tcp_proxy.py``) injects the network faults."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from faults.helpers import message_count, recorded, store_problems
from faults.tcp_proxy import TcpProxy
from servers.imap_fill import multiappend
from support import cli, cli_env, poll, submission, wait_until
from tdl_inbox.daemon import MAX_BACKOFF, Backoff
from tdl_inbox.errors import MailboxUnavailable

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def deliver(server, folder: str, count: int, attachment_bytes: int) -> list[int]:
    messages = [
        (
            submission(
                f"Theory 1 - Student {n}",
                attachments=[(f"s{n}.pdf", os.urandom(attachment_bytes))],
            ),
            BASE + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    return multiappend(server, folder, messages)


def assert_each_recorded_once(app, uids: list[int]) -> None:
    state = recorded(app)
    assert sorted(state.uids) == sorted(uids)
    assert store_problems(app.store.root) == []
    assert all(app.store.verify(digest) for digest in state.digests)


@pytest.mark.slow
def test_server_stopped_mid_fetch_daemon_logs_it_backs_off_and_resumes_without_duplicates(
    private_dovecot, make_app, tmp_path
):
    server = private_dovecot
    uids = deliver(server, "INBOX", 40, 300_000)  # about 410 KB each on the wire
    log = tmp_path / "daemon.log"
    with TcpProxy((server.host, server.port)) as proxy:
        # Ingest outruns any sleep: the proxy holds the first poll inside its fourth batch of
        # two (three batches are about 2.5 MB), so the server stops while that poll fetches.
        proxy.stall_after = 2_600_000
        app = make_app(
            "INBOX", extra_mailbox="fetch_batch_messages = 2", server=server, port=proxy.port
        )
        with log.open("wb") as output:
            daemon = subprocess.Popen(
                cli(app, "run"), env=cli_env(server.password), stdout=output, stderr=output
            )
        try:
            wait_until(lambda: message_count(app) >= 4, what="first messages recorded")
            server.stop()
            stopped_with = message_count(app)
            proxy.forward_normally()
            proxy.drop_all()  # the held connection goes down with the server
            wait_until(lambda: "poll failed" in log.read_text(), what="failure logged")
            server.start()  # a restarted server: same Maildir, a new port behind the proxy
            proxy.upstream = (server.host, server.port)
            wait_until(lambda: message_count(app) == len(uids), 60, "all recorded after restart")
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
    assert code == 0
    text = log.read_text()
    assert stopped_with < len(uids), "the server was stopped after the poll had finished"
    failures = re.findall(r"WARNING .*poll failed: (.*); next attempt in (\S+)", text)
    assert failures, text
    assert failures[0][0].startswith(f"lost the connection to 127.0.0.1:{proxy.port}"), text
    assert failures[0][1] == "0:00:05"  # one poll interval, then doubling (see the Backoff test)
    assert re.search(r"INFO .*mailbox reachable again after \d+ failed polls", text), text
    assert "Traceback" not in text
    assert_each_recorded_once(app, uids)


def test_connection_reset_mid_message_records_nothing_partial_and_the_next_poll_resumes(
    dovecot, imap_folder, make_app, proxy
):
    uids = deliver(dovecot, imap_folder, 4, 600_000)  # ~810 KB each on the wire
    app = make_app(imap_folder, extra_mailbox="fetch_batch_bytes = 1000000", port=proxy.port)
    proxy.reset_after = 2_000_000  # inside the third message's literal

    with pytest.raises(MailboxUnavailable, match=r"lost the connection to 127\.0\.0\.1:\d+ while"):
        poll(app)

    first = recorded(app)
    assert 1 <= len(first.uids) < len(uids)
    assert store_problems(app.store.root) == []
    proxy.forward_normally()
    report = poll(app)
    assert report.new_submissions == len(uids) - len(first.uids)
    assert report.already_recorded == 0
    assert_each_recorded_once(app, uids)


@pytest.mark.parametrize("how", ["reset", "close"])
@pytest.mark.parametrize("after", [60, 400, 3000], ids=["greeting", "tls-handshake", "login"])
def test_a_connection_cut_before_the_folder_is_open_is_a_transient_failure(
    dovecot, imap_folder, make_app, proxy, how, after
):
    """Cut in the greeting, inside the TLS handshake or after it: the server went away, which is
    worth a retry, not a certificate or TLS configuration problem (a permanent failure)."""
    uids = deliver(dovecot, imap_folder, 1, 1000)
    app = make_app(imap_folder, port=proxy.port)
    setattr(proxy, f"{how}_after", after)

    with pytest.raises(
        MailboxUnavailable, match=rf"^lost the connection to 127\.0\.0\.1:{proxy.port}"
    ):
        poll(app)

    proxy.forward_normally()
    poll(app)
    assert_each_recorded_once(app, uids)


@pytest.mark.parametrize(
    ("silent_after", "action"),
    [
        (None, "connect to"),  # accepts, never sends the greeting
        (40, "connect to"),  # half a greeting, then nothing
        (1_200_000, "fetch messages from"),  # in the middle of a message
    ],
    ids=["no-greeting", "half-greeting", "mid-fetch"],
)
def test_a_server_that_stops_answering_times_out_and_the_next_poll_resumes(
    dovecot, imap_folder, make_app, proxy, silent_after, action
):
    uids = deliver(dovecot, imap_folder, 3, 600_000)
    app = make_app(imap_folder, extra_mailbox="timeout_seconds = 1", port=proxy.port)
    if silent_after is None:
        proxy.black_hole = True
    else:
        proxy.stall_after = silent_after
    started = time.monotonic()

    with pytest.raises(MailboxUnavailable) as caught:
        poll(app)

    elapsed = time.monotonic() - started
    assert str(caught.value) == (
        f"127.0.0.1:{proxy.port} did not answer in time while trying to {action} it"
    )
    assert elapsed < 15, f"a 1 s timeout took {elapsed:.1f} s"  # bounded, not hung
    proxy.forward_normally()
    poll(app)
    assert_each_recorded_once(app, uids)


@pytest.mark.slow
def test_refused_login_is_one_clear_error_and_no_tight_retry_loop(
    private_dovecot, make_app, tmp_path
):
    # A Dovecot of its own: failed logins make Dovecot slow down later logins from 127.0.0.1.
    server = private_dovecot
    log = tmp_path / "daemon.log"
    with TcpProxy((server.host, server.port)) as proxy:
        app = make_app("INBOX", server=server, port=proxy.port)  # poll_interval_seconds = 5
        with log.open("wb") as output:
            daemon = subprocess.Popen(
                cli(app, "--verbose", "run"),
                env=cli_env("not-the-password"),
                stdout=output,
                stderr=output,
            )
        try:
            wait_until(lambda: "poll failed" in log.read_text(), what="failure logged")
            # the next poll interval came and the daemon let it pass without logging in
            wait_until(lambda: "backing off" in log.read_text(), what="a poll skipped")
            assert daemon.poll() is None, "the daemon must stay up and retry later"
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
    assert code == 0
    failures = [line for line in log.read_text().splitlines() if "poll failed" in line]
    assert len(failures) == 1, failures
    assert failures[0].split(" ", 2)[2].startswith("ERROR tdl_inbox.daemon: poll failed: ")
    assert (
        f"login to 127.0.0.1:{proxy.port} refused for user {server.username}: "
        "check the password; next attempt in 0:00:25"
    ) in failures[0]
    assert proxy.connections == 1  # one login attempt in more than a poll interval
    assert "not-the-password" not in log.read_text()


def test_backoff_doubles_per_failure_is_capped_and_waits_longer_after_a_refused_login():
    interval = timedelta(seconds=60)
    now = datetime(2019, 3, 1, tzinfo=UTC)
    backoff = Backoff(interval)
    delays = [backoff.failed(now, permanent=False) for _ in range(6)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]
    assert backoff.waiting(now + timedelta(minutes=9))
    assert not backoff.waiting(now + MAX_BACKOFF)
    backoff.succeeded()
    assert not backoff.waiting(now)
    assert backoff.failed(now, permanent=True) == 5 * interval  # a refused login: not 1 minute
    assert Backoff(timedelta(minutes=5)).failed(now, permanent=True) == MAX_BACKOFF
