"""Helpers for tdl-inbox's own test suite, benchmarks and demo: not part of tdl-inbox.

A package of its own at the top of the repository, outside ``src/`` and so never installed
with tdl-inbox: nothing the product runs can import it (``tests/unit/test_architecture.py``
holds that). ``tests/`` (pytest's ``pythonpath``), ``bench/`` and ``demo/`` (run from the
repository with ``python -m``) import it without putting each other on ``sys.path``.
"""
