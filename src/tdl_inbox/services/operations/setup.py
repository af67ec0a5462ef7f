"""Setting up an install: the starter config, the database's schema and the store.

``init``, ``db upgrade`` and ``--version`` call these. Nothing here imports the database
library at module level: ``init`` and ``--version`` must start at once.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tdl_inbox.errors import ConfigError

STARTER_CONFIG = "config.example.toml"
"""Package data of ``tdl_inbox``: the documented config that ``init`` writes."""


def starter_config() -> str:
    try:
        return files("tdl_inbox").joinpath(STARTER_CONFIG).read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(f"starter config {STARTER_CONFIG} is missing from this install") from None


def schema_head() -> str:
    """The schema revision this code needs, read from the migrations it ships."""
    from tdl_inbox.adapters.db.revision import expected_revision

    return expected_revision()


def upgrade_install(database_url: str, store_dir: Path) -> tuple[str | None, str | None]:
    """Bring the database to ``schema_head()`` (creating it) and create the store; returns the
    revisions before and after."""
    from tdl_inbox.adapters.db.engine import make_engine
    from tdl_inbox.adapters.db.migrate import upgrade
    from tdl_inbox.adapters.store import BlobStore

    engine = make_engine(database_url)
    try:
        revisions = upgrade(engine)
    finally:
        engine.dispose()
    BlobStore(store_dir).ensure()
    return revisions
