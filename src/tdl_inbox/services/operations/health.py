"""``check``: can this configuration do its job? One result per part, never an exception."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import current_revision, require_current
from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
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


def check_database(url: str) -> CheckResult:
    where = make_url(url).render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
        try:
            require_current(engine)
            revision = current_revision(engine)
        finally:
            engine.dispose()
    except TdlInboxError as exc:
        return CheckResult("database", False, f"{where}: {exc}")
    except Exception as exc:  # any driver error: report it as this part's problem
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return CheckResult("database", False, f"cannot use database {where}: {reason}")
    return CheckResult("database", True, f"{where} is at revision {revision}")


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
    ]
