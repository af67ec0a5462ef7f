"""pytest plugin with real servers on loopback: ``pytest_plugins = ["servers.fixtures"]``.

Fixtures
    dovecot (session)      -> Dovecot: private IMAP server, user course/secret, STARTTLS + IMAPS
    imap_folder (function) -> str: a fresh, empty, uniquely named folder in that mailbox
    postgres (session)     -> Postgres: private cluster; ``.url`` is the ``postgres`` database
    pg_url (function)      -> str: SQLAlchemy URL of a fresh database (dropped afterwards)
    smtp_server (session)  -> SmtpSink: STARTTLS offered, AUTH offered (login ``tdl-bot``)
    smtp_sink (function)   -> the same SmtpSink, emptied before the test

When a server cannot run here (``available()`` gives a reason) its tests are skipped, or
fail when the environment variable CI is "true". Tests that use the Dovecot or PostgreSQL
fixtures get the ``dovecot`` / ``postgres`` marker automatically (``-m "not dovecot"``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tdl_inbox_dev.dovecot import Dovecot

from .postgres import Postgres
from .smtp import SmtpSink

__all__ = [
    "SMTP_LOGIN",
    "SMTP_PASSWORD",
    "dovecot",
    "imap_folder",
    "pg_url",
    "postgres",
    "smtp_server",
    "smtp_sink",
]

SMTP_LOGIN = "tdl-bot"
SMTP_PASSWORD = "smtp-secret"

_MARKERS = {
    "dovecot": "needs the private Dovecot IMAP server the suite starts",
    "postgres": "needs the private PostgreSQL server the suite starts",
    "slow": "takes more than a few seconds",
}
_DOVECOT_FIXTURES = {"dovecot", "imap_folder"}
_POSTGRES_FIXTURES = {"postgres", "pg_url"}
_started_dovecots: list[Dovecot] = []
_counter = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    registered = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    for name, help_text in _MARKERS.items():
        if name not in registered:
            config.addinivalue_line("markers", f"{name}: {help_text}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _DOVECOT_FIXTURES:
            item.add_marker("dovecot")
        if names & _POSTGRES_FIXTURES:
            item.add_marker("postgres")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: test servers are mandatory)", pytrace=False)
    pytest.skip(reason)


def _slug(request: pytest.FixtureRequest, limit: int) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name).strip("_").lower()
    return name[:limit] or "test"


# ----------------------------------------------------------------------------- Dovecot
@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """A private Dovecot for the whole session (see tdl_inbox_dev/dovecot.py)."""
    reason = Dovecot.available()
    if reason is not None:
        _unavailable(reason)
    server = Dovecot(tmp_path_factory.mktemp("dovecot"))
    server.start()
    _started_dovecots.append(server)
    try:
        yield server
    finally:
        _started_dovecots.remove(server)
        server.stop()


@pytest.fixture(autouse=True)
def _resume_paused_dovecot() -> Iterator[None]:
    """A test that paused Dovecot and failed must not hang every later test."""
    yield
    for server in _started_dovecots:
        if server.paused:
            server.resume()


@pytest.fixture
def imap_folder(dovecot: Dovecot, request: pytest.FixtureRequest) -> Iterator[str]:
    """Name of a new, empty folder (``test_<name>_<hex>``) that is deleted after the test."""
    name = f"test_{_slug(request, 40)}_{uuid.uuid4().hex[:8]}"
    with dovecot.connect() as client:
        client.create_folder(name)
    yield name
    dovecot.resume()
    if dovecot.running:
        with contextlib.suppress(Exception), dovecot.connect(timeout=5) as client:
            client.delete_folder(name)


# ----------------------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """A private PostgreSQL cluster for the whole session (see servers/postgres.py)."""
    reason = Postgres.available()
    if reason is not None:
        _unavailable(reason)
    server = Postgres(tmp_path_factory.mktemp("postgres"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: Postgres, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database, dropped (WITH FORCE) after the test."""
    name = f"t{next(_counter)}_{_slug(request, 40)}_{uuid.uuid4().hex[:6]}"[:63]
    url = postgres.create_database(name)
    yield url
    if postgres.running:
        postgres.drop_database(name)


# ----------------------------------------------------------------------------- SMTP
@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """A recording SMTP server for the session: STARTTLS (``.cafile``) and AUTH
    (``SMTP_LOGIN``/``SMTP_PASSWORD``) offered, neither required."""
    reason = SmtpSink.available()
    if reason is not None:
        _unavailable(reason)
    sink = SmtpSink(tmp_path_factory.mktemp("smtp"), auth=(SMTP_LOGIN, SMTP_PASSWORD))
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_server: SmtpSink) -> SmtpSink:
    """The session's SMTP server with no messages recorded yet."""
    smtp_server.clear()
    return smtp_server
