"""The polling daemon: ``poll_once`` on an APScheduler interval, until SIGTERM or SIGINT.

A signal lets the message being recorded finish, then the process exits 0. When the server
is away, polls back off exponentially (up to ``MAX_BACKOFF``) instead of hammering it; a
refused login waits longer still. After each poll, queued mail (receipts, reports, alerts) is
sent; SMTP trouble never stops polling. With ``reports.cron`` set, the late and summary
reports are e-mailed on that schedule.

Watched from outside, and backed up: with ``alerts.ping_url`` each poll is reported to an
outside monitor in the background (it never delays ingest); with ``backup.cron`` a dated
backup is written under ``backup.dir`` on that schedule, the last ``backup.keep`` kept.

The config is re-read on SIGHUP and, with ``daemon.watch_config``, when the file changes; a
config that is invalid or needs a restart is refused with an alert, the old one staying in
force. A valid one is swapped in between polls.

If the SQLite database file is removed or replaced while it runs, the daemon stops (exit 1)
with an alert instead of recording into a file nobody will read; the mailbox still holds
everything, so a restart on a database records it.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from tdl_inbox.adapters.db.engine import (
    DatabaseFileReplaced,
    DatabaseFileWatch,
    watch_database_file,
)
from tdl_inbox.adapters.lock import daemon_lock
from tdl_inbox.app import App, utc_now
from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError, MailboxUnavailable, TdlInboxError
from tdl_inbox.reload import ConfigChange, compare, content_digest, read_config
from tdl_inbox.services.intake.push import PollRunner, PushSettings
from tdl_inbox.services.mail.outbox import FlushReport
from tdl_inbox.services.operations.backup import nightly_backup, nightly_backup_failed
from tdl_inbox.services.operations.config_alerts import config_not_applied
from tdl_inbox.services.operations.polling import poll_and_send
from tdl_inbox.services.operations.pushing import Push, start_push
from tdl_inbox.services.operations.status import database_file_lost, poll_failed
from tdl_inbox.services.reporting.mailing import queue_report_mail

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=10)
WATCH_SECONDS = 1.0
"""How often the config file is looked at; a change is acted on once it held for one look."""


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

    def retry_now(self) -> None:
        """The server answers again (IDLE reconnected): poll at once, still counting as a
        recovery from the failures."""
        self.not_before = None

    def waiting(self, now: datetime) -> bool:
        return self.not_before is not None and now < self.not_before


def cron_trigger(settings: Settings, cron: str | None, key: str) -> CronTrigger | None:
    """The schedule written in config key ``key`` (crontab syntax, course time)."""
    if cron is None:
        return None
    try:
        return CronTrigger.from_crontab(cron, timezone=settings.course.zone)
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def report_trigger(app: App) -> CronTrigger | None:
    return cron_trigger(app.settings, app.settings.reports.cron, "reports.cron")


def backup_trigger(app: App) -> CronTrigger | None:
    return cron_trigger(app.settings, app.settings.backup.cron, "backup.cron")


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = threading.Event()
        interval = timedelta(seconds=app.settings.mailbox.poll_interval_seconds)
        self.backoff = Backoff(interval)
        self.watch: DatabaseFileWatch | None = None
        self.lost: DatabaseFileReplaced | None = None
        self._lost_lock = threading.Lock()
        self.polls = PollRunner(self._poll_job)
        self.successful_polls = 0
        self.push: Push | None = None
        self.pings = app.pings()
        self.poll_lock = threading.Lock()
        """Held by each poll and report run, and by a reload while it swaps the config."""
        self.scheduler: BackgroundScheduler | None = None
        self.reload_requested = threading.Event()
        source = app.settings.source
        self._config_seen = None if source is None else content_digest(source)
        """The config content last applied or refused: the watcher acts only on another."""
        self._config_watcher: threading.Thread | None = None

    def check_database(self) -> None:
        """Stop if the database file is not the one opened at start."""
        if self.watch is None:
            return
        try:
            self.watch.check()
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)

    def _database_lost(self, exc: DatabaseFileReplaced) -> None:
        with self._lost_lock:
            if self.lost is not None:
                return
            self.lost = exc
        self.stop.set()
        log.error(
            "%s; stopping so that nothing more is recorded into it (the mailbox keeps the mail: "
            "restore the file or run `tdl-inbox db upgrade`, then start again)",
            exc,
        )
        try:
            database_file_lost(self.app.alert_policy(), self.app.open_smtp, str(exc), utc_now())
        except TdlInboxError as mail_error:
            log.error("could not mail the alert: %s", mail_error)
        except Exception:
            log.exception("could not mail the alert")

    def poll_job(self) -> None:
        """One poll at a time, whether the interval or IDLE asks (see ``PollRunner``)."""
        self.polls.run()

    def _poll_job(self) -> None:
        try:
            with self.poll_lock:
                self._poll()
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)

    def _poll(self) -> None:
        if self.stop.is_set():
            return
        self.check_database()
        if self.stop.is_set():
            return
        if self.backoff.waiting(utc_now()):
            log.debug("backing off: no poll before %s", self.backoff.not_before)
            self._send_mail()
            return
        try:
            report, _ = poll_and_send(
                self.app.poll_cycle(send_mail=self._send_mail), should_stop=self.stop.is_set
            )
        except DatabaseFileReplaced:
            raise
        except MailboxUnavailable as exc:
            self._failed(exc, permanent=False, level=logging.WARNING)
            return
        except TdlInboxError as exc:
            self._failed(exc, permanent=True, level=logging.ERROR)
            return
        except Exception as exc:
            log.exception("poll failed unexpectedly")
            self._failed(exc, permanent=True, level=logging.ERROR)
            return
        if self.backoff.failures:
            log.info("mailbox reachable again after %d failed polls", self.backoff.failures)
        self.backoff.succeeded()
        self.successful_polls += 1
        self._ping(ok=True)
        if report.recorded or report.duplicates or report.uidvalidity_changed:
            log.info(
                "poll: %d new submissions, %d rejected, %d duplicates",
                report.new_submissions,
                report.rejected,
                report.duplicates,
            )

    def _failed(self, exc: BaseException, permanent: bool, level: int) -> None:
        delay = self.backoff.failed(utc_now(), permanent=permanent)
        log.log(level, "poll failed: %s; next attempt in %s", exc, delay)
        self._ping(ok=False)
        try:
            with self.app.sessions.begin() as session:
                poll_failed(session, self.app.alert_policy(), utc_now(), str(exc))
        except DatabaseFileReplaced:
            raise
        except Exception:  # the database may be what failed; the log line above stands
            log.exception("could not record the failed poll")
        self._send_mail()

    def _send_mail(self) -> FlushReport:
        """Send what waits; trouble sending never stops polling."""
        try:
            return self.app.flush_outbox()
        except DatabaseFileReplaced:
            raise
        except Exception:
            log.exception("sending queued mail failed")
            return FlushReport()

    def report_job(self) -> None:
        """E-mail the summary and late reports (``reports.cron``)."""
        try:
            with self.poll_lock:
                try:
                    queue_report_mail(self.app.report_scope(), self.app.admin_mail())
                except DatabaseFileReplaced:
                    raise
                except Exception:
                    log.exception("could not prepare the scheduled reports")
                self._send_mail()
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)

    # ------------------------------------------------------------ push (IMAP IDLE)
    def start_push(self) -> None:
        """Idle on the folder (``mailbox.idle``): new mail wakes ``poll_job`` at once; the
        interval poll stays as the safety net."""
        mailbox = self.app.settings.mailbox
        settings = PushSettings(
            folder=mailbox.folder,
            renew_seconds=mailbox.idle_renew_seconds,
            probe_seconds=mailbox.timeout_seconds,
            recheck_seconds=mailbox.poll_interval_seconds,
        )
        self.push = start_push(
            mailbox.idle,
            self.app.open_mailbox,
            settings,
            self.app.sessions,
            self.polls,
            utc_now,
            self.stop,
            reachable=self.backoff.retry_now,
            successful_polls=lambda: self.successful_polls,
            database_ok=self._database_ok,
        )

    def _database_ok(self) -> bool:
        self.check_database()
        return self.lost is None

    def stop_push(self) -> None:
        """After ``stop`` is set: the watcher leaves IDLE and logs out (socket timeout bound)."""
        if self.push is not None:
            self.push.join(timeout=2 * self.app.settings.mailbox.timeout_seconds + 5)

    # --- watched from outside (alerts.ping_url) and backed up (backup.cron) ---

    def _ping(self, ok: bool) -> None:
        """Tell the outside monitor how the poll went; queued, never waited for."""
        if self.pings is not None:
            self.pings.after_poll(ok)

    def backup_job(self) -> None:
        """Write a dated backup under ``backup.dir`` and prune to ``backup.keep``."""
        backup = self.app.settings.backup
        assert backup.dir is not None  # the schema requires it with backup.cron
        try:
            result, removed = nightly_backup(
                self.app.install(),
                backup.dir,
                backup.keep,
                utc_now(),
                self.app.settings.course.zone,
            )
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)
            return
        except TdlInboxError as exc:
            log.error("scheduled backup failed: %s", exc)
            self._backup_failed(str(exc))
            return
        except Exception as exc:
            log.exception("scheduled backup failed")
            self._backup_failed(f"{type(exc).__name__}: {exc}")
            return
        log.info(
            "backup written to %s (%d new store files); %d old backups removed",
            result.directory,
            result.store.copied_files,
            len(removed),
        )
        if result.database_note:
            log.warning("%s", result.database_note)

    def _backup_failed(self, error: str) -> None:
        try:
            try:
                with self.app.sessions.begin() as session:
                    nightly_backup_failed(session, self.app.admin_mail(), error, utc_now())
            except DatabaseFileReplaced:
                raise
            except Exception:
                log.exception("could not queue the alert about the failed backup")
            self._send_mail()
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info(
            "received %s: finishing the current batch, then exiting", signal.Signals(signum).name
        )
        self.stop.set()

    def _add_report_job(self, scheduler: BackgroundScheduler, trigger: CronTrigger) -> None:
        scheduler.add_job(self.report_job, trigger, id="reports", max_instances=1, coalesce=True)

    def _add_backup_job(self, scheduler: BackgroundScheduler, trigger: CronTrigger) -> None:
        scheduler.add_job(self.backup_job, trigger, id="backup", max_instances=1, coalesce=True)

    # Config reload: SIGHUP, or the file changed (daemon.watch_config). One thread does both,
    # so reloads never overlap; the swap itself waits for the poll lock.

    def _on_reload_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.reload_requested.set()

    def _start_config_reload(self, scheduler: BackgroundScheduler) -> None:
        self.scheduler = scheduler
        if self.app.settings.source is None:  # settings not read from a file: nothing to re-read
            return
        self._config_watcher = threading.Thread(
            target=self._watch_config, name="config-watch", daemon=True
        )
        self._config_watcher.start()

    def _stop_config_reload(self) -> None:
        self.stop.set()
        if self._config_watcher is not None:
            self._config_watcher.join()

    def _watch_config(self) -> None:
        path = self.app.settings.source
        assert path is not None
        pending: str | None = None
        while not self.stop.is_set():
            requested = self.reload_requested.wait(WATCH_SECONDS)
            if self.stop.is_set():
                return
            if requested:
                self.reload_requested.clear()
                self._reload("SIGHUP", requested=True)
                continue
            if not self.app.settings.daemon.watch_config:
                continue
            digest = content_digest(path)
            if digest is None or digest == self._config_seen:
                pending = None  # unreadable: an editor replacing it, or gone (SIGHUP reports that)
            elif digest != pending:
                pending = digest  # an editor may still be writing: act once it held for a look
            else:
                pending = None
                self._reload("the file changed", requested=False)

    def _reload(self, why: str, requested: bool) -> None:
        """Re-read the config; apply it between polls, or keep the old one and say why."""
        try:
            self._reload_config(why, requested)
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)
        except Exception:  # the watcher must outlive any surprise: the old config stays
            log.exception("config reload failed; the previous config stays in force")

    def _reload_config(self, why: str, requested: bool) -> None:
        path = self.app.settings.source
        assert path is not None
        read = read_config(path)
        if read is None:
            if requested:  # changing under us: look again rather than drop the request
                self.stop.wait(WATCH_SECONDS)
                self.reload_requested.set()
            return  # the watcher looks again anyway
        self._config_seen = read.digest
        if read.error is not None:
            self._refuse_config(str(read.error), read.digest, needs_restart=False)
            return
        new = read.settings
        assert new is not None
        try:
            reports = cron_trigger(new, new.reports.cron, "reports.cron")
            backups = cron_trigger(new, new.backup.cron, "backup.cron")
        except ConfigError as exc:
            self._refuse_config(f"config file {path}: {exc}", read.digest, needs_restart=False)
            return
        change = compare(self.app.settings, new)
        if change.needs_restart:
            keys = ", ".join(change.needs_restart)
            self._refuse_config(
                f"config file {path}: {keys} changed, which the running daemon cannot apply: "
                "it needs a restart",
                read.digest,
                needs_restart=True,
            )
            return
        if not change.any:
            log.info("config re-read (%s): nothing changed", why)
            return
        with self.poll_lock:
            old = self.app.settings
            self.app.replace_settings(new)
            self._reschedule(change, reports, backups)
            if change.ping_url_changed:
                previous, self.pings = self.pings, self.app.pings()
                if previous is not None:
                    previous.close()
        log.info("config reloaded (%s)", why)
        self._after_reload(old, new)

    def _reschedule(
        self, change: ConfigChange, reports: CronTrigger | None, backups: CronTrigger | None
    ) -> None:
        scheduler = self.scheduler
        if scheduler is None:
            return
        if change.poll_interval_changed:
            seconds = self.app.settings.mailbox.poll_interval_seconds
            self.backoff.interval = timedelta(seconds=seconds)
            scheduler.reschedule_job("poll", trigger="interval", seconds=seconds)
            log.info("polling every %ss now", seconds)
        if change.report_schedule_changed:
            if scheduler.get_job("reports") is not None:
                scheduler.remove_job("reports")
            if reports is not None:
                self._add_report_job(scheduler, reports)
            log.info("reports: %s", f"on '{self.app.settings.reports.cron}'" if reports else "off")
        if change.backup_schedule_changed:
            if scheduler.get_job("backup") is not None:
                scheduler.remove_job("backup")
            if backups is not None:
                self._add_backup_job(scheduler, backups)
            log.info("backups: %s", f"on '{self.app.settings.backup.cron}'" if backups else "off")

    def _refuse_config(self, problem: str, digest: str, needs_restart: bool) -> None:
        log.error("config not reloaded, the previous one stays in force: %s", problem)
        try:
            with self.poll_lock:
                with self.app.sessions.begin() as session:
                    config_not_applied(
                        session, self.app.admin_mail(), utc_now(), problem, digest, needs_restart
                    )
                self._send_mail()
        except DatabaseFileReplaced:
            raise
        except Exception:  # the log line above stands
            log.exception("could not queue the alert about the config")

    def _after_reload(self, old: Settings, new: Settings) -> None:
        """What follows a reload besides the swap itself."""
        if compare(old, new).assignments_changed:
            self.on_assignments_changed()

    def on_assignments_changed(self) -> None:
        """Mail rejected for an unknown assignment or kind may be accepted now: record it (each
        student gets a follow-up receipt), as ``tdl-inbox recheck`` does."""
        from tdl_inbox.services.intake.recheck import recheck

        try:
            with self.poll_lock:
                changes = recheck(
                    self.app.sessions, self.app.store, self.app.ctx, utc_now, actor="daemon"
                )
        except DatabaseFileReplaced as exc:
            self._database_lost(exc)
            return
        except Exception:
            log.exception("re-checking rejected mail after the reload failed")
            return
        log.info(
            "assignments or kind aliases changed: %d rejected message(s) are submissions now",
            len(changes),
        )
        if changes:
            self._send_mail()

    def run(self) -> None:
        signal.signal(signal.SIGHUP, self._on_reload_signal)
        trigger = report_trigger(self.app)
        backups = backup_trigger(self.app)
        with daemon_lock(self.app.engine):
            self.watch = watch_database_file(self.app.engine)
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
            if trigger is not None:
                self._add_report_job(scheduler, trigger)
            if backups is not None:
                self._add_backup_job(scheduler, backups)
            scheduler.start()
            self._start_config_reload(scheduler)
            self.start_push()
            log.info(
                "daemon started: polling %s every %ss%s",
                self.app.settings.mailbox.folder,
                self.app.settings.mailbox.poll_interval_seconds,
                f"; reports on '{self.app.settings.reports.cron}'" if trigger else "",
            )
            try:
                while not self.stop.wait(1.0):
                    self.check_database()  # notice a removed file between polls too
            finally:
                self.stop.set()
                self.stop_push()
                self._stop_config_reload()
                scheduler.shutdown(wait=True)
                if self.pings is not None:
                    self.pings.close()
            log.info("daemon stopped")
        if self.lost is not None:
            raise self.lost
