"""The running daemon re-reads its config: on SIGHUP, and when the file changes.

A valid config applies between polls without a restart; an invalid one, or one changing what
only a restart can change, is refused with one log line and one alert, the old one staying in
force and the daemon recording on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from servers.imap_fill import append
from servers.smtp import SmtpSink
from support import PASSWORD_ENV, cli_env, submission, wait_until
from tdl_inbox.adapters.db.models import DaemonState, Message, Rejection, Submission
from tdl_inbox.app import App
from tdl_inbox_dev.config import ASSIGNMENTS_2019, config_text, migrated_app

pytestmark = pytest.mark.dovecot

BASE = datetime(2019, 4, 25, 12, 0, tzinfo=UTC)
WATCH_BOUND = 5.0
"""The contract: a changed file is noticed within this many seconds."""

THEORY_3 = """
[[assignment]]
kind = "theory"
number = 3
published = 2019-04-22
max_points = 10
"""


class Setup:
    """A config file next to a migrated database, and the text it is written from."""

    def __init__(self, path: Path, database_url: str, dovecot, folder: str, smtp: SmtpSink):
        self.path, self.database_url, self.dovecot, self.folder = (
            path,
            database_url,
            dovecot,
            folder,
        )
        self.smtp = smtp

    def text(
        self,
        *,
        assignments: str = ASSIGNMENTS_2019,
        daemon: str = "",
        database_url: str | None = None,
        poll_interval_seconds: int = 5,
        reports: str = "",
        course_extra: str = "",
        receipts: bool = False,
    ) -> str:
        sections = f"""
[smtp]
host = "127.0.0.1"
port = {self.smtp.port}
security = "starttls"
cafile = "{self.smtp.cafile}"
from = "TDL course <course@example.org>"

[receipts]
enabled = {str(receipts).lower()}
max_age_hours = 100000

[reports]
{reports}

[alerts]
recipients = ["admin@example.org"]

