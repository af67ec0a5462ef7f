"""The subject grammar: accepted and rejected subjects, and its properties."""

from __future__ import annotations

import contextlib
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdl_inbox.domain.assignments import Kind
from tdl_inbox.domain.rejections import ENGLISH
from tdl_inbox.domain.subjects import (
    DEFAULT_KIND_ALIASES,
    ParsedSubject,
    SubjectError,
    format_subject,
    parse_subject,
    split_note,
)

T, L = Kind.THEORY, Kind.LAB
NFD_NAME = unicodedata.normalize("NFD", "Йоханнес Ёлкин")

ACCEPTED = [
    ("canonical theory", "Theory 2 - Ivan Ivanov", T, 2, "Ivan Ivanov"),
    ("canonical lab cyrillic name", "Lab 1 - Иван Иванов", L, 1, "Иван Иванов"),
    ("lowercase", "theory 3 - ivan ivanov", T, 3, "ivan ivanov"),
    ("uppercase", "THEORY 3 - IVAN IVANOV", T, 3, "IVAN IVANOV"),
    ("mixed case kind", "tHeOrY 3 - Ivan", T, 3, "Ivan"),
    ("no spaces", "Theory2-Ivan Ivanov", T, 2, "Ivan Ivanov"),
    ("extra spaces", "  Theory   2   -   Ivan    Ivanov  ", T, 2, "Ivan Ivanov"),
    ("tabs", "Theory\t2\t-\tIvan\tIvanov", T, 2, "Ivan Ivanov"),
    ("nbsp", "Theory\u00a02\u00a0-\u00a0Ivan\u00a0Ivanov", T, 2, "Ivan Ivanov"),
    ("thin and ideographic spaces", "Lab\u20094\u3000-\u2003Ivan", L, 4, "Ivan"),
    ("folded header leftovers", "Theory 2 -\r\n Ivan\r\n\tIvanov", T, 2, "Ivan Ivanov"),
    ("hash", "Theory #2 - Ivan", T, 2, "Ivan"),
    ("hash no space", "Theory#2 - Ivan", T, 2, "Ivan"),
    ("hash then space", "Theory # 2 - Ivan", T, 2, "Ivan"),
    ("numero sign", "Теория №2 - Иван Иванов", T, 2, "Иван Иванов"),
    ("numero sign no spaces", "Лаба№3—Иван", L, 3, "Иван"),
    ("leading zero", "Theory 02 - Ivan", T, 2, "Ivan"),
    ("many leading zeros", "Lab 0007 - Ivan", L, 7, "Ivan"),
    ("number zero", "Lab 0 - Ivan", L, 0, "Ivan"),
    ("largest number", "Lab 999 - Ivan", L, 999, "Ivan"),
    ("en dash", "Theory 2 – Ivan", T, 2, "Ivan"),
    ("em dash", "Theory 2 — Ivan", T, 2, "Ivan"),
    ("colon", "Theory 2: Ivan", T, 2, "Ivan"),
    ("minus sign", "Theory 2 − Ivan", T, 2, "Ivan"),
    ("unicode hyphen", "Theory 2 ‐ Ivan", T, 2, "Ivan"),
    ("non-breaking hyphen", "Theory 2 ‑ Ivan", T, 2, "Ivan"),
    ("double hyphen", "Theory 2 -- Ivan", T, 2, "Ivan"),
    ("re", "Re: Theory 1 - Ivan", T, 1, "Ivan"),
    ("RE no space", "RE:Theory 1 - Ivan", T, 1, "Ivan"),
    ("fwd", "Fwd: Lab 1 - Ivan", L, 1, "Ivan"),
    ("fw", "FW: Lab 1 - Ivan", L, 1, "Ivan"),
    ("german aw wg", "AW: WG: Lab 1 - Ivan", L, 1, "Ivan"),
    ("russian otv", "Отв: Лаба 1 - Иван", L, 1, "Иван"),
    ("russian otvet", "ОТВЕТ: Лаба 1 - Иван", L, 1, "Иван"),
    ("russian peresl", "Пересл: Теория 1 - Иван", T, 1, "Иван"),
    ("repeated mixed prefixes", "Re: Fwd: Re: Theory 1 - X", T, 1, "X"),
    ("counter prefix", "Re[2]: Theory 1 - Ivan", T, 1, "Ivan"),
    ("counter paren prefix", "Re(3) : Theory 1 - Ivan", T, 1, "Ivan"),
    ("bracket tag", "[External] Theory 1 - Ivan", T, 1, "Ivan"),
    ("tag and prefixes", "Re: [External] FWD: Theory 1 - Ivan", T, 1, "Ivan"),
    ("russian theory", "Теория 5 - Анна Петрова", T, 5, "Анна Петрова"),
    ("russian lab short", "лаба 2 - Анна", L, 2, "Анна"),
    ("russian lab long", "Лабораторная 2 - Анна", L, 2, "Анна"),
    ("russian lab two words", "Лабораторная работа 2 - Анна", L, 2, "Анна"),
    ("laboratory", "Laboratory 2 - Anna", L, 2, "Anna"),
    ("hyphenated first name", "Lab 1 - Anna-Maria Schmidt", L, 1, "Anna-Maria Schmidt"),
    ("hyphenated surname no spaces", "Lab 1-Ivanova-Petrova Anna", L, 1, "Ivanova-Petrova Anna"),
    ("only first dash splits", "Lab 1 - Anna - Maria", L, 1, "Anna - Maria"),
    ("nfd name", f"Lab 1 - {NFD_NAME}", L, 1, "Йоханнес Ёлкин"),
    ("single word name", "Theory 1 - Ivan", T, 1, "Ivan"),
    ("cyrillic e in theory", "Thеory 2 - Ivan", T, 2, "Ivan"),
    ("cyrillic T and o in theory", "Тheоry 2 - Ivan", T, 2, "Ivan"),
    ("latin a in laba", "Лaбa 2 - Иван", L, 2, "Иван"),
    ("latin letters in teoriya", "Teopия 2 - Иван", T, 2, "Иван"),
    ("homoglyph name kept", "Theory 2 - Ivаn", T, 2, "Ivаn"),
    ("rtl override dropped", "Theory 2 - \u202eIvan", T, 2, "Ivan"),
    ("zero width space", "The\u200bory 2 - Ivan", T, 2, "Ivan"),
    ("nul as space", "Theory\x002 - Ivan\x00Ivanov", T, 2, "Ivan Ivanov"),
    ("replacement char kept", "Theory 2 - Ivan \ufffd", T, 2, "Ivan \ufffd"),
]

