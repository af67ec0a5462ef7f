"""Helpers shared by tests: configs for the private servers, a message builder, one poll."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.app import App, build_app, utc_now
from tdl_inbox.config import load_config
from tdl_inbox.services.intake.ingest import PollReport, poll_once

PASSWORD_ENV = "TDL_INBOX_TEST_IMAP_PASSWORD"

TEST_DATABASES = ("sqlite", "postgres")
TEST_DATABASE = os.environ.get("TDL_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
"""Which database ``make_app`` uses: ``TDL_TEST_DATABASE=postgres`` runs the suite on PostgreSQL."""
ON_POSTGRES = TEST_DATABASE == "postgres"

ASSIGNMENTS_2019 = """
[[assignment]]
kind = "theory"
number = 1
published = 2019-02-23
max_points = 10

[[assignment]]
kind = "lab"
number = 1
published = 2019-03-07
max_points = 10
deadline = 2019-03-30T23:59:00

[[assignment]]
kind = "theory"
number = 2
published = 2019-03-26
max_points = 10
"""


def config_text(server, folder: str, db_url: str, extra_mailbox: str = "") -> str:
    return f"""
[course]
name = "Theoretical Deep Learning"
timezone = "Europe/Moscow"
deadline_time = "23:59"
deadline_after_days = 21

[mailbox]
host = "{server.host}"
port = {server.port}
security = "starttls"
cafile = "{server.cafile}"
username = "{server.username}"
password_env = "{PASSWORD_ENV}"
folder = "{folder}"
poll_interval_seconds = 5
{extra_mailbox}

[database]
url = "{db_url}"

[storage]
dir = "store"
{ASSIGNMENTS_2019}
"""


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


def cli(app: App, *args: str) -> list[str]:
    """The command line running ``tdl-inbox ARGS`` on ``app``'s config file."""
    return [sys.executable, "-m", "tdl_inbox", "--config", str(app.settings.source), *args]


def cli_env(password: str, **extra: str) -> dict[str, str]:
    """The environment for a ``tdl-inbox`` process, with the IMAP password set."""
    return {**os.environ, PASSWORD_ENV: password, **extra}


def migrated_app(path: Path, config: str) -> App:
    """Write ``config`` to ``path``, bring its database to the head revision, build the App."""
    path.write_text(config, encoding="utf-8")
    settings = load_config(path)
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    return build_app(settings)
