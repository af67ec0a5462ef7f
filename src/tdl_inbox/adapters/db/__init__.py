"""The database: SQLAlchemy models, engine setup, migrations and queries."""
