"""What a receipt needs from the settings, in domain terms.

Apart from :mod:`tdl_inbox.services.mail.receipts` (which imports the database models and the
MIME parser) because every command builds it from the config: a command that sends no receipt
should not pay for importing how receipts are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from tdl_inbox.services.grading.versions import Policy
    from tdl_inbox.services.mail.receipt_text import Language


@dataclass(frozen=True)
class ReceiptPolicy:
    language: Language
    sender_address: str
    course_name: str
    zone: ZoneInfo
    counting: Policy
    max_per_sender_per_hour: int
    max_age: timedelta | None
    max_points: Mapping[str, float]
    """Each assignment's maximum, for the grades a status reply shows."""
