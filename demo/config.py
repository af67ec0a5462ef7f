"""The demo's ``tdl-inbox.toml``: the schema of ``config.example.toml``, pointed at pymap."""

from __future__ import annotations

import json
from pathlib import Path

from demo.server import ImapServer

PASSWORD_ENV = "TDL_INBOX_IMAP_PASSWORD"

ASSIGNMENTS = """\
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
deadline = 2019-03-30T23:59:00    # moved by the admin (local time in course.timezone)

[[assignment]]
kind = "theory"
number = 2
published = 2019-03-26
max_points = 10

[[assignment]]
kind = "theory"
number = 3
published = 2019-04-22
max_points = 10

[[assignment]]
kind = "theory"
number = 4
published = 2019-04-30
max_points = 10
"""


def _quote(value: str | Path) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(str(value), ensure_ascii=False)


def write_config(path: Path, server: ImapServer, folder: str) -> None:
    """Write the config; the password stays out of it, in ``PASSWORD_ENV``."""
    text = f"""\
# Written by `make demo`: tdl-inbox against a local pymap server. Paths are relative to
# this file. The password is not here: it is passed in ${PASSWORD_ENV}.

[course]
name = "Theoretical Deep Learning (demo)"
timezone = "Europe/Moscow"
deadline_time = "23:59"
deadline_after_days = 21

[mailbox]
host = {_quote(server.host)}
port = {server.port}
security = "starttls"
cafile = {_quote(server.cafile.name)}
username = {_quote(server.username)}
password_env = {_quote(PASSWORD_ENV)}
folder = {_quote(folder)}
poll_interval_seconds = 60

[database]
url = "sqlite:///demo.db"

[storage]
dir = "store"

{ASSIGNMENTS}"""
    path.write_text(text, encoding="utf-8")
