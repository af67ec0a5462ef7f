"""Schema migrations: Alembic, driven from code so no ``alembic.ini`` is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tdl_inbox.errors import DatabaseError

MIGRATIONS_DIR = Path(__file__).resolve().parents[4] / "migrations"


def _alembic_config(engine: Engine) -> Config:
    if not (MIGRATIONS_DIR / "env.py").exists():
        raise DatabaseError(
            f"migrations not found at {MIGRATIONS_DIR}; install tdl-inbox from its source "
            "checkout (pip install -e .)"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending migration; returns (before, after) revisions."""
    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, current_revision(engine)


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at the code's head revision."""
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return
    if current is None:
        raise DatabaseError(
            "the database has no tables yet: run `tdl-inbox db upgrade` (or `tdl-inbox init`)"
        )
    raise DatabaseError(
        f"the database schema is at revision {current} but this version needs {head}: "
        "run `tdl-inbox db upgrade`"
    )