# The name as written, then the note that is not part of it.
WITH_NOTES = [
    (
        "parenthesised note",
        "theory1-Мария Сидорова (исправленная версия)",
        T,
        1,
        "Мария Сидорова",
        "исправленная версия",
    ),
    ("no dash, version mark", "Theory 2 Иван Иванов v2", T, 2, "Иван Иванов", "v2"),
    ("no dash", "Theory 2 Ivan Ivanov", T, 2, "Ivan Ivanov", None),
    ("no dash, cyrillic", "Лаба 3 Анна Петрова", L, 3, "Анна Петрова", None),
    ("group in brackets", "Theory 1 - Ivan (B05-123)", T, 1, "Ivan", "B05-123"),
    ("square brackets", "Lab 1 - Ivan Ivanov [resubmission]", L, 1, "Ivan Ivanov", "resubmission"),
    ("ver dot", "Lab 1 - Ivan Ivanov, ver. 2", L, 1, "Ivan Ivanov", "ver. 2"),
    ("v dot", "Lab 1 - Ivan Ivanov v.3", L, 1, "Ivan Ivanov", "v.3"),
    ("version word", "Lab 1 - Ivan Ivanov version 2", L, 1, "Ivan Ivanov", "version 2"),
    ("fixed in parens", "Lab 1 - Ivan Ivanov (fixed)", L, 1, "Ivan Ivanov", "fixed"),
    ("final", "Lab 1 - Ivan Ivanov FINAL", L, 1, "Ivan Ivanov", "FINAL"),
    ("ispravleno", "Лаба 1 - Иван Иванов исправлено", L, 1, "Иван Иванов", "исправлено"),
    ("versiya 2", "Теория 2 - Иван Иванов версия 2", T, 2, "Иван Иванов", "версия 2"),
    ("dash before mark", "Lab 1 - Ivan Ivanov - v2.1", L, 1, "Ivan Ivanov", "v2.1"),
    ("two notes", "Lab 1 - Ivan Ivanov v2 (fixed)", L, 1, "Ivan Ivanov", "v2 fixed"),
    ("note before the dash", "Theory 2 (fixed) - Ivan Ivanov", T, 2, "Ivan Ivanov", "fixed"),
    ("mark before the dash", "Theory 2 v2 - Ivan Ivanov", T, 2, "Ivan Ivanov", "v2"),
    ("empty brackets before the dash", "Theory 2 () - Ivan v2", T, 2, "Ivan", "v2"),
    (
        "vtoraya versiya",
        "Лаба 1 - Иван Иванов (вторая версия)",
        L,
        1,
        "Иван Иванов",
        "вторая версия",
    ),
    ("whole name in brackets stays", "Lab 1 - (Ivan Ivanov)", L, 1, "(Ivan Ivanov)", None),
    (
        "glued brackets stay",
        'Lab 1 - =HYPERLINK("http://evil")',
        L,
        1,
        '=HYPERLINK("http://evil")',
        None,
    ),
    (
        "hyphenated name stays",
        "Lab 1 - Anna-Maria Ivanova-Petrova",
        L,
        1,
        "Anna-Maria Ivanova-Petrova",
        None,
    ),
]


