"""What ingest needs to know, in domain terms; ``app.py`` builds it from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tdl_inbox.domain.assignments import Assignment, Kind
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy


@dataclass(frozen=True)
class IngestContext:
    folder: str
    assignments: Mapping[str, Assignment]
    kind_aliases: Mapping[str, Kind]
    since: datetime | None
    """Mail that arrived before this instant is ignored; None: nothing is."""
    batch_messages: int
    batch_bytes: int
    max_message_bytes: int
    receipts: ReceiptPolicy | None
    """None: no receipts (no [smtp] section, or receipts.enabled = false)."""
