"""Requesting a monitoring URL (a dead man's switch) on a background thread.

The caller only puts the URL on a small queue and goes on: a monitor that is slow, hangs or
is gone never delays ingest. When the queue is full (the monitor hangs for several polls),
the new ping is dropped: the monitor then sees a gap, which is what it is there to notice.
The URL may carry a secret token, so only its host is ever logged or reported.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

ResultHandler = Callable[[str, bool, str], None]
"""Called on the ping thread with (label, reached, detail) once a request is over."""


def url_host(url: str) -> str:
    """What may be shown of a ping URL: its host."""
    return urlsplit(url).hostname or "?"


def request_url(url: str, timeout: float, user_agent: str) -> tuple[bool, str]:
    """GET ``url``: (answered with 2xx/3xx, what happened) without the URL in the text."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        return False, _reason(exc.reason)
    except Exception as exc:  # timeouts while reading, resets, bad status lines
        return False, _reason(exc)


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


class BackgroundPinger:
    """One daemon thread sending the queued pings in order, each within ``timeout``."""

    def __init__(
        self,
        on_result: ResultHandler,
        *,
        timeout: float,
        user_agent: str,
        max_waiting: int = 4,
    ) -> None:
        self._on_result = on_result
        self._timeout = timeout
        self._user_agent = user_agent
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(max_waiting)
        self._thread: threading.Thread | None = None

    def submit(self, label: str, url: str) -> bool:
        """Queue a ping without waiting; False when it was dropped (the queue is full)."""
        if self._thread is None:
            # A daemon thread: a hanging request never holds up the process's exit.
            self._thread = threading.Thread(target=self._work, name="ping", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((label, url))
        except queue.Full:
            log.warning("ping to %s dropped: earlier pings are still waiting", url_host(url))
            return False
        return True

    def close(self) -> None:
        """Let the thread end after the pings queued so far (without waiting for them)."""
        if self._thread is not None:
            # When full, the thread (a daemon thread) ends with the process instead.
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            label, url = item
            reached, detail = request_url(url, self._timeout, self._user_agent)
            if reached:
                log.debug("ping (%s) to %s: %s", label, url_host(url), detail)
            else:
                log.warning("ping (%s) to %s failed: %s", label, url_host(url), detail)
            try:
                self._on_result(label, reached, detail)
            except Exception:
                log.exception("could not record the ping to %s", url_host(url))
