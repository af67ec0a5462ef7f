"""The grade book: one row per student, from counting versions' current grades and the exam."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import (
    ExamResult,
    Message,
    PublishedGrade,
    Student,
    Submission,
)
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.collation import name_order
from tdl_inbox.domain.grading import Coefficients, final_grade
from tdl_inbox.services.grading.roster import owner_of_student
from tdl_inbox.services.grading.versions import Policy, current_grades, is_counting


@dataclass(frozen=True)
class GradeRow:
    student: str
    student_id: int | None
    email: str | None
    """The roster's address; off the roster, the address the latest submission came from."""
    group: str | None
    mipt: bool | None
    points: dict[str, float]
    extra: float
    exam: float | None
    p_hw: float
    p_exam: float
    grade: float
    grade_rounded: int
    published: dict[str, bool]
    """Per graded assignment: whether its current grade was mailed to the student."""


def _names_of_unlinked(session: Session) -> dict[str, tuple[str, str | None]]:
    """owner -> the name as most recently written and the address it came from, for
    submissions not linked to the roster."""
    latest = (
        select(Submission.owner, func.max(Submission.id).label("last_id"))
        .where(Submission.student_id.is_(None))
        .group_by(Submission.owner)
        .subquery()
    )
    rows = session.connection().execute(
        select(Submission.owner, Submission.student, Message.sender)
        .join(latest, Submission.id == latest.c.last_id)
        .join(Message, Message.id == Submission.message_pk)
        # implied by the join; it lets PostgreSQL read those rows only, not hash every one
        .where(Submission.student_id.is_(None))
    )
    return {owner: (name, sender) for owner, name, sender in rows.all()}


def possible_points(assignments: Mapping[str, Assignment]) -> float:
    """The denominator of ``p_hw``: every configured assignment's maximum, extra excluded."""
    return sum(a.max_points for a in assignments.values())


def gradebook(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    k: Coefficients,
) -> list[GradeRow]:
    session.flush()  # plain rows from the connection below
    connection = session.connection()
    grades = current_grades()
    graded = connection.execute(
        select(
            Submission.owner,
            Submission.assignment,
            grades.c.points,
            grades.c.extra,
            PublishedGrade.grade_id.is_not(None),
        )
        .select_from(grades)
        .join(Submission, Submission.id == grades.c.submission_id)
        .outerjoin(PublishedGrade, PublishedGrade.grade_id == grades.c.id)
        .where(is_counting(policy))
    )
    points: dict[str, dict[str, float]] = defaultdict(dict)
    published: dict[str, dict[str, bool]] = defaultdict(dict)
    extra: dict[str, float] = defaultdict(float)
    for owner, assignment, value, bonus, mailed in graded:
        if assignment in assignments:
            points[owner][assignment] = value
            published[owner][assignment] = bool(mailed)
            extra[owner] += bonus
    exams = {
        owner: value
        for owner, value in connection.execute(select(ExamResult.owner, ExamResult.points)).all()
    }

    # owner -> name, roster id, e-mail, group, MIPT
    people: dict[str, tuple[str, int | None, str | None, str | None, bool | None]] = {}
    roster = select(Student.id, Student.name, Student.email, Student.group, Student.mipt)
    for s in connection.execute(roster).all():
        people[owner_of_student(s.id)] = (s.name, s.id, s.email, s.group, s.mipt)
    for owner, (name, sender) in _names_of_unlinked(session).items():
        people.setdefault(owner, (name, None, sender, None, None))
    for owner in list(points) + list(exams):
        people.setdefault(owner, (owner.removeprefix("n:"), None, None, None, None))

    possible = possible_points(assignments)
    keys = sorted(assignments, key=lambda key: (assignments[key].deadline, key))
    # every configured assignment in deadline order, 0 until graded (the formula sums them in
    # this order); copying a ready dict is several times cheaper than a comprehension
    ungraded = dict.fromkeys(keys, 0.0)
    nothing: dict[str, float] = {}
    rows = []
    for owner, (name, student_id, email, group, mipt) in people.items():
        mine = ungraded.copy()
        mine.update(points.get(owner, nothing))
        bonus = extra.get(owner, 0.0)
        exam = exams.get(owner)
        result = final_grade(mine, bonus, possible, exam, k)
        rows.append(
            GradeRow(
                name,
                student_id,
                email,
                group,
                mipt,
                mine,
                bonus,
                exam,
                result.p_hw,
                result.p_exam,
                result.grade,
                result.rounded,
                published.get(owner, {}),
            )
        )
    # Namesakes: the roster's student first, then rows off the roster by address.
    return sorted(
        rows,
        key=lambda row: (
            name_order(row.student),
            row.student_id is None,
            row.student_id or 0,
            row.email or "",
        ),
    )


# As the README promises: p_hw and p_exam to 4 decimals, the grade to 2.
P_PLACES = 4
GRADE_PLACES = 2


def number(value: float) -> float | int:
    """Points as people write them: ``7`` rather than ``7.0``, at most 4 decimals."""
    return int(value) if float(value).is_integer() else round(value, 4)


def gradebook_json(rows: list[GradeRow]) -> list[dict[str, Any]]:
    """The grade book as ``grades --json`` and ``GET /api/grades`` write it."""
    return [
        {
            "student": r.student,
            "student_id": r.student_id,
            "email": r.email,
            "group": r.group,
            "mipt": r.mipt,
            "points": {key: number(v) for key, v in r.points.items()},
            "published": r.published,
            "extra": number(r.extra),
            "exam": None if r.exam is None else number(r.exam),
            "p_hw": round(r.p_hw, P_PLACES),
            "p_exam": round(r.p_exam, P_PLACES),
            "grade": round(r.grade, GRADE_PLACES),
            "grade_rounded": r.grade_rounded,
        }
        for r in rows
    ]
