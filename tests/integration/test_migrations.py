"""The schema comes only from the migrations, and they match the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import current_revision, head_revision, upgrade
from tdl_inbox.adapters.db.models import Base
from tdl_inbox.adapters.db.revision import expected_revision


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
