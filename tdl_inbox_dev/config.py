"""Writing a ``tdl-inbox.toml`` for a test, a benchmark or the demo, and opening its App.

Every such config is the schema of ``config.example.toml`` with a course, a mailbox (a real
local IMAP server, or an address never contacted), a database, a store and assignments; what
differs is passed in. Strings are written as TOML basic strings, so paths and names with
quotes or backslashes stay intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.app import App, build_app
from tdl_inbox.config import load_config

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
"""The first three assignments of the 2019 course: theory-1 is due 2019-03-16 23:59 Moscow
time, lab-1 (moved) 2019-03-30, theory-2 2019-04-16."""


class ImapServer(Protocol):
    """A local IMAP server the config points at (the tests' Dovecot, the demo's pymap)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def cafile(self) -> Path: ...
    @property
    def username(self) -> str: ...


def toml_string(value: str | Path) -> str:
    """A TOML basic string (JSON's string escapes are valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def config_text(
    *,
    database_url: str,
    password_env: str,
    server: ImapServer | None = None,
    folder: str = "INBOX",
    port: int | None = None,
    cafile: str | Path | None = None,
    course_name: str = "Theoretical Deep Learning",
    poll_interval_seconds: int = 60,
    mailbox_extra: str = "",
    store_dir: str | Path = "store",
    assignments: str = ASSIGNMENTS_2019,
    extra: str = "",
) -> str:
    """The config text. Without ``server`` the mailbox is an address that is never contacted
    (for tests that record messages directly); ``port`` replaces the server's port (a proxy in
    front of it), ``cafile`` its certificate path as written (e.g. relative to the config)."""
    if server is None:
        mailbox = 'username = "course@example.org"\n'
    else:
        mailbox = (
            f"host = {toml_string(server.host)}\n"
            f"port = {server.port if port is None else port}\n"
            'security = "starttls"\n'
            f"cafile = {toml_string(server.cafile if cafile is None else cafile)}\n"
            f"username = {toml_string(server.username)}\n"
            f"folder = {toml_string(folder)}\n"
            f"poll_interval_seconds = {poll_interval_seconds}\n"
        )
    return f"""
[course]
name = {toml_string(course_name)}
timezone = "Europe/Moscow"
deadline_time = "23:59"
deadline_after_days = 21

[mailbox]
{mailbox}password_env = {toml_string(password_env)}
{mailbox_extra}

[database]
url = {toml_string(database_url)}

[storage]
dir = {toml_string(store_dir)}
{extra}
{assignments}"""


def migrated_app(path: Path, config: str) -> App:
    """Write ``config`` to ``path``, bring its database to the head revision, build the App
    (what ``tdl-inbox db upgrade`` and then any command do)."""
    path.write_text(config, encoding="utf-8")
    settings = load_config(path)
    engine = make_engine(settings.database.url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return build_app(settings)
