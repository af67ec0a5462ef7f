"""Use cases: ingest, listings, health checks. Entry points call these and nothing deeper."""
