"""``check``: can this configuration do its job? One result per part, never an exception."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from tdl_inbox.adapters.db.engine import DatabaseNotWritable, make_engine, require_writable
from tdl_inbox.adapters.db.migrate import current_revision, require_current
from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
from tdl_inbox.adapters.smtp import SmtpParams, SmtpSender
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.config.loading import read_imap_password, read_password
from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError, TdlInboxError


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool
    detail: str


def check_mailbox(settings: Settings) -> CheckResult:
    m = settings.mailbox
    try:
        params = ImapParams(
            m.host,
            m.port,
            m.security,
            m.username,
            read_imap_password(m),
            m.cafile,
            m.timeout_seconds,
        )
        with ImapMailbox(params) as mailbox:
            status = mailbox.select(m.folder)
    except TdlInboxError as exc:
        return CheckResult("mailbox", False, str(exc))
    return CheckResult(
        "mailbox",
        True,
        f"logged in to {m.host}:{m.port} ({m.security}) as {m.username}; "
        f"folder {m.folder} holds {status.exists} messages (UIDVALIDITY {status.uidvalidity})",
    )


def check_smtp(settings: Settings) -> CheckResult:
    """Connect, STARTTLS and log in as sending would, so a wrong port or password shows now."""
    s = settings.smtp
    if s is None:
        return CheckResult(
            "smtp", True, "no [smtp] section: receipts, reports and alerts are not sent"
        )
    try:
        password = read_password(s)
    except ConfigError as exc:
        return CheckResult("smtp", False, f"login: {exc}")
    params = SmtpParams(
        s.host, s.port, s.security, s.username, password, s.cafile, s.timeout_seconds
    )
    try:
        with SmtpSender(params):
            pass
    except TdlInboxError as exc:
        return CheckResult("smtp", False, str(exc))
    login = f"logged in as {s.username}" if s.username is not None else "no login configured"
    return CheckResult("smtp", True, f"{s.host}:{s.port} ({s.security}): {login}")


def check_database(settings: Settings) -> CheckResult:
    where = make_url(settings.database.url).render_as_string(hide_password=True)
    try:
        engine = make_engine(settings.database.url)
        try:
            require_current(engine)
            revision = current_revision(engine)
            require_writable(engine)
        finally:
            engine.dispose()
    except DatabaseNotWritable as exc:  # names the database already
        return CheckResult("database", False, str(exc))
    except TdlInboxError as exc:
        return CheckResult("database", False, f"{where}: {exc}")
    except Exception as exc:  # any driver error: report it as this part's problem
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return CheckResult("database", False, f"cannot use database {where}: {reason}")
    return CheckResult("database", True, f"{where} is at revision {revision} and writable")


def check_store(settings: Settings) -> CheckResult:
    assert settings.storage.dir is not None
    try:
        BlobStore(settings.storage.dir).ensure()
    except TdlInboxError as exc:
        return CheckResult("storage", False, str(exc))
    return CheckResult("storage", True, f"{settings.storage.dir} is writable")


def check_all(settings: Settings) -> list[CheckResult]:
    assignments = settings.assignments()
    config = CheckResult(
        "config", True, f"{settings.source}: {len(assignments)} assignments configured"
    )
    return [
        config,
        check_database(settings),
        check_store(settings),
        check_mailbox(settings),
        check_smtp(settings),
    ]
