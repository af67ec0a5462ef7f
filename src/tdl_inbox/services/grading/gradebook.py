"""The grade book: one row per student, from counting versions' current grades and the exam."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
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


Person = tuple[str, int | None, str | None, str | None, bool | None]
"""A grade book row's who: name, roster id, e-mail, group, MIPT."""


@dataclass
class _Graded:
    """The current grades of counting versions, per owner (of configured assignments)."""

    points: dict[str, dict[str, float]]
    published: dict[str, dict[str, bool]]
    extra: dict[str, float]


def _graded(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    owners: Collection[str] | None = None,
) -> _Graded:
    """Every owner's graded counting versions, or only ``owners``' (a page of the book)."""
    grades = current_grades()
    query = (
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
    if owners is not None:
        # the owners' versions by ``ix_submission_counting`` (one seek per assignment and
        # owner), then their grades, instead of every current grade
        query = query.where(
            Submission.assignment.in_(list(assignments)), Submission.owner.in_(list(owners))
        )
    found = _Graded(defaultdict(dict), defaultdict(dict), defaultdict(float))
    for owner, assignment, value, bonus, mailed in session.connection().execute(query):
        if assignment in assignments:
            found.points[owner][assignment] = value
            found.published[owner][assignment] = bool(mailed)
            found.extra[owner] += bonus
    return found


def _exams(session: Session) -> dict[str, float]:
    rows = session.connection().execute(select(ExamResult.owner, ExamResult.points))
    return {owner: value for owner, value in rows.all()}


def _known_people(session: Session) -> dict[str, Person]:
    """owner -> who, for the roster and the owners of unlinked submissions."""
    people: dict[str, Person] = {}
    roster = select(Student.id, Student.name, Student.email, Student.group, Student.mipt)
    for s in session.connection().execute(roster).all():
        people[owner_of_student(s.id)] = (s.name, s.id, s.email, s.group, s.mipt)
    for owner, (name, sender) in _names_of_unlinked(session).items():
        people.setdefault(owner, (name, None, sender, None, None))
    return people


def _nobody(owner: str) -> Person:
    """Who an owner known only from grades or the exam is: the name in the owner key."""
    return (owner.removeprefix("n:"), None, None, None, None)


def _order(owner: str, person: Person) -> tuple[str, bool, int, str, str]:
    """The book's order. Namesakes: the roster's student first, then rows off the roster by
    address, then by owner key (so that the order never depends on the database's)."""
    name, student_id, email, _, _ = person
    return (name_order(name), student_id is None, student_id or 0, email or "", owner)


def _rows(
    people: list[tuple[str, Person]],
    graded: _Graded,
    exams: Mapping[str, float],
    assignments: Mapping[str, Assignment],
    k: Coefficients,
) -> list[GradeRow]:
    possible = possible_points(assignments)
    keys = sorted(assignments, key=lambda key: (assignments[key].deadline, key))
    # every configured assignment in deadline order, 0 until graded (the formula sums them in
    # this order); copying a ready dict is several times cheaper than a comprehension
    ungraded = dict.fromkeys(keys, 0.0)
    nothing: dict[str, float] = {}
    rows = []
    for owner, (name, student_id, email, group, mipt) in people:
        mine = ungraded.copy()
        mine.update(graded.points.get(owner, nothing))
        bonus = graded.extra.get(owner, 0.0)
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
                graded.published.get(owner, {}),
            )
        )
    return rows


def gradebook(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    k: Coefficients,
) -> list[GradeRow]:
    session.flush()  # plain rows from the connection below
    graded = _graded(session, assignments, policy)
    exams = _exams(session)
    people = _known_people(session)
    for owner in list(graded.points) + list(exams):
        people.setdefault(owner, _nobody(owner))
    ordered = sorted(people.items(), key=lambda item: _order(*item))
    return _rows(ordered, graded, exams, assignments, k)


@dataclass(frozen=True)
class GradeBookPage:
    rows: list[GradeRow]
    total: int
    """Students in the whole grade book."""


def _strays(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    people: Mapping[str, Person],
) -> list[str]:
    """Graded owners that neither the roster nor an unlinked submission names: submissions
    linked to a roster id that is gone. Normally none; found without reading any grade."""
    linked = session.connection().scalars(
        select(Submission.student_id).where(Submission.student_id.is_not(None)).distinct()
    )
    owners = (owner_of_student(sid) for sid in linked if sid is not None)
    gone = [owner for owner in owners if owner not in people]
    return list(_graded(session, assignments, policy, gone).points) if gone else []


def gradebook_page(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    k: Coefficients,
    start: int,
    size: int,
) -> GradeBookPage:
    """Rows ``start`` to ``start + size`` of ``gradebook``: everyone is put in order (names
    only), and only the page's students' grades are read and computed."""
    session.flush()
    exams = _exams(session)
    people = _known_people(session)
    for owner in _strays(session, assignments, policy, people) + list(exams):
        people.setdefault(owner, _nobody(owner))
    ordered = sorted(people.items(), key=lambda item: _order(*item))
    shown = ordered[start : start + size]
    graded = _graded(session, assignments, policy, [owner for owner, _ in shown])
    return GradeBookPage(_rows(shown, graded, exams, assignments, k), len(ordered))


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
