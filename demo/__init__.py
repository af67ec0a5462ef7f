"""``make demo`` (``python -m demo``): tdl-inbox end to end against a local pymap server."""
