"""Logging setup, called once by an entry point."""

from __future__ import annotations

import logging
import os
import sys


def configure_logging(verbose: bool = False, level: int = logging.WARNING) -> None:
    """Log to standard error; under systemd (journald adds its own timestamps) omit the time.

    One-shot commands log warnings only; the daemon raises the level to INFO.
    """
    under_journald = "JOURNAL_STREAM" in os.environ
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not under_journald:
        fmt = "%(asctime)s " + fmt
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else level)
    for noisy in ("apscheduler", "imapclient", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
