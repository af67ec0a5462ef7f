"""Composition root: build the real adapters from settings. Entry points call this."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.db.engine import make_engine, make_sessions, sqlite_path
from tdl_inbox.adapters.db.revision import require_current
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.config.loading import read_imap_password, read_password
from tdl_inbox.config.schema import MailboxConfig, Settings, SmtpConfig
from tdl_inbox.domain.grading import Coefficients
from tdl_inbox.errors import ConfigError, DatabaseError
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy

if TYPE_CHECKING:
    # Imported where used: a listing or grading command needs neither IMAP, SMTP, the outbox,
    # the poll cycle nor the reports, and importing them would cost it its start-up.
    from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
    from tdl_inbox.adapters.smtp import SmtpParams, SmtpSender
    from tdl_inbox.services.mail.feedback import FeedbackPolicy
    from tdl_inbox.services.mail.notify import AdminMail
    from tdl_inbox.services.mail.outbox import FlushReport
    from tdl_inbox.services.operations.backup import Install
    from tdl_inbox.services.operations.health import HealthTargets
    from tdl_inbox.services.operations.ping import Pings
    from tdl_inbox.services.operations.polling import PollCycle
    from tdl_inbox.services.operations.status import AlertPolicy
    from tdl_inbox.services.reporting.documents import ReportScope


def utc_now() -> datetime:
    return datetime.now(UTC)


def ingest_context(settings: Settings) -> IngestContext:
    course, mailbox = settings.course, settings.mailbox
    since = None
    if mailbox.since is not None:
        since = datetime.combine(mailbox.since, datetime.min.time(), tzinfo=course.zone)
    aliases = settings.kind_aliases()
    assignments = {a.key: a for a in settings.assignments()}
    receipts = None
    if settings.smtp is not None and settings.receipts.enabled:
        hours = settings.receipts.max_age_hours
        receipts = ReceiptPolicy(
            language=settings.receipts.language,
            sender_address=settings.smtp.sender,
            course_name=course.name,
            zone=course.zone,
            counting=settings.grading.counting,
            max_per_sender_per_hour=settings.receipts.max_per_sender_per_hour,
            max_age=None if hours is None else timedelta(hours=hours),
            max_points={key: a.max_points for key, a in assignments.items()},
        )
    return IngestContext(
        folder=mailbox.folder,
        assignments=assignments,
        kind_aliases=aliases,
        since=since,
        batch_messages=mailbox.fetch_batch_messages,
        batch_bytes=mailbox.fetch_batch_bytes,
        max_message_bytes=mailbox.max_message_bytes,
        receipts=receipts,
    )


def imap_params(mailbox: MailboxConfig) -> ImapParams:
    from tdl_inbox.adapters.imap import ImapParams

    return ImapParams(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=read_imap_password(mailbox),
        cafile=mailbox.cafile,
        timeout_seconds=mailbox.timeout_seconds,
    )


def smtp_params(smtp: SmtpConfig) -> SmtpParams:
    from tdl_inbox.adapters.smtp import SmtpParams

    return SmtpParams(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=read_password(smtp),
        cafile=smtp.cafile,
        timeout_seconds=smtp.timeout_seconds,
    )


def admin_mail(settings: Settings) -> AdminMail:
    from tdl_inbox.services.mail.notify import AdminMail

    reports = tuple(settings.reports.recipients)
    return AdminMail(
        sender=None if settings.smtp is None else settings.smtp.sender,
        report_recipients=reports,
        alert_recipients=tuple(settings.alerts.recipients) or reports,
    )


def alert_policy(settings: Settings) -> AlertPolicy:
    from tdl_inbox.services.operations.status import AlertPolicy

    return AlertPolicy(
        folder=settings.mailbox.folder,
        failing_after=timedelta(minutes=settings.alerts.after_minutes),
        admin=admin_mail(settings),
        zone=settings.course.zone,
    )


def health_targets(settings: Settings) -> HealthTargets:
    from tdl_inbox.services.operations.health import HealthTargets

    assert settings.storage.dir is not None
    smtp = settings.smtp
    return HealthTargets(
        config_source=settings.source,
        assignment_count=len(settings.assignments()),
        database_url=settings.database.url,
        store_dir=settings.storage.dir,
        folder=settings.mailbox.folder,
        imap_params=lambda: imap_params(settings.mailbox),
        smtp_params=None if smtp is None else lambda: smtp_params(smtp),
    )


WEB_SECRET_NAME = "tdl-inbox-web.key"


def web_secret_path(settings: Settings) -> Path:
    """Beside the SQLite file, or (another database) beside the store: never in the config."""
    path = sqlite_path(settings.database.url)
    if path is not None:
        return path.parent / WEB_SECRET_NAME
    assert settings.storage.dir is not None
    return settings.storage.dir.parent / WEB_SECRET_NAME


def web_secret(settings: Settings) -> bytes:
    """The key that signs web session cookies, made on first use (mode 0600)."""
    from tdl_inbox.adapters.secret_file import load_or_create

    return load_or_create(web_secret_path(settings))


def database_exists(settings: Settings) -> bool:
    """False for a SQLite file not created yet: opening the database would create it."""
    path = sqlite_path(settings.database.url)
    return path is None or path.exists()


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: BlobStore
    ctx: IngestContext = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = ingest_context(self.settings)

    def replace_settings(self, settings: Settings) -> None:
        """Swap in a re-read config, its context built first so no reader sees half of it.

        The engine and the store stay: the daemon refuses a config that moves them.
        """
        ctx = ingest_context(settings)
        self.settings, self.ctx = settings, ctx

    def open_mailbox(self) -> ImapMailbox:
        from tdl_inbox.adapters.imap import ImapMailbox

        return ImapMailbox(imap_params(self.settings.mailbox))

    def smtp_params(self) -> SmtpParams | None:
        smtp = self.settings.smtp
        return None if smtp is None else smtp_params(smtp)

    def open_smtp(self) -> SmtpSender:
        params = self.smtp_params()
        if params is None:
            raise ConfigError("no [smtp] section in the config: outgoing mail is off")
        from tdl_inbox.adapters.smtp import SmtpSender

        return SmtpSender(params)

    def flush_outbox(self, force: bool = False) -> FlushReport:
        """Send what is due in the outbox (everything with ``force``; nothing without [smtp])."""
        from tdl_inbox.services.mail.outbox import FlushReport, flush

        if self.settings.smtp is None:
            return FlushReport()
        return flush(
            self.sessions,
            self.open_smtp,
            self.settings.smtp.sender,
            utc_now,
            self.settings.receipts.max_attempts,
            force,
        )

    def admin_mail(self) -> AdminMail:
        return admin_mail(self.settings)

    def claim_ttl(self) -> timedelta:
        """How long a claim lasts unless renewed (``grading.claim_minutes``)."""
        return self.settings.grading.claim_ttl

    def coefficients(self) -> Coefficients:
        """The final grade's constants, for the grade book (``grades`` and the workspace)."""
        g = self.settings.grading
        return Coefficients(g.k_hw, g.k_exam, g.exam_max_points)

    def feedback_policy(self) -> FeedbackPolicy:
        """What grade mails need; ``publish`` refuses to run without [smtp]."""
        from tdl_inbox.services.mail.feedback import FeedbackPolicy

        smtp = self.settings.smtp
        if smtp is None:
            raise ConfigError("no [smtp] section in the config: grade mails cannot be sent")
        return FeedbackPolicy(
            language=self.settings.receipts.language,
            sender_address=smtp.sender,
            course_name=self.settings.course.name,
            counting=self.settings.grading.counting,
            show_grader=self.settings.feedback.show_grader,
        )

    def alert_policy(self) -> AlertPolicy:
        return alert_policy(self.settings)

    def poll_cycle(self, send_mail: Callable[[], FlushReport] | None = None) -> PollCycle:
        """One poll and what follows it; ``send_mail`` replaces sending the outbox."""
        from tdl_inbox.services.operations.polling import PollCycle

        return PollCycle(
            engine=self.engine,
            open_mailbox=self.open_mailbox,
            sessions=self.sessions,
            store=self.store,
            ctx=self.ctx,
            clock=utc_now,
            alerts=self.alert_policy(),
            send_mail=send_mail or self.flush_outbox,
        )

    def report_scope(self) -> ReportScope:
        from tdl_inbox.services.reporting.documents import ReportScope

        return ReportScope(
            sessions=self.sessions,
            store=self.store,
            assignments=self.ctx.assignments,
            counting=self.settings.grading.counting,
            course_name=self.settings.course.name,
            zone=self.settings.course.zone,
            now=utc_now(),
        )

    # Watched from outside, and backed up: what the ping and the backups need.
    def pings(self) -> Pings | None:
        """The pinger of ``alerts.ping_url``, or None when none is configured."""
        url = self.settings.alerts.ping_url
        if url is None:
            return None
        from tdl_inbox import __version__
        from tdl_inbox.services.operations.ping import Pings

        return Pings(url, self.sessions, utc_now, f"tdl-inbox/{__version__}")

    def install(self) -> Install:
        """The database and store that ``backup`` copies and ``restore`` fills."""
        from tdl_inbox import __version__
        from tdl_inbox.services.operations.backup import Install

        return Install(self.engine, self.store.root, __version__)

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()


def build_app(settings: Settings, *, require_schema: bool = True) -> App:
    engine = make_engine(settings.database.url)
    if require_schema:
        with database_errors(settings):
            require_current(engine)
    assert settings.storage.dir is not None
    return App(settings, engine, make_sessions(engine), BlobStore(settings.storage.dir))


@contextlib.contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """Report an unreachable database as one line naming it, without the password."""
    try:
        yield
    except OperationalError as exc:
        from sqlalchemy.engine import make_url

        where = make_url(settings.database.url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot use database {where}: {reason}") from None
