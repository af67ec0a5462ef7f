"""Fixtures for outgoing mail: an App reading the test Dovecot and sending to the SMTP sink."""

from __future__ import annotations

import pytest

from servers.smtp import SmtpSink
from support import PASSWORD_ENV, config_text
from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.app import App, build_app
from tdl_inbox.config import load_config


def smtp_section(sink: SmtpSink, language: str = "en", extra: str = "") -> str:
    return f"""
[smtp]
host = "127.0.0.1"
port = {sink.port}
security = "starttls"
cafile = "{sink.cafile}"
from = "TDL course <tdl_course_mipt@protonmail.com>"

[receipts]
language = "{language}"
{extra}
"""


@pytest.fixture
def receipts_app(tmp_path, dovecot, imap_folder, smtp_sink, database_url, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    apps: list[App] = []

    def factory(language: str = "en", extra: str = "", port: int | None = None) -> App:
        path = tmp_path / "tdl-inbox.toml"
        text = config_text(dovecot, imap_folder, database_url)
        section = smtp_section(smtp_sink, language, extra)
        if port is not None:
            section = section.replace(f"port = {smtp_sink.port}", f"port = {port}")
        path.write_text(text + section, encoding="utf-8")
        settings = load_config(path)
        engine = make_engine(settings.database.url)
        upgrade(engine)
        engine.dispose()
        app = build_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()
