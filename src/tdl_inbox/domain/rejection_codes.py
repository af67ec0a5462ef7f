"""Which stored rejections are about the subject line, read back from their text.

The database keeps a rejection's reason as its English text (:attr:`Reason.text`), not its
code; ``recheck`` needs the code to know which rejections a config change can undo. Each
template of :data:`ENGLISH` becomes a pattern that matches exactly the texts it renders.
"""

from __future__ import annotations

import re
import string
from functools import cache

from tdl_inbox.domain.rejections import ENGLISH, ReasonCode

SUBJECT_CODES = frozenset(
    {
        ReasonCode.EMPTY_SUBJECT,
        ReasonCode.SUBJECT_TOO_LONG,
        ReasonCode.NO_KIND,
        ReasonCode.NO_NUMBER,
        ReasonCode.NUMBER_OUT_OF_RANGE,
        ReasonCode.NO_NAME_AFTER_DASH,
        ReasonCode.NO_NAME_AFTER_NUMBER,
        ReasonCode.TEXT_GLUED_TO_NUMBER,
        ReasonCode.NAME_TOO_LONG,
        ReasonCode.UNKNOWN_ASSIGNMENT,
    }
)
"""Reasons a subject gives, which a new assignment or kind word in the config can change.
Not: a message too large, unreadable, or a Bridge placeholder (the bytes say so, not the
config), nor a reason the admin wrote by hand."""

NOT_SUBJECT_CODES = frozenset(
    {
        ReasonCode.BRIDGE_PLACEHOLDER,
        ReasonCode.MESSAGE_TOO_LARGE,
        ReasonCode.UNREADABLE,
        ReasonCode.STATUS_REQUEST,
        ReasonCode.REGRADE_REQUEST,
    }
)
"""The other reasons. A status request is answered and a regrade request is routed to its
grader, not submissions gone wrong: no config change makes them one, so ``recheck`` leaves
them alone."""


def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append("(?s:.*)")
    return re.compile("".join(parts))


@cache
def _patterns() -> tuple[tuple[ReasonCode, re.Pattern[str]], ...]:
    return tuple((code, _pattern(template)) for code, template in ENGLISH.items())


def code_of(reason: str) -> ReasonCode | None:
    """The code whose English text ``reason`` is; None for any other text."""
    for code, pattern in _patterns():
        if pattern.fullmatch(reason):
            return code
    return None


def is_about_subject(reason: str) -> bool:
    code = code_of(reason)
    return code is not None and code in SUBJECT_CODES
