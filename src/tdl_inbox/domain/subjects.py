"""The subject grammar: which mail subjects are submissions, and for what.

A submission subject is ``<kind> <number> - <student>``, e.g. ``Theory 2 - Ivan Ivanov`` or
``Лаба №1 — Иван Иванов``; the dash may be left out (``Theory 2 Иван Иванов``), and a version
note after the name (``v2``, ``(исправленная версия)``) is kept apart from it. This module
only reads the already-decoded header text; checking the number against the configured
assignments and the name against the roster is the caller's job.
Everything here is pure and linear-time in the length of the subject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tdl_inbox.domain.assignments import Kind, assignment_key
from tdl_inbox.domain.rejections import Reason, ReasonCode

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

# How students mark a version at the end of the name: "v2", "ver. 2", "final", "(fixed)",
# "исправленная версия", "версия 2", "попытка 3"... (casefolded; matched whole words only).
_VERSION_MARK = (
    r"(?:v|ver|vers|version|в|вер|верс|версия|attempt|try|попытка|вариант)\.? ?№? ?\d{1,3}"
    r"(?:\.\d{1,3})?"
    r"|(?:\d{1,3}(?:st|nd|rd|th|-?я|-?ая)?|second|third|вторая|третья) (?:version|версия)"
    r"|(?:final|finally|fixed|fix|corrected|correction|updated|update|revised|resubmission"
    r"|resubmitted|resubmit|new version|final version|fixed version|updated version"
    r"|corrected version|исправлено|исправлена|исправлен|исправленное|исправленная"
    r"|исправленный|исправление|исправления|исправленная версия|исправленный вариант"
    r"|исправленная работа|новая версия|новый вариант|обновлено|обновлённая версия"
    r"|обновленная версия|финал|финальная версия|финальный вариант|окончательная версия"
    r"|окончательный вариант|доработано|доработанная версия|доработанный вариант|повторно"
    r"|повторная отправка|пересдача|переотправка)"
)
_NOTE_GLUE = " ,;:.!_/|-‐‑‒–—―−"
_MAX_NOTES = 4
_NOTE_WINDOW = 160
"""Notes are looked for in the last characters of a name only: it keeps parsing linear."""
# A bracketed note is a word of its own: "=HYPERLINK(...)" or "f(x)" keeps its brackets.
_TRAILING_BRACKETS = re.compile(
    r"(?<=[\s,;:_/|\-‐‑‒–—―−])[(\[{（【]([^()\[\]{}（）【】]{0,120})[)\]}）】][\s.,;:!_\-‐‑‒–—―−]*$"
)
_TRAILING_MARK = re.compile(
    r"(?:(?<=[\s,;:_/|\-‐‑‒–—―−])|^)(" + _VERSION_MARK + r")[\s.,;:!_\-‐‑‒–—―−]*$",
    re.IGNORECASE,
)
_LEADING_NOTE = re.compile(
    r" ?(?:[(\[]([^()\[\]]{0,60})[)\]]|(?<= )(" + _VERSION_MARK + r"))"
    r"(?= ?[-‐‑‒–—―−﹣－:：])",
    re.IGNORECASE,
)

# Cyrillic letters that look like Latin ones (lowercase, as after casefold()). Folding both
# the typed kind word and the aliases to this skeleton makes "Thеory" with a Cyrillic "е"
# and "Лaба" with a Latin "a" still match, whatever the script of the alias.
_SKELETON = str.maketrans("авекмнорстухіјѕ", "abekmhopctyxijs")


class SubjectError(ValueError):
    """The subject is not a submission; ``why`` says why (``reason`` in English)."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.text)
        self.why = why
        self.reason = why.text


@dataclass(frozen=True)
class ParsedSubject:
    kind: Kind
    number: int
    student: str
    """Whitespace-collapsed, NFC-normalized, case as written; without the note."""
    note: str | None = None
    """What the student wrote about this version (``v2``, ``исправленная версия``, a bracketed
    remark), kept apart so that it does not become part of the name."""

    @property
    def assignment(self) -> str:
        return assignment_key(self.kind, self.number)


def format_subject(kind: Kind, number: int, student: str, note: str | None = None) -> str:
    """The canonical subject, e.g. ``Theory 2 - Ivan Ivanov`` (``... (v2)`` with a note)."""
    text = f"{_DISPLAY[Kind(kind)]} {number} - {' '.join(student.split())}"
    return f"{text} ({' '.join(note.split())})" if note else text


