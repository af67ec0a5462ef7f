"""How times, durations and rows are shown to people: in the course's timezone, compactly."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tdl_inbox.domain.lateness import duration_parts


def iso(value: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 with the course's offset, e.g. ``2019-03-16T23:59:00+03:00``."""
    return None if value is None else value.astimezone(zone).isoformat()


_PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types that are JSON as they are: most leaves, answered before the tests below."""


_FIELDS: dict[type, tuple[str, ...]] = {}
"""Dataclass -> its field names (``dataclasses.fields`` builds a tuple on every call)."""


def _field_names(value: Any) -> tuple[str, ...]:
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    return names


def to_jsonable(value: Any, zone: ZoneInfo) -> Any:
    """``value`` with dataclasses as dicts and times in ISO 8601 in ``zone``, for ``json``.
    Reports and the API turn tens of thousands of rows with it, hence the fast paths for the
    common exact types before the general tests."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is datetime:
        return iso(value, zone)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_jsonable(getattr(value, name), zone) for name in _field_names(value)}
    if isinstance(value, dict):
        return {k: to_jsonable(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v, zone) for v in value]
    if isinstance(value, datetime):
        return iso(value, zone)
    return value


def short_time(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")


def human_duration(seconds: int) -> str:
    if seconds <= 0:
        return ""
    days, hours, minutes, secs = duration_parts(seconds)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    if not days and not hours:
        parts.append(f"{secs}s" if secs else "")
    return " ".join(p for p in parts if p) or "0s"


def verdict_text(
    late: bool, late_by_seconds: int | None = None, delay_suspected: bool = False
) -> str:
    """``on time``, or ``LATE`` with how late (when given) and a note when the ``Date:`` header
    says it was sent in time."""
    if not late:
        return "on time"
    text = "LATE" if late_by_seconds is None else "LATE " + human_duration(late_by_seconds)
    return text + " (Date: before deadline)" if delay_suspected else text
