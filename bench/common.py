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


def config_text(server: Dovecot, folder: str, db_path: Path, store: Path) -> str:
    return f"""
[course]
name = "Benchmark course"
timezone = "Europe/Moscow"
deadline_time = "23:59"
deadline_after_days = 21

[mailbox]
host = "{server.host}"
port = {server.port}
security = "starttls"
cafile = "{server.cafile}"
username = "{server.username}"
password_env = "{PASSWORD_ENV}"
folder = "{folder}"
poll_interval_seconds = 60

[database]
url = "sqlite:///{db_path}"

[storage]
dir = "{store}"
{assignments_toml()}
"""


def write_config(server: Dovecot, folder: str, directory: Path) -> Path:
    """A tdl-inbox.toml in ``directory`` for ``folder``, with a fresh database and store."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tdl-inbox.toml"
    path.write_text(
        config_text(server, folder, directory / "tdl-inbox.db", directory / "store"),
        encoding="utf-8",
    )
    os.environ[PASSWORD_ENV] = server.password
    return path


def build(config: Path) -> Any:
    """Migrate the database and build the App, as ``tdl-inbox db upgrade`` + ``poll`` do."""
    from tdl_inbox.adapters.db.engine import make_engine
    from tdl_inbox.adapters.db.migrate import upgrade
    from tdl_inbox.app import build_app
    from tdl_inbox.config import load_config

    settings = load_config(config)
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    return build_app(settings)


def poll(app: Any) -> Any:
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.intake.ingest import poll_once

    return poll_once(app.open_mailbox, app.sessions, app.store, app.ctx, utc_now)