@pytest.mark.parametrize(
    ("subject", "kind", "number", "student", "note"),
    [pytest.param(*case[1:], id=case[0]) for case in WITH_NOTES],
)
def test_notes_are_not_part_of_the_name(
    subject: str, kind: Kind, number: int, student: str, note: str | None
) -> None:
    assert parse_subject(subject) == ParsedSubject(kind, number, student, note)


def test_format_keeps_the_note() -> None:
    assert format_subject(Kind.LAB, 1, "Иван", "v2") == "Lab 1 - Иван (v2)"
    assert parse_subject(format_subject(Kind.LAB, 1, "Иван", "v2")).note == "v2"


REJECTED = [
    ("none", None, "empty subject"),
    ("empty", "", "empty subject"),
    ("blank", " \t\r\n ", "empty subject"),
    ("only prefixes", "Re: Fwd:", "empty subject"),
    ("greeting", "Hello", "subject does not start with Theory or Lab"),
    ("kind not first", "Homework Theory 2 - Ivan", "subject does not start with Theory or Lab"),
    ("number first", "2 Theory - Ivan", "subject does not start with Theory or Lab"),
    ("kind glued to word", "Theoryx 2 - Ivan", "subject does not start with Theory or Lab"),
    ("abbreviation", "Теор 2 - Иван", "subject does not start with Theory or Lab"),
    ("prefix without colon", "Re Theory 2 - Ivan", "subject does not start with Theory or Lab"),
    ("kind only", "Theory", "no assignment number after 'Theory'"),
    ("kind then name", "Лаба - Иван", "no assignment number after 'Лаба'"),
    ("negative number", "Lab -2 - Ivan", "no assignment number after 'Lab'"),
    ("kind and number", "Theory 2", "no student name after 'Theory 2'"),
    ("no separator, no name", "Theory 2 12345", "no student name after 'Theory 2'"),
    ("empty name", "Theory 2 - ", "no student name after the dash"),
    ("punctuation name", "Theory 2 - ???", "no student name after the dash"),
    ("digits name", "Theory 2 - 12345", "no student name after the dash"),
    (
        "letter glued to number",
        "Theory 2a - Ivan",
        "no space or dash between 'Theory 2' and 'a - Ivan'",
    ),
    ("too large", "Theory 12345 - Ivan", "assignment number 12345 is out of range"),
    ("just too large", "Lab 1000 - Ivan", "assignment number 1000 is out of range"),
    ("too long", "Theory 1 - " + "a" * 2000, "subject is too long (2011 characters)"),
]


@pytest.mark.parametrize(
    ("subject", "kind", "number", "student"),
    [pytest.param(*case[1:], id=case[0]) for case in ACCEPTED],
)
def test_accepted(subject: str, kind: Kind, number: int, student: str) -> None:
    assert parse_subject(subject) == ParsedSubject(kind, number, student)


@pytest.mark.parametrize(
    ("subject", "reason"), [pytest.param(*case[1:], id=case[0]) for case in REJECTED]
)
def test_rejected(subject: str | None, reason: str) -> None:
    with pytest.raises(SubjectError) as caught:
        parse_subject(subject)
    assert caught.value.reason.startswith(reason)
    assert str(caught.value) == caught.value.reason


