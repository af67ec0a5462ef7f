"""Which schema revision the code expects, and which one a database is at, without Alembic.

Every command that opens the database first checks its revision. Importing Alembic for that
costs more than the rest of a listing command, so the expected revision is read from the
migration files themselves (package data, ``revision = "..."`` lines) and the database's from
Alembic's ``alembic_version`` table. ``tests/integration/test_migrations.py`` checks the
result against Alembic's own idea of the head.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from tdl_inbox.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Engine

MIGRATIONS_PACKAGE = "tdl_inbox.migrations"

_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"']+)["']""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def migrations_root() -> Traversable:
    """The migrations directory (``env.py``, ``versions/``) as installed with the package."""
    try:
        return files(MIGRATIONS_PACKAGE)
    except ModuleNotFoundError:
        # e.g. src/ put on PYTHONPATH by hand: the mapping lives in the installed package.
        raise DatabaseError(
            f"the migrations ({MIGRATIONS_PACKAGE}) are missing: install tdl-inbox "
            "(pip install . or pip install -e .) instead of running it from src/"
        ) from None


def _version_files() -> list[Traversable]:
    versions = migrations_root().joinpath("versions")
    return [
        entry
        for entry in versions.iterdir()
        if entry.name.endswith(".py") and not entry.name.startswith("__")
    ]


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision the shipped migrations know: a database at any other is from a newer
    tdl-inbox."""
    return frozenset(_read_revisions()[0])


@functools.cache
def expected_revision() -> str:
    """The head revision of the migrations shipped with this code, e.g. ``"0005"``."""
    revisions, parents = _read_revisions()
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise DatabaseError(
            f"the migrations shipped with tdl-inbox have {len(heads)} heads "
            f"({', '.join(heads) or 'none'}); this install is broken"
        )
    return heads[0]


def _read_revisions() -> tuple[set[str], set[str]]:
    """The revisions the migration files declare, and those named as a down revision."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in _version_files():
        text = entry.read_text(encoding="utf-8")
        revision = _REVISION.search(text)
        if revision is None:
            raise DatabaseError(f"migration {entry.name} declares no revision")
        revisions.add(revision.group(1))
        down = _DOWN_REVISION.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return revisions, parents


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None for a database with no tables yet."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        revisions = sorted(found)
    if len(revisions) > 1:
        raise DatabaseError(f"the database records several schema revisions: {revisions}")
    return revisions[0] if revisions else None


def require_current(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at the code's head revision."""
    current, head = current_revision(engine), expected_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseError("the database has no tables yet: run `tdl-inbox db upgrade`")
    raise DatabaseError(
        f"the database schema is at revision {current} but this version needs {head}: "
        "run `tdl-inbox db upgrade`"
    )
