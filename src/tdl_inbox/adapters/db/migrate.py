"""Schema migrations: Alembic, driven from code so no ``alembic.ini`` is needed.

Only ``init``/``db upgrade`` (and ``check``) import this module: Alembic is slow to import, and
the revision check every other command does lives in :mod:`tdl_inbox.adapters.db.revision`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib.resources import as_file

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tdl_inbox.adapters.db.revision import current_revision, migrations_root, require_current
from tdl_inbox.errors import DatabaseError

__all__ = ["current_revision", "head_revision", "require_current", "upgrade"]


@contextlib.contextmanager
def _alembic_config(engine: Engine) -> Iterator[Config]:
    with as_file(migrations_root()) as directory:
        if not (directory / "env.py").is_file():
            raise DatabaseError(f"migrations not found at {directory}: this install is broken")
        config = Config()
        config.set_main_option("script_location", str(directory))
        config.attributes["engine"] = engine
        yield config


def head_revision(engine: Engine) -> str | None:
    """Alembic's head revision of the shipped migrations."""
    with _alembic_config(engine) as config:
        return ScriptDirectory.from_config(config).get_current_head()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending migration; returns (before, after) revisions."""
    before = current_revision(engine)
    with _alembic_config(engine) as config:
        command.upgrade(config, "head")
    return before, current_revision(engine)
