"""Alembic environment. The engine comes from tdl_inbox (``config.attributes["engine"]``)."""

from alembic import context
from sqlalchemy import Engine

from tdl_inbox.adapters.db.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise SystemExit("run migrations with `tdl-inbox db upgrade`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
