"""The settings ingest needs, in domain terms, built once by an entry point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tdl_inbox.config.schema import Settings
from tdl_inbox.domain.assignments import Assignment, Kind
from tdl_inbox.domain.subjects import DEFAULT_KIND_ALIASES
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy


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
    receipts: ReceiptPolicy | None = None
    """None: no receipts (no [smtp] section, or receipts.enabled = false)."""


def kind_aliases(settings: Settings) -> dict[str, Kind]:
    """The words a subject may use for each kind: the defaults and ``course.kind_aliases``."""
    aliases = dict(DEFAULT_KIND_ALIASES)
    aliases.update({word.lower(): kind for word, kind in settings.course.kind_aliases.items()})
    return aliases


def ingest_context(settings: Settings) -> IngestContext:
    course, mailbox = settings.course, settings.mailbox
    since = None
    if mailbox.since is not None:
        since = datetime.combine(mailbox.since, datetime.min.time(), tzinfo=course.zone)
    aliases = kind_aliases(settings)
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
        )
    return IngestContext(
        folder=mailbox.folder,
        assignments={a.key: a for a in settings.assignments()},
        kind_aliases=aliases,
        since=since,
        batch_messages=mailbox.fetch_batch_messages,
        batch_bytes=mailbox.fetch_batch_bytes,
        max_message_bytes=mailbox.max_message_bytes,
        receipts=receipts,
    )
