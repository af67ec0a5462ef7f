"""The dead man's switch: after each poll, tell an outside monitor (``alerts.ping_url``).

A daemon that died, or a host that went down, sends no alert of its own; a monitor such as
healthchecks.io alerts when the pings stop. A successful poll requests the URL, a failed
one the URL with ``/fail`` appended. The request runs in the background and never delays
ingest; its outcome is kept in ``daemon_state`` for ``status``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.http_ping import BackgroundPinger
from tdl_inbox.services.operations.status import record_ping

PING_TIMEOUT_SECONDS = 10.0
"""Long enough for a distant monitor, short enough that hung pings do not pile up."""


def fail_url(url: str) -> str:
    """The URL that reports a failure: ``/fail`` after its path (healthchecks.io's way)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/fail"))


class Pings:
    """Pings ``url`` after each poll; the outcomes are recorded as they come in."""

    def __init__(
        self,
        url: str,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        user_agent: str,
        timeout: float = PING_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self._sessions = sessions
        self._clock = clock
        self._pinger = BackgroundPinger(self._record, timeout=timeout, user_agent=user_agent)

    def after_poll(self, ok: bool) -> None:
        """Queue the ping for a poll that succeeded (``ok``) or failed; returns at once."""
        if ok:
            self._pinger.submit("success", self.url)
        else:
            self._pinger.submit("fail", fail_url(self.url))

    def close(self) -> None:
        self._pinger.close()

    def _record(self, signal: str, reached: bool, detail: str) -> None:
        result = (
            f"{signal} ping: {detail}" if reached else f"{signal} ping: not delivered: {detail}"
        )
        with self._sessions.begin() as session:
            record_ping(session, self._clock(), result)
