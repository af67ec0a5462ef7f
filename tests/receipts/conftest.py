"""Fixtures for outgoing mail: an App reading the test Dovecot and sending to the SMTP sink."""

from __future__ import annotations

import pytest

from servers.smtp import SmtpSink
from support import PASSWORD_ENV, config_text, migrated_app
from tdl_inbox.app import App

# The suite's mail arrived in 2019: receipts tests lift the age limit unless they test it.
OLD_MAIL_HOURS = 100_000


def smtp_section(
    sink: SmtpSink,
    language: str = "en",
    extra: str = "",
    max_age_hours: int | None = OLD_MAIL_HOURS,
) -> str:
    age = "" if max_age_hours is None else f"max_age_hours = {max_age_hours}"
    return f"""
[smtp]
host = "127.0.0.1"
port = {sink.port}
security = "starttls"
cafile = "{sink.cafile}"
from = "TDL course <tdl_course_mipt@protonmail.com>"

[receipts]
language = "{language}"
{age}
{extra}
"""


@pytest.fixture
def receipts_app(tmp_path, dovecot, imap_folder, smtp_sink, database_url, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    apps: list[App] = []

    def factory(
        language: str = "en",
        extra: str = "",
        port: int | None = None,
        max_age_hours: int | None = OLD_MAIL_HOURS,
    ) -> App:
        path = tmp_path / "tdl-inbox.toml"
        text = config_text(dovecot, imap_folder, database_url)
        section = smtp_section(smtp_sink, language, extra, max_age_hours)
        if port is not None:
            section = section.replace(f"port = {smtp_sink.port}", f"port = {port}")
        app = migrated_app(path, text + section)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()
