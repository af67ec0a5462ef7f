"""``check``: can this configuration do its job? One result per part, never an exception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tdl_inbox.adapters.db.engine import DatabaseNotWritable, make_engine, require_writable
from tdl_inbox.adapters.db.migrate import current_revision, require_current
from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
from tdl_inbox.adapters.smtp import SmtpParams, SmtpSender
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import TdlInboxError


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthTargets:
    """What ``check`` looks at, built from the config by the composition root."""

    config_source: Path | None
    assignment_count: int
    database_url: str
    store_dir: Path
    folder: str
    imap_params: Callable[[], ImapParams]
    """Called inside the check: a missing password is that check's failure."""
    smtp_params: Callable[[], SmtpParams] | None
    """None without an [smtp] section; called inside the check like ``imap_params``."""


def check_mailbox(imap_params: Callable[[], ImapParams], folder: str) -> CheckResult:
    try:
        m = imap_params()
        with ImapMailbox(m) as mailbox:
            status = mailbox.select(folder)
    except TdlInboxError as exc:
        return CheckResult("mailbox", False, str(exc))
    return CheckResult(
        "mailbox",
        True,
        f"logged in to {m.host}:{m.port} ({m.security}) as {m.username}; "
        f"folder {folder} holds {status.exists} messages (UIDVALIDITY {status.uidvalidity})",
    )


def check_smtp(smtp_params: Callable[[], SmtpParams] | None) -> CheckResult:
    """Connect, STARTTLS and log in as sending would, so a wrong port or password shows now."""
    if smtp_params is None:
        return CheckResult(
            "smtp", True, "no [smtp] section: receipts, reports and alerts are not sent"
        )
    try:
        params = smtp_params()
    except TdlInboxError as exc:
        return CheckResult("smtp", False, f"login: {exc}")
    try:
        with SmtpSender(params):
            pass
    except TdlInboxError as exc:
        return CheckResult("smtp", False, str(exc))
    login = (
        f"logged in as {params.username}" if params.username is not None else "no login configured"
    )
    return CheckResult("smtp", True, f"{params.host}:{params.port} ({params.security}): {login}")


def check_database(url: str) -> CheckResult:
    where = make_url(url).render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
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


def check_store(directory: Path) -> CheckResult:
    try:
        BlobStore(directory).ensure()
    except TdlInboxError as exc:
        return CheckResult("storage", False, str(exc))
    return CheckResult("storage", True, f"{directory} is writable")


def check_all(targets: HealthTargets) -> list[CheckResult]:
    config = CheckResult(
        "config",
        True,
        f"{targets.config_source}: {targets.assignment_count} assignments configured",
    )
    return [
        config,
        check_database(targets.database_url),
        check_store(targets.store_dir),
        check_mailbox(targets.imap_params, targets.folder),
        check_smtp(targets.smtp_params),
    ]