def test_assignment_key() -> None:
    assert parse_subject("Лаба 3 - Иван").assignment == "lab-3"


def test_format_is_canonical() -> None:
    assert format_subject(Kind.THEORY, 2, " Ivan   Ivanov ") == "Theory 2 - Ivan Ivanov"
    assert format_subject(Kind.LAB, 1, "Иван") == "Lab 1 - Иван"


def test_custom_aliases_replace_defaults() -> None:
    aliases = {"HW": Kind.THEORY, "Практика": Kind.LAB, "lab work": Kind.LAB}
    assert parse_subject("hw 1 - Ivan", aliases).kind is Kind.THEORY
    assert parse_subject("ПРАКТИКА 2 - Ivan", aliases).kind is Kind.LAB
    assert parse_subject("Lab  Work 3 - Ivan", aliases) == ParsedSubject(Kind.LAB, 3, "Ivan")
    with pytest.raises(SubjectError, match="does not start with"):
        parse_subject("Theory 1 - Ivan", aliases)


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("Re: " * 250_000, id="many-prefixes"),
        pytest.param("Theory " + "9" * 10**6, id="huge-number"),
        pytest.param("[" * 10**6, id="open-brackets"),
        pytest.param("Theory 1 " + "-" * 990, id="dashes"),
        pytest.param("Re: " * 240 + "[" * 30, id="prefixes-under-cap"),
        pytest.param("Theory " + "0" * 990 + "1", id="zeros-under-cap"),
    ],
)
def test_hostile_input_is_rejected_or_parsed_fast(subject: str) -> None:
    start = time.perf_counter()
    with contextlib.suppress(SubjectError):
        parse_subject(subject)
    assert time.perf_counter() - start < 0.5


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
)
words = st.text(alphabet=LETTERS, min_size=1, max_size=10)
names = st.builds(
    lambda first, rest: first + "".join(sep + word for sep, word in rest),
    words,
    st.lists(st.tuples(st.sampled_from([" ", "-"]), words), max_size=3),
).filter(lambda name: split_note(name)[1] is None)  # e.g. "Ivan Final": a note, not a name
kinds = st.sampled_from(list(Kind))
numbers = st.integers(min_value=0, max_value=999)
spaces = st.sampled_from(["", " ", "  ", "\t", "\u00a0", "\u2009", "\r\n "])
some_space = st.sampled_from([" ", "  ", "\t", "\u00a0", "\u3000"])
separators = st.sampled_from(["-", "–", "—", ":", "\u2212", "\u2010", "\u2011", "--"])
prefixes = st.lists(
    st.sampled_from(["Re:", "RE:", "Fwd:", "Fw:", "FWD:", "AW:", "Отв:", "Пересл:", "Re[2]:"]),
    max_size=3,
)


@settings(max_examples=200)
@given(kind=kinds, number=numbers, student=names)
def test_round_trip(kind: Kind, number: int, student: str) -> None:
    assert parse_subject(format_subject(kind, number, student)) == ParsedSubject(
        kind, number, student
    )


@settings(max_examples=300)
@given(
    kind=kinds,
    number=numbers,
    student=names,
    data=st.data(),
)
def test_round_trip_decorated(kind: Kind, number: int, student: str, data: st.DataObject) -> None:
    word = data.draw(st.sampled_from([a for a, k in DEFAULT_KIND_ALIASES.items() if k is kind]))
    word = "".join(c.upper() if data.draw(st.booleans()) else c for c in word)
    marker = data.draw(st.sampled_from(["", "#", "№"]))
    zeros = "0" * data.draw(st.integers(0, 3))
    pre = data.draw(prefixes)
    pre_space = data.draw(spaces) if pre else ""
    subject = (
        data.draw(spaces)
        + data.draw(spaces).join(pre)
        + pre_space
        + word
        + data.draw(spaces)
        + marker
        + data.draw(spaces)
        + zeros
        + str(number)
        + data.draw(spaces)
        + data.draw(separators)
        + data.draw(spaces)
        + student
        + data.draw(spaces)
    )
    assert parse_subject(subject) == ParsedSubject(kind, number, student)


grammar_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("TheoryLabтеориялаба#№0123456789 -–—:[]Re\t\u00a0\u202e\x00")),
        st.characters(),
    ),
    max_size=60,
)