def parse_subject(subject: str | None, aliases: Mapping[str, Kind] | None = None) -> ParsedSubject:
    """Parse a decoded Subject header; raise :class:`SubjectError` if it is not a submission."""
    if subject is None:
        raise SubjectError(Reason.of(ReasonCode.EMPTY_SUBJECT))
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise SubjectError(Reason.of(ReasonCode.SUBJECT_TOO_LONG, length=len(subject)))
    text = bare_subject(subject)
    if not text:
        raise SubjectError(Reason.of(ReasonCode.EMPTY_SUBJECT))

    table = _DEFAULT_TABLE if aliases is None else _alias_table(aliases)
    found = _match_kind(text, table)
    if found is None:
        raise SubjectError(Reason.of(ReasonCode.NO_KIND))
    kind, end = found
    number_match = _NUMBER.match(text, end)
    if number_match is None:
        raise SubjectError(Reason.of(ReasonCode.NO_NUMBER, kind=text[:end]))
    number = int(number_match.group(1))
    if number > MAX_NUMBER:
        shown = str(number)
        shown = shown if len(shown) <= 20 else shown[:20] + "…"
        raise SubjectError(Reason.of(ReasonCode.NUMBER_OUT_OF_RANGE, number=shown))

    head = text[: number_match.end()]
    notes: list[str] = []
    rest = number_match.end()
    lead = _LEADING_NOTE.match(text, rest)
    if lead is not None:  # "Theory 2 (fixed) - Ivan", "Theory 2 v2 - Ivan"
        notes += [note] if (note := _note_text(lead.group(1) or lead.group(2) or "")) else []
        rest = lead.end()
    separator = _SEPARATOR.match(text, rest)
    if separator is not None:
        student = text[separator.end() :].strip()
        missing = Reason.of(ReasonCode.NO_NAME_AFTER_DASH)
    elif rest == len(text) or text[rest] == " ":
        # No dash at all ("Theory 2 Ivan Ivanov"): the name is what follows the number.
        student = text[rest:].strip()
        missing = Reason.of(ReasonCode.NO_NAME_AFTER_NUMBER, head=head)
    else:
        found_text = text[rest : rest + 20]
        raise SubjectError(Reason.of(ReasonCode.TEXT_GLUED_TO_NUMBER, head=head, found=found_text))
    student, trailing = split_note(student)
    if trailing is not None:
        notes.append(trailing)
    if not any(char.isalpha() for char in student):
        raise SubjectError(missing)
    if len(student) > MAX_STUDENT_LENGTH:
        raise SubjectError(
            Reason.of(ReasonCode.NAME_TOO_LONG, length=len(student), limit=MAX_STUDENT_LENGTH)
        )
    return ParsedSubject(kind, number, student, " ".join(notes) or None)


def bare_subject(subject: str) -> str:
    """``subject`` cleaned (spaces, invisible marks, NFC) and without the reply/forward markers
    and list tags in front of it: what the grammar reads."""
    text = _clean(subject)
    pos = 0
    while match := _PREFIX.match(text, pos):
        pos = match.end()
    return text[pos:]


def fold(words: str) -> str:
    """Casefolded, with Cyrillic look-alikes of Latin letters folded to them: two spellings a
    reader cannot tell apart compare equal."""
    return _skeleton(words)


def split_note(name: str) -> tuple[str, str | None]:
    """``name`` without its trailing notes and version marks, and those notes (or None).

    ``Мария Сидорова (исправленная версия)`` is Мария Сидорова with the note
    ``исправленная версия``; ``Ivan Ivanov v2 [fixed]`` is Ivan Ivanov with ``v2 fixed``.
    A name that would be left without a letter is kept whole. Only the end of the name is
    looked at, so the cost does not grow with its length.
    """
    notes: list[str] = []
    for _ in range(_MAX_NOTES):
        offset = max(len(name) - _NOTE_WINDOW, 0)
        tail = name[offset:]
        found = _TRAILING_BRACKETS.search(tail) or _TRAILING_MARK.search(tail)
        if found is None:
            break
        remaining = name[: offset + found.start()].rstrip(_NOTE_GLUE)
        if not any(char.isalpha() for char in remaining):
            break
        note = _note_text(found.group(1))
        if note:
            notes.insert(0, note)
        name = remaining
    return name, " ".join(notes) or None


def _note_text(raw: str) -> str:
    return " ".join(raw.strip(_NOTE_GLUE).split())


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
