"""Helpers for tdl-inbox's own test suite, benchmarks and demo: not part of tdl-inbox.

A package of its own, beside ``tdl_inbox`` rather than inside it, so that nothing the product
runs can import it (``tests/unit/test_architecture.py`` holds that), while ``tests/``,
``bench/`` and ``demo/`` import it like any installed package instead of putting each other
on ``sys.path``.
"""
