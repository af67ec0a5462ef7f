"""Re-reading the config while the daemon runs: what changed, and may it apply without a restart.

Beside ``app.py`` rather than in ``services/`` because it compares ``Settings`` (services take
values, never the config). Pure apart from reading the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from tdl_inbox.config.loading import load_config
from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError

RESTART_ONLY: tuple[tuple[str, str, str], ...] = (
    ("database.url", "database", "url"),
    ("storage.dir", "storage", "dir"),
    ("mailbox.folder", "mailbox", "folder"),
)
"""Keys the running daemon cannot swap: its database connection and lock, its open store, and
the folder whose UIDs and alert state it tracks all belong to the values it started with."""


@dataclass(frozen=True)
class ConfigChange:
    needs_restart: tuple[str, ...]
    """Changed keys that only a restart can apply (the reload is refused when any is set)."""
    assignments_changed: bool
    """The assignments or the kind aliases differ: rejected mail may now be accepted."""
    poll_interval_changed: bool
    report_schedule_changed: bool
    """``reports.cron`` or ``course.timezone`` (the time zone the cron runs in) changed."""
    backup_schedule_changed: bool
    """``backup.cron`` or ``course.timezone`` changed."""
    ping_url_changed: bool
    any: bool


def compare(old: Settings, new: Settings) -> ConfigChange:
    restart = tuple(
        key
        for key, section, name in RESTART_ONLY
        if getattr(getattr(old, section), name) != getattr(getattr(new, section), name)
    )
    zone_changed = old.course.timezone != new.course.timezone
    return ConfigChange(
        needs_restart=restart,
        assignments_changed=(
            old.assignments() != new.assignments() or old.kind_aliases() != new.kind_aliases()
        ),
        poll_interval_changed=(
            old.mailbox.poll_interval_seconds != new.mailbox.poll_interval_seconds
        ),
        report_schedule_changed=old.reports.cron != new.reports.cron or zone_changed,
        backup_schedule_changed=old.backup.cron != new.backup.cron or zone_changed,
        ping_url_changed=old.alerts.ping_url != new.alerts.ping_url,
        any=old != new,
    )


def content_digest(path: Path) -> str | None:
    """SHA-256 of the file's bytes; None while it cannot be read (an editor replacing it)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class ConfigRead:
    digest: str
    """SHA-256 of the content (of the error, for a file that cannot be read), so that one bad
    file is reported once, not at every look."""
    settings: Settings | None
    error: ConfigError | None
    """The loader's one-line message naming the key, when the file is invalid."""


def read_config(path: Path) -> ConfigRead | None:
    """Load and validate ``path``; None when it changed while being read, so the caller looks
    again rather than act on half a file."""
    before = content_digest(path)
    try:
        settings, error = load_config(path), None
    except ConfigError as exc:
        settings, error = None, exc
    if content_digest(path) != before:
        return None
    if before is None:
        before = hashlib.sha256(str(error).encode()).hexdigest()
    return ConfigRead(before, settings, error)