def _outcome(subject: str) -> ParsedSubject | str:
    try:
        return parse_subject(subject)
    except SubjectError as error:
        return error.reason


@settings(max_examples=400)
@given(subject=st.one_of(st.text(), grammar_text))
def test_only_subject_error_escapes(subject: str) -> None:
    outcome = _outcome(subject)
    if isinstance(outcome, str):
        assert outcome  # every rejection says why
        return
    parsed = outcome
    assert 0 <= parsed.number <= 999
    assert any(c.isalpha() for c in parsed.student)
    assert parsed.student == " ".join(parsed.student.split())
    assert unicodedata.is_normalized("NFC", parsed.student)
    # Whatever was accepted survives a trip through the canonical form.
    assert (
        parse_subject(format_subject(parsed.kind, parsed.number, parsed.student, parsed.note))
        == parsed
    )


@settings(max_examples=300)
@given(subject=st.one_of(grammar_text, st.text(max_size=100)), extra=some_space, edge=spaces)
def test_extra_whitespace_changes_nothing(subject: str, extra: str, edge: str) -> None:
    widened = edge + subject.replace(" ", " " + extra) + edge
    assert _outcome(widened) == _outcome(subject)


@settings(max_examples=200)
@given(kind=kinds, number=numbers, student=names, extra=some_space)
def test_extra_whitespace_around_tokens(kind: Kind, number: int, student: str, extra: str) -> None:
    canonical = format_subject(kind, number, student)
    widened = extra + canonical.replace(" ", extra + " " + extra) + extra
    assert parse_subject(widened) == parse_subject(canonical)


version_marks = st.sampled_from(
    [
        "v2",
        "V3",
        "ver. 2",
        "version 2",
        "(fixed)",
        "[final]",
        "исправлено",
        "(исправленная версия)",
        "версия 2",
        "final",
        "- v2",
        ", ver 4",
        "(B05-123)",
        "попытка 2",
    ]
)


@settings(max_examples=300)
@given(kind=kinds, number=numbers, student=names, mark=version_marks, glue=some_space)
def test_a_version_mark_never_changes_the_name(
    kind: Kind, number: int, student: str, mark: str, glue: str
) -> None:
    parsed = parse_subject(format_subject(kind, number, student) + glue + mark)
    assert (parsed.kind, parsed.number, parsed.student) == (kind, number, student)
    assert parsed.note is not None
    assert parsed.note in mark


@settings(max_examples=300)
@given(kind=kinds, number=numbers, student=names, marks=st.lists(version_marks, max_size=2))
def test_the_dash_is_optional(kind: Kind, number: int, student: str, marks: list[str]) -> None:
    with_dash = format_subject(kind, number, student) + " " + " ".join(marks)
    without = with_dash.replace(f"{number} - ", f"{number} ", 1)
    assert parse_subject(without) == parse_subject(with_dash)


@settings(max_examples=400)
@given(subject=st.one_of(st.text(), grammar_text))
def test_every_rejection_names_a_known_reason(subject: str) -> None:
    outcome = _outcome_with_code(subject)
    if isinstance(outcome, SubjectError):
        assert outcome.why.code in ENGLISH
        assert outcome.reason == outcome.why.text
        return
    parsed = outcome
    assert parsed.note is None or parsed.note == " ".join(parsed.note.split())
    assert (
        parse_subject(format_subject(parsed.kind, parsed.number, parsed.student, parsed.note))
        == parsed
    )


def _outcome_with_code(subject: str) -> ParsedSubject | SubjectError:
    try:
        return parse_subject(subject)
    except SubjectError as error:
        return error


leading_notes = st.sampled_from(["()", "[]", "(fixed)", "[v2]", "v2", "ver. 3", "final", "( )"])


@settings(max_examples=300)
@given(
    kind=kinds,
    number=numbers,
    student=names,
    lead=leading_notes,
    separator=separators,
    marks=st.lists(version_marks, max_size=2),
)
def test_a_note_before_the_dash_is_not_the_name(
    kind: Kind, number: int, student: str, lead: str, separator: str, marks: list[str]
) -> None:
    subject = " ".join([format_subject(kind, number, "").rstrip(" -"), lead, separator, student])
    parsed = parse_subject(" ".join([subject, *marks]))
    assert (parsed.kind, parsed.number, parsed.student) == (kind, number, student)
    assert parsed.note is None or parsed.note == " ".join(parsed.note.split())
