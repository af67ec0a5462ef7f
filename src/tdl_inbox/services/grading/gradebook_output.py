"""The grade book as ``grades`` and the web workspace show it: table cells and CSV (the JSON is
``gradebook.gradebook_json``).

One home for the layout, so the workspace's ``/grades.csv`` is byte for byte what
``tdl-inbox grades --format csv`` writes (with the same guard against cells a spreadsheet would
run as a formula: ``csv_text``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.services.grading.gradebook import GRADE_PLACES, P_PLACES, GradeRow, number
from tdl_inbox.services.reporting.csv_text import render_csv

DELIMITERS = {",": ".", ";": ","}
"""CSV delimiter -> decimal separator: ``;`` is for spreadsheets whose locale writes 0,5."""
SCORES = ["extra", "exam", "p_hw", "p_exam", "grade", "final"]
PEOPLE = ["student", "student_id", "email", "group", "mipt"]
UNPUBLISHED = "*"
"""Marks a grade the students have not been mailed yet (``publish``) in tables: 7*."""


def _fixed(value: float, places: int) -> Decimal:
    """``value`` with exactly ``places`` decimals (``0.7000``), for the table and the CSV."""
    return Decimal(f"{value:.{places}f}")


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else "yes" if flag else "no"


def assignment_keys(rows: Sequence[GradeRow], assignments: Mapping[str, Assignment]) -> list[str]:
    """The assignment columns: the grade book's order (by deadline), or the configured keys."""
    return list(rows[0].points) if rows else sorted(assignments)


def gradebook_header(keys: Sequence[str]) -> list[str]:
    return [*PEOPLE, *keys, *SCORES]


def gradebook_body(rows: Sequence[GradeRow], keys: Sequence[str]) -> list[list[object]]:
    """One row of cells per student, in ``gradebook_header``'s columns."""
    return [
        [
            r.student,
            r.student_id,
            r.email,
            r.group,
            _yes_no(r.mipt),
            *[number(r.points[key]) for key in keys],
            number(r.extra),
            None if r.exam is None else number(r.exam),
            _fixed(r.p_hw, P_PLACES),
            _fixed(r.p_exam, P_PLACES),
            _fixed(r.grade, GRADE_PLACES),
            r.grade_rounded,
        ]
        for r in rows
    ]


def gradebook_csv(rows: Sequence[GradeRow], keys: Sequence[str], delimiter: str = ",") -> str:
    """The CSV text (a byte-order mark first); ``delimiter`` is a key of ``DELIMITERS``."""
    return render_csv(
        gradebook_header(keys),
        gradebook_body(rows, keys),
        delimiter=delimiter,
        decimal=DELIMITERS[delimiter],
    )


def gradebook_cells(
    rows: Sequence[GradeRow], keys: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """Columns and text cells of the grade book as a table for people: the id column is
    ``id``, the MIPT column is left out, and unpublished grades are marked ``UNPUBLISHED``."""
    body = gradebook_body(rows, keys)
    first = len(PEOPLE)  # the column of the first assignment in ``body``
    for r, row in zip(rows, body, strict=True):
        for i, key in enumerate(keys):
            if r.published.get(key) is False:
                row[first + i] = f"{row[first + i]}{UNPUBLISHED}"
    columns = ["student", "id", "email", "group", *keys, *SCORES]
    return columns, [
        ["" if cell is None else str(cell) for cell in row[:4] + row[5:]] for row in body
    ]
