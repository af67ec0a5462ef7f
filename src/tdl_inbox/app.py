"""Composition root: build the real adapters from settings. Entry points call this."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.db.engine import make_engine, make_sessions
from tdl_inbox.adapters.db.revision import require_current
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.config.loading import read_imap_password, read_password
from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError, DatabaseError
from tdl_inbox.services.intake.context import IngestContext, ingest_context

if TYPE_CHECKING:
    # Imported where used: a listing or grading command needs neither IMAP, SMTP, the outbox
    # nor the reports, and importing them would cost it a good part of its start-up.
    from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
    from tdl_inbox.adapters.smtp import SmtpParams, SmtpSender
    from tdl_inbox.services.mail.outbox import FlushReport
    from tdl_inbox.services.reporting.documents import ReportScope


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: BlobStore
    ctx: IngestContext = field(init=False)

    def __post_init__(self) -> None:
        self.ctx = ingest_context(self.settings)

    def imap_params(self) -> ImapParams:
        from tdl_inbox.adapters.imap import ImapParams

        mailbox = self.settings.mailbox
        return ImapParams(
            host=mailbox.host,
            port=mailbox.port,
            security=mailbox.security,
            username=mailbox.username,
            password=read_imap_password(mailbox),
            cafile=mailbox.cafile,
            timeout_seconds=mailbox.timeout_seconds,
        )

    def open_mailbox(self) -> ImapMailbox:
        from tdl_inbox.adapters.imap import ImapMailbox

        return ImapMailbox(self.imap_params())

    def smtp_params(self) -> SmtpParams | None:
        smtp = self.settings.smtp
        if smtp is None:
            return None
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
