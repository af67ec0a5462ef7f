"""The schema comes only from the migrations, and they match the models."""

import importlib.util
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import current_revision, head_revision, upgrade
from tdl_inbox.adapters.db.models import Base
from tdl_inbox.adapters.db.revision import expected_revision

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
NAMES = ["Ivan Ivanov", "Иванов  Иван", "Пётр Ксенофонтов", "Anna-Maria Ivanova-Petrova"]


def test_upgrade_on_an_empty_database_reaches_head_and_matches_models(database_url):
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        # What commands check without importing Alembic is Alembic's own head.
        assert expected_revision() == head_revision(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        upgrade(engine)  # idempotent
    finally:
        engine.dispose()


def test_migration_0002_keys_names_as_it_did_when_written():
    # Its own copy of the name key: later changes to name matching must not reach it.
    path = MIGRATIONS / "0002_roster_grades_claims_exam.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert [migration._name_key(n) for n in NAMES] == [
        "ivan ivanov",
        "ivan ivanov",
        "ksenofontov petr",
        "ana ivanova mara petrova",
    ]
