"""Dates and times a person types (``--until`` on the command line, a form in the workspace)."""

from __future__ import annotations

from datetime import datetime, tzinfo


class BadTime(ValueError):
    """``str()`` is the one line shown to the person who typed it."""


def typed_time(value: str, zone: tzinfo) -> datetime:
    """An ISO date or date-time; without an offset it is course time (a date alone is its
    midnight)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadTime(
            f"expected a date like 2019-03-20 or a date-time like 2019-03-20T23:59, got {value!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def assignment_key(value: str) -> str:
    """Assignment keys are lower case (``theory-2``); people type them as they like."""
    return value.strip().lower()
