"""The demo's ``tdl-inbox.toml``: the schema of ``config.example.toml``, pointed at pymap."""

from __future__ import annotations

from pathlib import Path

from demo.server import ImapServer
from tdl_inbox_dev.config import ASSIGNMENTS_2019, config_text

PASSWORD_ENV = "TDL_INBOX_IMAP_PASSWORD"

ASSIGNMENTS = (
    ASSIGNMENTS_2019
    + """
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
)
"""The 2019 course's assignments (lab-1's deadline moved by the admin) and two more."""


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
