"""The polling daemon: ``poll_once`` on an APScheduler interval, until SIGTERM or SIGINT.

A signal lets the message being recorded finish, then the process exits 0. When the server
is away, polls back off exponentially (up to ``MAX_BACKOFF``) instead of hammering it.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from tdl_inbox.adapters.lock import daemon_lock
from tdl_inbox.app import App, utc_now
from tdl_inbox.errors import MailboxRejected, MailboxUnavailable, TdlInboxError
from tdl_inbox.services.ingest import poll_once

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=10)


@dataclass
class Backoff:
    """Skip polls after failures: 1, 2, 4 ... poll intervals, capped."""

    interval: timedelta
    failures: int = 0
    not_before: datetime | None = None

    def failed(self, now: datetime, permanent: bool) -> timedelta:
        self.failures += 1
        factor = 2 ** min(self.failures - 1, 10)
        delay: timedelta = min(self.interval * factor, MAX_BACKOFF)
        if permanent:  # a refused login will not fix itself quickly: don't hammer the server
            delay = max(delay, min(MAX_BACKOFF, self.interval * 5))
        self.not_before = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.not_before = 0, None

    def waiting(self, now: datetime) -> bool:
        return self.not_before is not None and now < self.not_before


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = threading.Event()
        interval = timedelta(seconds=app.settings.mailbox.poll_interval_seconds)
        self.backoff = Backoff(interval)

    def poll_job(self) -> None:
        now = utc_now()
        if self.stop.is_set() or self.backoff.waiting(now):
            return
        try:
            report = poll_once(
                self.app.open_mailbox,
                self.app.sessions,
                self.app.store,
                self.app.ctx,
                utc_now,
                should_stop=self.stop.is_set,
            )
        except MailboxUnavailable as exc:
            delay = self.backoff.failed(utc_now(), permanent=False)
            log.warning("poll failed: %s; next attempt in %s", exc, delay)
            return
        except MailboxRejected as exc:
            delay = self.backoff.failed(utc_now(), permanent=True)
            log.error("poll failed: %s; next attempt in %s", exc, delay)
            return
        except TdlInboxError as exc:
            delay = self.backoff.failed(utc_now(), permanent=True)
            log.error("poll failed: %s; next attempt in %s", exc, delay)
            return
        except Exception:
            delay = self.backoff.failed(utc_now(), permanent=True)
            log.exception("poll failed unexpectedly; next attempt in %s", delay)
            return
        if self.backoff.failures:
            log.info("mailbox reachable again after %d failed polls", self.backoff.failures)
        self.backoff.succeeded()
        if report.recorded or report.duplicates or report.uidvalidity_changed:
            log.info(
                "poll: %d new submissions, %d rejected, %d duplicates",
                report.new_submissions,
                report.rejected,
                report.duplicates,
            )

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info(
            "received %s: finishing the current message, then exiting", signal.Signals(signum).name
        )
        self.stop.set()

    def run(self) -> None:
        with daemon_lock(self.app.engine):
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
            scheduler = BackgroundScheduler(timezone=UTC)
            scheduler.add_job(
                self.poll_job,
                "interval",
                seconds=self.app.settings.mailbox.poll_interval_seconds,
                id="poll",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC),
            )
            scheduler.start()
            log.info(
                "daemon started: polling %s every %ss",
                self.app.settings.mailbox.folder,
                self.app.settings.mailbox.poll_interval_seconds,
            )
            try:
                while not self.stop.wait(1.0):
                    pass
            finally:
                scheduler.shutdown(wait=True)
            log.info("daemon stopped")
