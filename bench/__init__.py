"""Benchmarks for tdl-inbox: ``python -m bench`` (or ``make bench``) from the project root.

Starts a private Dovecot on 127.0.0.1, fills it, and measures backlog ingest (against a
minimal IMAP fetcher and mbsync), the steady-state poll, the grader/admin queries and the
peak memory of a poll, printing a table and writing JSON. See ``bench/README.md``.
"""
