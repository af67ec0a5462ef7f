"""The subject grammar: which mail subjects are submissions, and for what.

A submission subject is ``<kind> <number> - <student>``, e.g. ``Theory 2 - Ivan Ivanov`` or
``Лаба №1 — Иван Иванов``. This module only reads the already-decoded header text; checking the
number against the configured assignments and the name against the roster is the caller's job.
Everything here is pure and linear-time in the length of the subject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tdl_inbox.domain.assignments import Kind, assignment_key

MAX_SUBJECT_LENGTH = 1000
MAX_NUMBER = 999
MAX_STUDENT_LENGTH = 200
"""Longer names are refused: the name is stored in a 255-character column."""

DEFAULT_KIND_ALIASES: Mapping[str, Kind] = MappingProxyType(
    {
        "theory": Kind.THEORY,
        "теория": Kind.THEORY,
        "lab": Kind.LAB,
        "laboratory": Kind.LAB,
        "лаба": Kind.LAB,
        "лабораторная": Kind.LAB,
        "лабораторная работа": Kind.LAB,
    }
)

_DISPLAY = {Kind.THEORY: "Theory", Kind.LAB: "Lab"}

# Reply/forward markers of common clients (English, German Outlook, Russian Outlook), with
# optional counters such as "Re[2]:"; and list/gateway tags such as "[External]".
_PREFIX = re.compile(
    r"(?:(?:re|fwd?|aw|wg|ответ|отв|пересл) ?(?:\[\d{1,4}\]|\(\d{1,4}\))? ?:|\[[^\[\]]{0,40}\]) ?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")
_NUMBER = re.compile(r" ?(?:[#№] ?)?(\d+)")
_SEPARATOR = re.compile(r" ?[-‐‑‒–—―−﹣－:：]+ ?")

# Cyrillic letters that look like Latin ones (lowercase, as after casefold()). Folding both
# the typed kind word and the aliases to this skeleton makes "Thеory" with a Cyrillic "е"
# and "Лaба" with a Latin "a" still match, whatever the script of the alias.
_SKELETON = str.maketrans("авекмнорстухіјѕ", "abekmhopctyxijs")


class SubjectError(ValueError):
    """The subject is not a submission; ``reason`` says why in words a student understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSubject:
    kind: Kind
    number: int
    student: str
    """Whitespace-collapsed, NFC-normalized, case as written."""

    @property
    def assignment(self) -> str:
        return assignment_key(self.kind, self.number)


def format_subject(kind: Kind, number: int, student: str) -> str:
    """The canonical subject, e.g. ``Theory 2 - Ivan Ivanov``."""
    return f"{_DISPLAY[Kind(kind)]} {number} - {' '.join(student.split())}"


def parse_subject(subject: str | None, aliases: Mapping[str, Kind] | None = None) -> ParsedSubject:
    """Parse a decoded Subject header; raise :class:`SubjectError` if it is not a submission."""
    if subject is None:
        raise SubjectError("empty subject")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise SubjectError(f"subject is too long ({len(subject)} characters)")
    text = _clean(subject)
    pos = 0
    while match := _PREFIX.match(text, pos):
        pos = match.end()
    text = text[pos:]
    if not text:
        raise SubjectError("empty subject")

    table = _DEFAULT_TABLE if aliases is None else _alias_table(aliases)
    found = _match_kind(text, table)
    if found is None:
        raise SubjectError(
            "subject does not start with Theory or Lab "
            "(expected something like 'Theory 2 - Ivan Ivanov')"
        )
    kind, end = found
    number_match = _NUMBER.match(text, end)
    if number_match is None:
        raise SubjectError(f"no assignment number after '{text[:end]}'")
    number = int(number_match.group(1))
    if number > MAX_NUMBER:
        shown = str(number)
        shown = shown if len(shown) <= 20 else shown[:20] + "…"
        raise SubjectError(f"assignment number {shown} is out of range")

    separator = _SEPARATOR.match(text, number_match.end())
    student = text[separator.end() :].strip() if separator else ""
    if not any(char.isalpha() for char in student):
        raise SubjectError("no student name after the dash")
    if len(student) > MAX_STUDENT_LENGTH:
        raise SubjectError(
            f"student name is too long ({len(student)} characters; at most {MAX_STUDENT_LENGTH})"
        )
    return ParsedSubject(kind, number, student)


def _clean(subject: str) -> str:
    """NFC, control characters and Unicode spaces as one space, invisible format marks dropped."""
    chars: list[str] = []
    for char in subject:
        category = unicodedata.category(char)
        if char.isspace() or category == "Cc":
            chars.append(" ")
        elif category == "Cs":
            # A lone surrogate (undecodable byte) would make the name unstorable as UTF-8.
            chars.append("\ufffd")
        elif category != "Cf":
            # Cf is zero-width spaces, BOMs, soft hyphens and bidi overrides: invisible
            # in a mail client, so a name must not differ from another by them.
            chars.append(char)
    return unicodedata.normalize("NFC", " ".join("".join(chars).split()))


def _skeleton(word: str) -> str:
    return " ".join(unicodedata.normalize("NFC", word).casefold().split()).translate(_SKELETON)


def _alias_table(aliases: Mapping[str, Kind]) -> dict[str, Kind]:
    return {_skeleton(alias): Kind(kind) for alias, kind in aliases.items()}


_DEFAULT_TABLE = _alias_table(DEFAULT_KIND_ALIASES)


def _match_kind(text: str, table: Mapping[str, Kind]) -> tuple[Kind, int] | None:
    """The kind of the longest alias made of the leading words, and where it ends."""
    max_words = max((alias.count(" ") + 1 for alias in table), default=0)
    ends: list[int] = []
    pos = 0
    while len(ends) < max_words and (word := _WORD.match(text, pos)):
        ends.append(word.end())
        if text[word.end() : word.end() + 1] != " ":
            break
        pos = word.end() + 1
    for end in reversed(ends):
        kind = table.get(_skeleton(text[:end]))
        if kind is not None:
            return kind, end
    return None