[daemon]
{daemon}
"""
        text = config_text(
            database_url=database_url or self.database_url,
            password_env=PASSWORD_ENV,
            server=self.dovecot,
            folder=self.folder,
            poll_interval_seconds=poll_interval_seconds,
            assignments=assignments,
            extra=sections,
        )
        return text.replace(
            "deadline_after_days = 21\n", f"deadline_after_days = 21\n{course_extra}"
        )

    def write(self, **options: Any) -> float:
        """Write the config; returns the monotonic time it was written at."""
        self.path.write_text(self.text(**options), encoding="utf-8")
        return time.monotonic()


class Running:
    """``tdl-inbox run`` as a process, its log in a file."""

    def __init__(self, setup: Setup, env: dict[str, str]) -> None:
        self.log = setup.path.parent / "daemon.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tdl_inbox", "--config", str(setup.path), "run"],
                env=env,
                stdout=output,
                stderr=output,
            )
        self.wait_log("daemon started")

    def lines(self, text: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if text in line]

    def wait_log(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        wait_until(
            lambda: len(self.lines(text)) >= count or self.process.poll() is not None,
            timeout=timeout,
            what=f"{count} log line(s) with {text!r}",
        )
        assert self.process.poll() is None, self.log.read_text()

    def hup(self) -> None:
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        assert code == 0, self.log.read_text()
        assert "Traceback" not in self.log.read_text()


@pytest.fixture
def setup(tmp_path, dovecot, imap_folder, smtp_sink, database_url) -> Iterator[tuple[Setup, App]]:
    config = Setup(tmp_path / "tdl-inbox.toml", database_url, dovecot, imap_folder, smtp_sink)
    app = migrated_app(config.path, config.text())
    try:
        yield config, app
    finally:
        app.close()


@pytest.fixture
def daemon(setup, dovecot) -> Iterator[Running]:
    running = Running(setup[0], cli_env(dovecot.password))
    try:
        yield running
    finally:
        running.stop()


def send(setup: Setup, subject: str, minutes: int) -> None:
    append(setup.dovecot, setup.folder, submission(subject), BASE + timedelta(minutes=minutes))


def outcome(app: App, subject: str) -> str | None:
    """What the message was recorded as ("submission", "rejected"); None until recorded."""
    with app.sessions.begin() as session:
        row = session.execute(
            select(Submission.assignment, Rejection.reason)
            .select_from(Message)
            .outerjoin(Submission, Submission.message_pk == Message.id)
            .outerjoin(Rejection, Rejection.message_pk == Message.id)
            .where(Message.subject == subject)
        ).one_or_none()
    if row is None:
        return None
    if row.assignment is not None:
        return "submission"
    return "rejected" if row.reason is not None else "neither"


def wait_recorded(app: App, subject: str) -> str:
    wait_until(lambda: outcome(app, subject) is not None, what=f"{subject!r} recorded")
    result = outcome(app, subject)
    assert result is not None
    return result


def last_poll(app: App) -> datetime | None:
    with app.sessions.begin() as session:
        row = session.get(DaemonState, "last_poll_ok_at")
        return None if row is None or row.value is None else datetime.fromisoformat(row.value)


def test_unwatched_changes_wait_for_sighup_which_applies_a_new_assignment(setup, dovecot):
    config, app = setup
    config.write(daemon="watch_config = false")
    running = Running(config, cli_env(dovecot.password))
    try:
        written = datetime.now(UTC)
        config.write(daemon="watch_config = false", assignments=ASSIGNMENTS_2019 + THEORY_3)
        send(config, "Theory 3 - Anna Petrova", 1)
        assert wait_recorded(app, "Theory 3 - Anna Petrova") == "rejected"
        # A poll that finished well after a watcher would have acted on the change.
        later = written + timedelta(seconds=WATCH_BOUND + 2)
        wait_until(lambda: (last_poll(app) or written) > later, what="a later poll")
        assert running.lines("config re") == []
        assert running.lines("config not") == []

        running.hup()
        running.wait_log("config reloaded (SIGHUP)")
        running.wait_log("1 rejected message(s) are submissions now")
        # The mail rejected before the reload was re-checked against the new config.
        assert outcome(app, "Theory 3 - Anna Petrova") == "submission"
        send(config, "Theory 3 - Boris Sidorov", 2)
        assert wait_recorded(app, "Theory 3 - Boris Sidorov") == "submission"
    finally:
        running.stop()


def test_a_reload_adding_an_assignment_records_its_rejected_mail_with_one_receipt(setup, dovecot):
    config, app = setup
    config.write(receipts=True)
    running = Running(config, cli_env(dovecot.password))
    try:
        send(config, "Theory 3 - Anna Petrova", 1)
        assert wait_recorded(app, "Theory 3 - Anna Petrova") == "rejected"
        wait_until(lambda: len(config.smtp.messages()) == 1, what="the rejection receipt")

        config.write(receipts=True, assignments=ASSIGNMENTS_2019 + THEORY_3)
        running.hup()
        running.wait_log("1 rejected message(s) are submissions now")
        assert outcome(app, "Theory 3 - Anna Petrova") == "submission"
        wait_until(lambda: len(config.smtp.messages()) == 2, what="the follow-up receipt")

        # Re-reading an unchanged file (another SIGHUP) neither records nor sends anything.
        running.hup()
        running.wait_log("nothing changed")
        subjects = [m["Subject"] for m in config.smtp.messages()]
        assert len(subjects) == 2
        assert all("Theory 3 - Anna Petrova" in s for s in subjects)
    finally:
        running.stop()


def test_a_changed_file_applies_within_five_seconds_without_a_signal(setup, dovecot):
    config, app = setup
    # Noticed within the bound whatever the poll interval: a minute here.
    config.write(poll_interval_seconds=60)
    running = Running(config, cli_env(dovecot.password))
    try:
        written = config.write(
            assignments=ASSIGNMENTS_2019 + THEORY_3,
            course_extra='kind_aliases = { "теор" = "theory" }\n',
            poll_interval_seconds=5,
            reports='cron = "0 8 * * *"\nrecipients = ["admin@example.org"]',
        )
        running.wait_log("config reloaded (the file changed)", timeout=WATCH_BOUND)
        assert time.monotonic() - written < WATCH_BOUND
        running.wait_log("assignments or kind aliases changed")
        assert len(running.lines("assignments or kind aliases changed")) == 1
        assert len(running.lines("polling every 5s now")) == 1
        assert len(running.lines("reports: on '0 8 * * *'")) == 1

        # Recorded by a poll on the new interval, long before the old one's next.
        send(config, "теор 3 - Анна Петрова", 1)
        wait_until(
            lambda: outcome(app, "теор 3 - Анна Петрова") is not None,
            timeout=30,
            what="recorded on the new poll interval",
        )
        assert outcome(app, "теор 3 - Анна Петрова") == "submission"
    finally:
        running.stop()


BAD_KEY = 'bogus_key = "x"'
BAD_DEADLINE = THEORY_3 + "deadline = 2019-04-01\n"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            {"daemon": BAD_KEY, "assignments": ASSIGNMENTS_2019 + THEORY_3},
            "daemon.bogus_key: unknown key",
        ),
        (
            {"assignments": ASSIGNMENTS_2019 + BAD_DEADLINE},
            "assignment.3.deadline: assignment theory-3: deadline 2019-04-01 23:59 is before",
        ),
        (
            {"reports": 'cron = "at eight"', "assignments": ASSIGNMENTS_2019 + THEORY_3},
            "reports.cron: Wrong number of fields",
        ),
    ],
    ids=["unknown-key", "bad-deadline", "bad-cron"],
)
def test_an_invalid_config_is_refused_once_and_the_old_one_stays(setup, daemon, change, key):
    config, app = setup
    config.write(**change)
    daemon.wait_log(key)
    # Several looks of the watcher later, still one line and one alert for this file.
    send(config, "Theory 1 - Anna Petrova", 1)
    assert wait_recorded(app, "Theory 1 - Anna Petrova") == "submission"
    send(config, "Theory 1 - Boris Sidorov", 2)
    assert wait_recorded(app, "Theory 1 - Boris Sidorov") == "submission"
    assert len(daemon.lines(key)) == 1
    config.smtp.wait_for(1)
    [message] = config.smtp.messages()
    assert message["To"] == "admin@example.org"
    assert message["Subject"] == "[tdl-inbox] config not reloaded: the file is invalid"
    assert key in message.get_content()

    # Asked again for the same file: said again in the log, but not mailed again.
    daemon.hup()
    daemon.wait_log(key, count=2)
    send(config, "Theory 1 - Vera Orlova", 3)
    assert wait_recorded(app, "Theory 1 - Vera Orlova") == "submission"
    send(config, "Theory 1 - Gleb Markov", 4)
    assert wait_recorded(app, "Theory 1 - Gleb Markov") == "submission"
    assert len(config.smtp.received()) == 1
    # The old config is in force, entirely: theory-3, new in that file, is still unknown.
    send(config, "Theory 3 - Anna Petrova", 5)
    assert wait_recorded(app, "Theory 3 - Anna Petrova") == "rejected"


def test_a_changed_database_url_is_refused_as_needing_a_restart(setup, daemon, tmp_path):
    config, app = setup
    other = tmp_path / "other.db"
    config.write(database_url=f"sqlite:///{other}", assignments=ASSIGNMENTS_2019 + THEORY_3)
    daemon.wait_log("database.url changed")
    [line] = daemon.lines("database.url changed")
    assert "config not reloaded" in line
    assert "needs a restart" in line
    config.smtp.wait_for(1)
    [message] = config.smtp.messages()
    assert message["Subject"] == "[tdl-inbox] config not reloaded: a change needs a restart"
    assert "database.url" in message.get_content()
    # Nothing of that file applies: theory-3 stays unknown, and the old database records.
    send(config, "Theory 3 - Anna Petrova", 1)
    assert wait_recorded(app, "Theory 3 - Anna Petrova") == "rejected"
    assert not other.exists()
