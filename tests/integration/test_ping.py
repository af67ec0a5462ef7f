"""``alerts.ping_url``: the daemon tells an outside monitor after each poll, in the background.

The monitor is a tiny HTTP server on 127.0.0.1 in the test; the mailbox is the suite's Dovecot.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servers.imap_fill import append
from support import run_cli, submission, wait_for
from tdl_inbox.adapters.db.models import Message
from tdl_inbox.app import App, build_app, utc_now
from tdl_inbox.config import load_config
from tdl_inbox.daemon import Daemon
from tdl_inbox.errors import ConfigError
from tdl_inbox.services.operations.ping import PING_TIMEOUT_SECONDS
from tdl_inbox.services.operations.status import daemon_status

TOKEN = "0b1c2d3e-secret-token"


class Monitor:
    """Records the paths it is asked for and answers 200."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                monitor.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def monitor() -> Iterator[Monitor]:
    server = Monitor()
    yield server
    server.close()


@pytest.fixture
def silent_monitor() -> Iterator[str]:
    """A URL whose server accepts the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/{TOKEN}"
    listener.close()


def with_ping(app: App, url: str) -> App:
    config = Path(app.settings.source)
    config.write_text(config.read_text() + f'\n[alerts]\nping_url = "{url}"\n')
    return build_app(load_config(config))


def recorded(app: App) -> int:
    with app.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


def last_ping(app: App) -> str | None:
    return daemon_status(app.engine, app.sessions, UTC, utc_now()).last_ping_result


def close_pings(daemon: Daemon) -> None:
    assert daemon.pings is not None
    daemon.pings.close()


def status(capsys, app: App) -> dict[str, object]:
    code, out, err = run_cli(capsys, app, "status", "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_successful_poll_pings_the_url_and_status_shows_it(
    dovecot, imap_folder, make_app, monitor, capsys
):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan"), datetime(2019, 3, 10, tzinfo=UTC))
    app = with_ping(make_app(imap_folder), monitor.url)
    try:
        daemon = Daemon(app)
        daemon.poll_job()
        assert recorded(app) == 1
        wait_for(lambda: monitor.paths or None, what="the success ping")
        assert monitor.paths == ["/"]
        wait_for(lambda: last_ping(app), what="the ping recorded")
        close_pings(daemon)
        shown = status(capsys, app)
    finally:
        app.close()
    assert shown["last_ping_result"] == "success ping: HTTP 200"
    assert shown["last_ping_at"]
    code, out, _ = run_cli(capsys, app, "status")
    assert code == 0
    assert "success ping: HTTP 200" in out


def test_a_failed_poll_pings_the_fail_url(dovecot, imap_folder, make_app, monitor, capsys):
    app = with_ping(make_app(imap_folder, port=1), monitor.url)  # nothing listens on port 1
    try:
        daemon = Daemon(app)
        daemon.poll_job()
        wait_for(lambda: monitor.paths or None, what="the failure ping")
        assert monitor.paths == ["/fail"]
        wait_for(lambda: last_ping(app), what="the ping recorded")
        close_pings(daemon)
        shown = status(capsys, app)
    finally:
        app.close()
    assert shown["last_ping_result"] == "fail ping: HTTP 200"
    assert "connection refused" in str(shown["last_error"])


def test_a_ping_that_hangs_never_delays_ingest_and_the_url_is_never_logged(
    dovecot, imap_folder, make_app, silent_monitor, capsys, caplog
):
    caplog.set_level(logging.DEBUG)
    append(dovecot, imap_folder, submission("Theory 1 - Ivan"), datetime(2019, 3, 10, tzinfo=UTC))
    app = with_ping(make_app(imap_folder), silent_monitor)
    try:
        daemon = Daemon(app)
        started = time.monotonic()
        daemon.poll_job()
        took = time.monotonic() - started
        assert recorded(app) == 1
        assert last_ping(app) is None  # the monitor has not answered yet
        assert took < PING_TIMEOUT_SECONDS
        result = wait_for(
            lambda: last_ping(app), timeout=3 * PING_TIMEOUT_SECONDS, what="the ping timed out"
        )
        close_pings(daemon)
    finally:
        app.close()
    assert result == "success ping: not delivered: timed out"
    assert TOKEN not in caplog.text
    assert "ping (success) to 127.0.0.1 failed: timed out" in caplog.text


@pytest.mark.parametrize(
    "url", ["ftp://hc-ping.example/" + TOKEN, "hc-ping.example/" + TOKEN, "https:///" + TOKEN]
)
def test_only_http_and_https_ping_urls_are_accepted(tmp_path, url):
    config = tmp_path / "tdl-inbox.toml"
    config.write_text(
        f'[mailbox]\nusername = "u"\npassword_env = "X"\n\n[alerts]\nping_url = "{url}"\n'
    )
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value).endswith("alerts.ping_url: expected an http:// or https:// URL")
    assert TOKEN not in str(error.value)
