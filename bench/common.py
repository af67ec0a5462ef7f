"""Shared pieces: statistics, a config/App for tdl-inbox against the bench's Dovecot."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.mail import assignments_toml
from bench.servers import Dovecot
from tdl_inbox_dev.config import config_text

PASSWORD_ENV = "TDL_INBOX_BENCH_IMAP_PASSWORD"


@dataclass
class Row:
    """One line of the results table (and one object in the JSON)."""

    section: str
    name: str
    value: float | None
    unit: str
    detail: str = ""
    target: str = ""
    met: bool | None = None
    samples: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def write_config(server: Dovecot, folder: str, directory: Path) -> Path:
    """A tdl-inbox.toml in ``directory`` for ``folder``, with a fresh database and store."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tdl-inbox.toml"
    text = config_text(
        database_url=f"sqlite:///{directory / 'tdl-inbox.db'}",
        password_env=PASSWORD_ENV,
        server=server,
        folder=folder,
        course_name="Benchmark course",
        store_dir=directory / "store",
        assignments=assignments_toml(),
    )
    path.write_text(text, encoding="utf-8")
    os.environ[PASSWORD_ENV] = server.password
    return path


def build(config: Path) -> Any:
    """Migrate the database and build the App, as ``tdl-inbox db upgrade`` + ``poll`` do."""
    from tdl_inbox_dev.config import migrated_app

    return migrated_app(config, config.read_text(encoding="utf-8"))


def poll(app: Any) -> Any:
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.intake.ingest import poll_once

    return poll_once(app.open_mailbox, app.sessions, app.store, app.ctx, utc_now)
