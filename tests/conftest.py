"""Shared fixtures. Real servers (Dovecot, PostgreSQL, SMTP) come from ``servers.fixtures``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import PASSWORD_ENV, config_text
from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.app import App, build_app
from tdl_inbox.config import load_config

pytest_plugins = ["servers.fixtures"]


@pytest.fixture
def make_app(
    tmp_path: Path, dovecot, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., App]]:
    """Build a migrated App on a fresh SQLite file (or ``db_url``) reading ``folder``."""
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    apps: list[App] = []

    def factory(folder: str, db_url: str | None = None, extra_mailbox: str = "") -> App:
        url = db_url or f"sqlite:///{tmp_path}/tdl-inbox.db"
        path = tmp_path / "tdl-inbox.toml"
        path.write_text(config_text(dovecot, folder, url, extra_mailbox), encoding="utf-8")
        settings = load_config(path)
        engine = make_engine(settings.database.url)
        upgrade(engine)
        engine.dispose()
        app = build_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()
