"""Ids people type and read: ``s18`` is a submission, ``m18`` a recorded message.

Submissions and messages are numbered separately, so a bare ``18`` is ambiguous: ``rejected``
lists message 18 while ``grade 18`` would grade submission 18, another student's work. Every
listing therefore prints the kind with the number, and a command reads it back here.

A bare number still means a submission: scripts written before the prefix keep working, and
every command that takes an id takes a submission.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any


class IdKind(enum.StrEnum):
    SUBMISSION = "s"
    MESSAGE = "m"


@dataclass(frozen=True)
class Ref:
    kind: IdKind
    number: int

    def __str__(self) -> str:
        return f"{self.kind.value}{self.number}"


class BadId(ValueError):
    """Not an id; ``str()`` says what was expected."""


_ID = re.compile(r"([sm]?)([0-9]{1,18})", re.IGNORECASE)


def parse_ref(text: str) -> Ref:
    """``s18``/``S18`` and a bare ``18`` are submissions, ``m18`` a message."""
    found = _ID.fullmatch(text.strip())
    if found is None:
        raise BadId(
            f"{text!r} is not an id: expected s18 (a submission), m18 (a message) or 18 "
            "(a submission)"
        )
    prefix, digits = found.groups()
    kind = IdKind.MESSAGE if prefix.lower() == "m" else IdKind.SUBMISSION
    return Ref(kind, int(digits))


def submission_ref(submission_id: int) -> str:
    return str(Ref(IdKind.SUBMISSION, submission_id))


def message_ref(message_id: int) -> str:
    return str(Ref(IdKind.MESSAGE, message_id))


def with_ref(
    row: dict[str, Any], ref: str | None, *, after: str = "id", key: str = "ref"
) -> dict[str, Any]:
    """``row`` (a JSON object with an ``id``) with ``ref`` right after ``id``: scripts reading
    ``id`` keep working, and ``ref`` says which kind of id it is. ``after``/``key`` name other
    fields (``submission_id``, ``submission_ref``)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        out[name] = value
        if name == after:
            out[key] = ref
    out.setdefault(key, ref)
    return out
