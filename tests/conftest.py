"""Shared fixtures. Real servers (Dovecot, PostgreSQL, SMTP) come from ``servers.fixtures``.

The database tests run against is a fresh SQLite file per test, or, with
``TDL_TEST_DATABASE=postgres`` (``make test-postgres``), a fresh database on the private
PostgreSQL server: the whole suite runs a second time that way in CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support import PASSWORD_ENV, TEST_DATABASE, TEST_DATABASES
from tdl_inbox.app import App
from tdl_inbox_dev.config import config_text, migrated_app

pytest_plugins = ["servers.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    if TEST_DATABASE not in TEST_DATABASES:
        raise pytest.UsageError(
            f"TDL_TEST_DATABASE={TEST_DATABASE!r}: expected one of {', '.join(TEST_DATABASES)}"
        )


def pytest_report_header() -> str:
    return f"tdl-inbox test database: {TEST_DATABASE} (TDL_TEST_DATABASE)"


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of this test's empty database: a SQLite file, or a PostgreSQL database."""
    if TEST_DATABASE == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path}/tdl-inbox.db"


@pytest.fixture
def make_app(
    tmp_path: Path, dovecot, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., App]]:
    """Build a migrated App on the test database (or ``db_url``) reading ``folder``.

    ``server`` (default: the session Dovecot) is any object with ``host``, ``port``,
    ``cafile`` and ``username``; ``port`` overrides its port (e.g. a proxy in front of it).
    """
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    apps: list[App] = []

    def factory(
        folder: str,
        db_url: str | None = None,
        extra_mailbox: str = "",
        *,
        server: Any = None,
        port: int | None = None,
    ) -> App:
        url = db_url or database_url
        path = tmp_path / "tdl-inbox.toml"
        text = config_text(
            database_url=url,
            password_env=PASSWORD_ENV,
            server=server or dovecot,
            folder=folder,
            port=port,
            poll_interval_seconds=5,
            mailbox_extra=extra_mailbox,
        )
        app = migrated_app(path, text)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()
