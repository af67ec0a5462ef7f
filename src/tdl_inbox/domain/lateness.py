"""Lateness: is an arrival on time for a deadline, and by how much is it late.

The arrival time is the IMAP INTERNALDATE (when the server received the mail), never the
sender-controlled ``Date:`` header. The whole deadline minute counts: for a 23:59 deadline,
23:59:59 is on time and 00:00:00 is late.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

DEADLINE_MINUTE = timedelta(seconds=60)


@dataclass(frozen=True)
class Verdict:
    late: bool
    late_by_seconds: int
    """0 when on time; otherwise seconds past the end of the deadline minute, rounded up, >= 1."""
    delivery_delay_suspected: bool
    """The ``Date:`` header says it was sent in time but it arrived late."""


def cutoff(deadline: datetime) -> datetime:
    """The first instant that is late."""
    return deadline + DEADLINE_MINUTE


def judge(arrived_at: datetime, deadline: datetime, sent_at: datetime | None = None) -> Verdict:
    """Judge one arrival against one deadline. All datetimes must be timezone-aware."""
    end = cutoff(deadline)
    if arrived_at < end:
        return Verdict(late=False, late_by_seconds=0, delivery_delay_suspected=False)
    late_by = max(1, math.ceil((arrived_at - end).total_seconds()))
    suspected = sent_at is not None and sent_at < end
    return Verdict(late=True, late_by_seconds=late_by, delivery_delay_suspected=suspected)


def duration_parts(seconds: int) -> tuple[int, int, int, int]:
    """Days, hours, minutes and seconds of a duration (negative counts as none)."""
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return days, hours, minutes, secs
