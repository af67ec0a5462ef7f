"""New mail pushed (IMAP IDLE): a receipt goes out without waiting for the next poll."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servers.imap_fill import multiappend
from support import cli, cli_env, submission, wait_until
from tdl_inbox.adapters.db.models import DaemonState

pytestmark = pytest.mark.dovecot


def slow_polls(config: Path, extra: str = "") -> None:
    """Poll every 300 s: only push can deliver a receipt within seconds."""
    text = config.read_text()
    config.write_text(
        text.replace("poll_interval_seconds = 5\n", f"poll_interval_seconds = 300\n{extra}")
    )


def state(app, key: str) -> str | None:
    with app.sessions.begin() as session:
        row = session.get(DaemonState, key)
        return None if row is None else row.value


def test_mail_appended_while_the_daemon_idles_gets_its_receipt_at_once(
    receipts_app, smtp_sink, dovecot, imap_folder
):
    app = receipts_app()
    config = Path(app.settings.source)
    slow_polls(config)
    log = config.parent / "daemon.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen(
            cli(app, "run"), env=cli_env(dovecot.password), stdout=output, stderr=output
        )
    try:
        wait_until(lambda: state(app, "mode") == "idle", what="IDLE established")
        wait_until(lambda: state(app, "last_poll_ok_at") is not None, what="first poll done")
        multiappend(
            dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), datetime.now(UTC))]
        )
        # A generous bound: the next interval poll is 300 s away, so only push gets here.
        wait_until(lambda: len(smtp_sink.received()) == 1, 10, "receipt sent")
        [receipt] = smtp_sink.received()
        assert receipt.rcpt_tos == ("ivan@example.org",)
        shown = subprocess.run(
            cli(app, "status", "--json"), env=cli_env(dovecot.password), capture_output=True
        )
        assert shown.returncode == 0, shown.stderr
        status = json.loads(shown.stdout)
        assert status["mode"] == "idle"
        assert status["idle_last_mail"] is not None
        [delay] = status["receipt_delays_seconds"]
        assert 0 <= delay < 10
        stopping = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 5, "SIGTERM did not end the IDLE promptly"
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    text = log.read_text()
    assert "Traceback" not in text
    assert "daemon stopped" in text


def test_with_push_turned_off_the_daemon_polls(receipts_app, smtp_sink, dovecot, imap_folder):
    app = receipts_app()
    config = Path(app.settings.source)
    text = config.read_text().replace(
        "poll_interval_seconds = 5\n", "poll_interval_seconds = 5\nidle = false\n"
    )
    config.write_text(text)
    log = config.parent / "daemon.log"
    with log.open("wb") as output:
        daemon = subprocess.Popen(
            cli(app, "run"), env=cli_env(dovecot.password), stdout=output, stderr=output
        )
    try:
        wait_until(lambda: state(app, "last_poll_ok_at") is not None, what="first poll done")
        multiappend(
            dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), datetime.now(UTC))]
        )
        wait_until(lambda: len(smtp_sink.received()) == 1, 30, "receipt sent by a poll")
        assert state(app, "mode") == "polling"
        assert state(app, "idle_last_mail_at") is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    assert "IDLE on" not in log.read_text()
