"""Helpers shared by tests: the test database, a message builder, one poll, the CLI."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TypeVar

import pytest

from tdl_inbox.app import App, utc_now
from tdl_inbox.cli.main import main
from tdl_inbox.services.intake.ingest import PollReport, poll_once

T = TypeVar("T")

PASSWORD_ENV = "TDL_INBOX_TEST_IMAP_PASSWORD"
UNUSED_PASSWORD = "TDL_INBOX_UNUSED_PASSWORD"
"""The password variable of a config whose mailbox is never contacted."""

TEST_DATABASES = ("sqlite", "postgres")
TEST_DATABASE = os.environ.get("TDL_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
"""Which database ``make_app`` uses: ``TDL_TEST_DATABASE=postgres`` runs the suite on PostgreSQL."""
ON_POSTGRES = TEST_DATABASE == "postgres"


def wait_for(attempt: Callable[[], T | None], timeout: float = 30.0, what: str = "") -> T:
    """Call ``attempt`` until it returns something other than None, and return that; fail the
    test, naming ``what``, when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while (result := attempt()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what or attempt}")
        time.sleep(0.02)
    return result


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Wait until ``predicate()`` is true (see ``wait_for``)."""
    wait_for(lambda: True if predicate() else None, timeout, what or str(predicate))


def poll(app: App) -> PollReport:
    return poll_once(app.open_mailbox, app.sessions, app.store, app.ctx, utc_now)


def submission(
    subject: str,
    sender: str = "Ivan Ivanov <ivan@example.org>",
    *,
    sent_at: datetime | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    message_id: str | None = None,
    body: str = "Homework attached.",
) -> bytes:
    """A realistic submission as raw bytes (UTF-8 subject/name encoded as RFC 2047)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "tdl_course_mipt@protonmail.com"
    msg["Subject"] = subject
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    msg.set_content(body)
    for name, data in attachments or [("solution.pdf", b"%PDF-1.4 fake solution\n")]:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def run_cli(
    capsys: pytest.CaptureFixture[str], config: App | Path | str | None, *argv: str
) -> tuple[int, str, str]:
    """``tdl-inbox [--config CONFIG] ARGV`` in this process: (exit code, stdout, stderr).
    ``config`` is a config file, or an App (its config file)."""
    if isinstance(config, App):
        config = config.settings.source
    code = main([*([] if config is None else ["--config", str(config)]), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli(app: App, *args: str) -> list[str]:
    """The command line running ``tdl-inbox ARGS`` on ``app``'s config file."""
    return [sys.executable, "-m", "tdl_inbox", "--config", str(app.settings.source), *args]


def cli_env(password: str, **extra: str) -> dict[str, str]:
    """The environment for a ``tdl-inbox`` process, with the IMAP password set."""
    return {**os.environ, PASSWORD_ENV: password, **extra}
