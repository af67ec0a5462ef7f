"""Schema migrations: Alembic, driven from code so no ``alembic.ini`` is needed.

Only the setup commands (``init``, ``db upgrade``, ``check``) import this module: Alembic is slow
to import, and the revision check every other command does lives in
:mod:`tdl_inbox.adapters.db.revision`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tdl_inbox.adapters.db.revision import current_revision, migrations_root, require_current
from tdl_inbox.errors import DatabaseError

__all__ = ["current_revision", "head_revision", "require_current", "upgrade"]


def _alembic_config(engine: Engine) -> Config:
    directory = migrations_root()
    # Alembic reads its scripts from a directory: an install unpacked on disk, as pip makes.
    if not isinstance(directory, Path) or not (directory / "env.py").is_file():
        raise DatabaseError(f"migrations not found at {directory}: this install is broken")
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    """Alembic's head revision of the shipped migrations."""
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending migration; returns (before, after) revisions."""
    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, current_revision(engine)
