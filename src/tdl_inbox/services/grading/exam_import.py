"""Exam results for the whole class from one CSV file, all or nothing.

Columns: the student (``student``, ``name`` or ``email``; a roster id, e-mail or name as
``exam set`` takes it) and ``points``. Comma, semicolon or tab separated; a decimal comma
(``7,5``) is read as a Russian-locale spreadsheet writes it. Every line is checked before
anything is written, and a refusal names the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services import audit
from tdl_inbox.services.grading.csv_input import read_table
from tdl_inbox.services.grading.grades import owner_for, set_exam
from tdl_inbox.services.grading.roster import owner_of_student

STUDENT_COLUMNS = ("student", "name", "email")
STUDENT_OWNER_PREFIX = owner_of_student(0).removesuffix("0")


@dataclass(frozen=True)
class ExamLine:
    line: int
    student: str
    points: float


def exam_points(cell: str, line: int, max_points: float) -> float:
    """The points in one cell: a finite number from 0 to ``max_points``."""
    try:
        points = float(cell.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        raise TdlInboxError(f"exam CSV line {line}: points {cell!r} is not a number") from None
    if not math.isfinite(points) or not 0 <= points <= max_points:
        raise TdlInboxError(
            f"exam CSV line {line}: points must be between 0 and {max_points:g}, got {cell}"
        )
    return points


def read_exam_csv(text: str, max_points: float) -> list[ExamLine]:
    table = read_table(text, "exam", [STUDENT_COLUMNS, ("points",)])
    column = next(c for c in STUDENT_COLUMNS if c in table.columns)
    lines: list[ExamLine] = []
    for line, row in table.rows:
        student = row.get(column, "")
        if not student:
            raise TdlInboxError(f"exam CSV line {line}: no student in column {column}")
        lines.append(ExamLine(line, student, exam_points(row.get("points", ""), line, max_points)))
    if not lines:
        raise TdlInboxError("exam CSV has no rows")
    return lines


def import_exam(
    session: Session, text: str, max_points: float, now: datetime, *, actor: str
) -> int:
    """Record every line's exam points; returns how many. Changes nothing when it refuses."""
    lines = read_exam_csv(text, max_points)
    seen: dict[str, int] = {}
    for entry in lines:
        try:
            owner, name = owner_for(session, entry.student)
        except TdlInboxError as exc:
            raise TdlInboxError(f"exam CSV line {entry.line}: {exc}") from None
        if "@" in entry.student and not owner.startswith(STUDENT_OWNER_PREFIX):
            raise TdlInboxError(
                f"exam CSV line {entry.line}: {entry.student} is an address, but without a "
                "roster students are known only by name"
            )
        if owner in seen:
            raise TdlInboxError(
                f"exam CSV line {entry.line}: {name} is already on line {seen[owner]}"
            )
        seen[owner] = entry.line
    for entry in lines:
        set_exam(session, entry.student, entry.points, max_points, now, actor=actor)
    audit.record(session, actor=actor, action="exam import", now=now, details={"count": len(lines)})
    return len(lines)
