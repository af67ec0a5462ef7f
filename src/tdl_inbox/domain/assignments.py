"""Assignments and the deadline rule."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Kind(enum.StrEnum):
    THEORY = "theory"
    LAB = "lab"


def assignment_key(kind: Kind, number: int) -> str:
    """The stable name of an assignment, e.g. ``theory-2``."""
    return f"{kind.value}-{number}"


@dataclass(frozen=True)
class DeadlineRule:
    """Deadline = publication day + ``after_days`` at ``at`` local time in ``timezone``."""

    timezone: ZoneInfo
    at: time
    after_days: int

    def deadline(self, published: date) -> datetime:
        day = published + timedelta(days=self.after_days)
        # ZoneInfo resolves the offset valid on that day, so DST history is honoured.
        return datetime.combine(day, self.at, tzinfo=self.timezone)


@dataclass(frozen=True)
class Assignment:
    kind: Kind
    number: int
    published: date
    max_points: float
    deadline: datetime
    """Aware datetime: the computed deadline or the admin's override."""
    overridden: bool = False

    @property
    def key(self) -> str:
        return assignment_key(self.kind, self.number)


def make_assignment(
    kind: Kind,
    number: int,
    published: date,
    max_points: float,
    rule: DeadlineRule,
    override: datetime | None = None,
) -> Assignment:
    """Build an assignment; a naive ``override`` is read in the rule's timezone."""
    if override is None:
        return Assignment(kind, number, published, max_points, rule.deadline(published))
    if override.tzinfo is None:
        override = override.replace(tzinfo=rule.timezone)
    return Assignment(kind, number, published, max_points, override, overridden=True)
