"""The settings ingest needs, in domain terms, built once by an entry point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tdl_inbox.config.schema import Settings
from tdl_inbox.domain.assignments import Assignment, Kind
from tdl_inbox.domain.subjects import DEFAULT_KIND_ALIASES


@dataclass(frozen=True)
class IngestContext:
    folder: str
    assignments: Mapping[str, Assignment]
    kind_aliases: Mapping[str, Kind] = field(default_factory=lambda: dict(DEFAULT_KIND_ALIASES))
    since: datetime | None = None
    """Mail that arrived before this instant is ignored."""
    batch_messages: int = 50
    batch_bytes: int = 20_000_000
    max_message_bytes: int = 50_000_000


def ingest_context(settings: Settings) -> IngestContext:
    course, mailbox = settings.course, settings.mailbox
    since = None
    if mailbox.since is not None:
        since = datetime.combine(mailbox.since, datetime.min.time(), tzinfo=course.zone)
    aliases = dict(DEFAULT_KIND_ALIASES)
    aliases.update({word.lower(): kind for word, kind in course.kind_aliases.items()})
    return IngestContext(
        folder=mailbox.folder,
        assignments={a.key: a for a in settings.assignments()},
        kind_aliases=aliases,
        since=since,
        batch_messages=mailbox.fetch_batch_messages,
        batch_bytes=mailbox.fetch_batch_bytes,
        max_message_bytes=mailbox.max_message_bytes,
    )
