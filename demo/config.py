"""The demo's ``tdl-inbox.toml``: the schema of ``config.example.toml``, pointed at pymap."""

from __future__ import annotations

from pathlib import Path

from demo.server import ImapServer
from tdl_inbox_dev.config import config_text

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


def write_config(path: Path, server: ImapServer, folder: str) -> None:
    """Write the config; the password stays out of it, in ``PASSWORD_ENV``."""
    header = f"""\
# Written by `make demo`: tdl-inbox against a local pymap server. Paths are relative to
# this file. The password is not here: it is passed in ${PASSWORD_ENV}.
"""
    text = config_text(
        database_url="sqlite:///demo.db",
        password_env=PASSWORD_ENV,
        server=server,
        folder=folder,
        cafile=server.cafile.name,
        course_name="Theoretical Deep Learning (demo)",
        assignments=ASSIGNMENTS,
    )
    path.write_text(header + text, encoding="utf-8")
