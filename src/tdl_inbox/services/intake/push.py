"""New mail pushed by the server (IMAP IDLE, RFC 2177) instead of waited for.

The watcher keeps one connection idling on the folder and, when the server reports new mail,
only *wakes* the poll: recording stays in the one poll path (``poll_once``), so exactly-once
recording does not depend on which of the two noticed the mail first. ``PollRunner`` makes
sure polls never overlap and that a request during a poll causes one more poll right after
it, so a burst of arrivals becomes one or two ingests, and nothing arriving mid-ingest waits
for the next interval.

Every (re)connect is followed by a poll, which picks up whatever arrived while nobody
idled. IDLE is left and re-entered at least every ``renew_seconds`` (servers may drop an
IDLE older than 30 minutes) and every ``probe_seconds``: the DONE is answered within the
socket timeout or the connection is declared dead, so a connection the network dropped
silently is noticed. A server that does not offer IDLE (checked on every connect) is left to
the interval poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from tdl_inbox.errors import MailboxUnavailable, TdlInboxError
from tdl_inbox.services.intake.ports import PushMailbox, PushMailboxFactory

log = logging.getLogger(__name__)

PushMode = Literal["idle", "polling"]
STOP_CHECK_SECONDS = 0.5
"""How often a wait in IDLE looks at the stop flag: SIGTERM ends the watcher this quickly."""
MAX_RETRY_SECONDS = 60.0


class PollRunner:
    """Runs ``poll`` one at a time for everyone who asks.

    ``run`` polls in the calling thread, or, when a poll is already running, asks it to poll
    once more when done and returns at once. ``request`` does the same from any thread
    without waiting: ``serve`` (on its own thread) runs the requested polls.
    """

    def __init__(self, poll: Callable[[], None]) -> None:
        self._poll = poll
        self._guard = threading.Lock()
        self._running = False
        self._again = False
        self._wanted = threading.Event()

    def run(self) -> None:
        with self._guard:
            if self._running:
                self._again = True
                return
            self._running = True
        try:
            while True:
                self._poll()
                with self._guard:
                    if not self._again:
                        self._running = False
                        return
                    self._again = False
        except BaseException:
            with self._guard:
                self._running = False
            raise

    def request(self) -> None:
        self._wanted.set()

    def serve(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self._wanted.wait(STOP_CHECK_SECONDS) and not stop.is_set():
                self._wanted.clear()
                try:
                    self.run()
                except Exception:  # the interval poll goes on; so must the pushed ones
                    log.exception("a pushed poll failed unexpectedly")


class PushEvents(Protocol):
    """What the watcher tells its owner."""

    def mode(self, mode: PushMode) -> None:
        """IDLE established (``idle``: the server is reachable), or lost or not offered
        (``polling``)."""

    def new_mail(self) -> None:
        """The server reported new mail in IDLE: poll now."""

    def check_folder(self) -> None:
        """(Re)connected: poll for anything that arrived while nobody idled."""


@dataclass(frozen=True)
class PushSettings:
    folder: str
    renew_seconds: float
    """Leave and re-enter IDLE at least this often (``mailbox.idle_renew_seconds``)."""
    probe_seconds: float
    """... and this often, to find out whether the connection is still alive."""
    recheck_seconds: float
    """Without IDLE, ask again on a new connection after this long (the poll interval)."""


class IdleWatcher:
    """The IDLE loop; ``run`` returns once ``stop`` is set (after DONE and LOGOUT)."""

    def __init__(
        self,
        open_mailbox: PushMailboxFactory,
        settings: PushSettings,
        events: PushEvents,
        stop: threading.Event,
        successful_polls: Callable[[], int],
    ) -> None:
        self.open_mailbox = open_mailbox
        self.settings = settings
        self.events = events
        self.stop = stop
        self.successful_polls = successful_polls
        """How many polls have worked so far: IDLE starts after the first, and after a refused
        login or certificate waits for the next, so a wrong password is tried by the poll
        alone, on its backoff."""
        self.failures = 0
        self.offered: bool | None = None

    def run(self) -> None:
        if not self._wait_for_a_poll_after(0):
            return
        while not self.stop.is_set():
            try:
                offered = self._session()
            except MailboxUnavailable as exc:
                self._lost(str(exc))
                continue
            except TdlInboxError as exc:
                log.warning("IDLE refused: %s; trying again after the next successful poll", exc)
                self.events.mode("polling")
                self._wait_for_a_poll_after(self.successful_polls())
                continue
            except Exception as exc:
                log.exception("IDLE failed unexpectedly")
                self._lost(str(exc))
                continue
            if not offered:
                self.events.mode("polling")
                self.stop.wait(self.settings.recheck_seconds)

    def _wait_for_a_poll_after(self, count: int) -> bool:
        while self.successful_polls() <= count:
            if self.stop.wait(STOP_CHECK_SECONDS):
                return False
        return True

    def _lost(self, reason: str) -> None:
        # Reconnects back off on their own scale: the poll's is in poll intervals, and a
        # five-minute interval would leave a deadline night without push after one blip.
        self.failures += 1
        delay = min(MAX_RETRY_SECONDS, 2.0 ** (self.failures - 1))
        log.warning("IDLE connection lost: %s; reconnecting in %.0f s", reason, delay)
        self.events.mode("polling")
        # The poll checks the folder (and, if the server is down, starts backing off).
        self.events.check_folder()
        self.stop.wait(delay)

    def _session(self) -> bool:
        """One connection: IDLE until stopped or the connection fails; False without IDLE."""
        with self.open_mailbox() as mailbox:
            mailbox.select(self.settings.folder)
            if not mailbox.supports_idle():
                if self.offered is not False:  # said once, not on every recheck
                    log.info("the server does not offer IDLE: new mail waits for the next poll")
                self.offered = False
                return False
            self.offered = True
            self.events.mode("idle")
            self.events.check_folder()
            self.failures = 0
            log.info("IDLE on %s: new mail is recorded as soon as it arrives", self.settings.folder)
            while not self.stop.is_set():
                self._idle_once(mailbox)
        return True

    def _idle_once(self, mailbox: PushMailbox) -> None:
        period = min(self.settings.renew_seconds, self.settings.probe_seconds)
        mailbox.idle_start()
        until = time.monotonic() + period
        while not self.stop.is_set() and (left := until - time.monotonic()) > 0:
            if mailbox.idle_check(min(left, STOP_CHECK_SECONDS)).new_mail:
                self.events.new_mail()
        mailbox.idle_done()
