"""Recording grades, exam results and the admin's decisions about versions and owners.

Every function validates first and changes nothing when it refuses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import ExamResult, Grade, Student, Submission
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import InvalidGrade, StaleGrade
from tdl_inbox.services import audit
from tdl_inbox.services.grading.queue import check_claim, clear_claim, lock_submission
from tdl_inbox.services.grading.refs import no_submission
from tdl_inbox.services.grading.regrades import mark_regraded
from tdl_inbox.services.grading.roster import (
    find_student,
    has_roster,
    owner_of_name,
    owner_of_student,
)
from tdl_inbox.services.grading.versions import Policy, ranked


@dataclass(frozen=True)
class Seen:
    """The latest grade a grader saw when they opened the submission (None: it had none).
    Given to ``record_grade``, a grade saved by anyone since is a conflict, not overwritten."""

    grade_id: int | None


@dataclass(frozen=True)
class GradeChange:
    submission_id: int
    previous: Grade | None
    current: Grade


def get_submission(session: Session, submission_id: int) -> Submission:
    found = session.get(Submission, submission_id)
    if found is None:
        raise no_submission(submission_id)
    return found


def _finite(what: str, value: float) -> None:
    """``inf`` would cap every final grade at 10 and is not JSON; ``nan`` compares false."""
    if not math.isfinite(value):
        raise InvalidGrade(f"{what} must be a finite number, got {value}")


def counting_version(session: Session, sub: Submission, policy: Policy) -> int:
    versions = ranked(policy, sub.assignment)
    found: int | None = session.scalar(
        select(versions.c.id)
        .join(Submission, Submission.id == versions.c.id)
        .where(Submission.owner == sub.owner, versions.c.rank == 1)
    )
    assert found is not None  # the group contains ``sub`` itself
    return found


def record_grade(
    session: Session,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    submission_id: int,
    points: float,
    extra: float,
    comment: str | None,
    grader: str,
    now: datetime,
    force: bool = False,
    seen: Seen | None = None,
) -> GradeChange:
    """Record a grade. Another grader's live claim on it takes ``force``; such a grade is
    recorded as forced. With ``seen``, a grade saved since the grader looked raises StaleGrade
    (``force`` does not override it: the grader must first see the other grade)."""
    _finite("points", points)
    _finite("extra points", extra)
    sub = get_submission(session, submission_id)
    lock_submission(session, sub.id)  # a claim being taken now is waited for, then seen
    assignment = assignments.get(sub.assignment)
    if assignment is None:
        raise InvalidGrade(f"assignment {sub.assignment} is no longer in the config")
    if not 0 <= points <= assignment.max_points:
        limit = f"{assignment.max_points:g}"
        raise InvalidGrade(
            f"points must be between 0 and {limit} for {sub.assignment}, got {points:g}"
        )
    if extra < 0:
        raise InvalidGrade(f"extra points cannot be negative, got {extra:g}")
    if not grader.strip():
        raise InvalidGrade("--grader must name who is grading")
    counting = counting_version(session, sub, policy)
    if counting != sub.id:
        this, that = submission_ref(sub.id), submission_ref(counting)
        raise InvalidGrade(
            f"submission {this} is superseded by submission {that} of the same student: "
            f"grade {that}, or make {this} count with `tdl-inbox choose {this}`"
        )
    forced = check_claim(session, sub.id, grader.strip(), now, force)
    previous = session.scalar(
        select(Grade).where(Grade.submission_id == sub.id).order_by(Grade.id.desc()).limit(1)
    )
    # A seen grade that no longer exists (its submission was deleted and re-added by hand)
    # leaves nothing to overwrite.
    if seen is not None and previous is not None and seen.grade_id != previous.id:
        raise StaleGrade(
            sub.id,
            previous.id,
            previous.grader,
            previous.graded_at,
            previous.points,
            previous.extra,
            previous.comment,
        )
    grade = Grade(
        submission_id=sub.id,
        points=points,
        extra=extra,
        comment=comment,
        grader=grader.strip(),
        graded_at=now,
        forced=forced,
    )
    session.add(grade)
    clear_claim(session, sub.id, grader.strip(), now)
    details: dict[str, object] = {
        "points": points,
        "extra": extra,
        "comment": comment,
        "forced": forced,
    }
    if previous is not None:
        details.update(
            old_points=previous.points,
            old_extra=previous.extra,
            old_comment=previous.comment,
            old_grader=previous.grader,
        )
    action = "grade" if previous is None else "regrade"
    audit.record(
        session, actor=grader.strip(), action=action, now=now, submission_id=sub.id, details=details
    )
    session.flush()
    mark_regraded(session, sub.id, grade.id, grade.grader, now)
    return GradeChange(sub.id, previous, grade)


def grade_history(session: Session, submission_id: int) -> list[Grade]:
    return list(
        session.scalars(
            select(Grade).where(Grade.submission_id == submission_id).order_by(Grade.id)
        )
    )


def choose_version(
    session: Session, submission_id: int, *, actor: str, now: datetime
) -> Submission:
    """Make this version the one that counts for its student and assignment."""
    sub = get_submission(session, submission_id)
    previous = session.scalar(
        select(Submission.id).where(
            Submission.assignment == sub.assignment,
            Submission.owner == sub.owner,
            Submission.chosen.is_(True),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="choose",
        now=now,
        submission_id=sub.id,
        details={"assignment": sub.assignment, "previously_chosen": previous},
    )
    session.execute(
        update(Submission)
        .where(Submission.assignment == sub.assignment, Submission.owner == sub.owner)
        .values(chosen=False)
    )
    sub.chosen = True
    return sub


def relink(
    session: Session, submission_id: int, student_ref: str, *, actor: str, now: datetime
) -> Student:
    """The admin says who a submission belongs to; automatic linking will not change it."""
    sub = get_submission(session, submission_id)
    student = find_student(session, student_ref)
    audit.record(
        session,
        actor=actor,
        action="relink",
        now=now,
        submission_id=sub.id,
        details={
            "student_id": student.id,
            "student": student.name,
            "old_student_id": sub.student_id,
            "old_owner": sub.owner,
        },
    )
    sub.student_id, sub.owner = student.id, owner_of_student(student.id)
    sub.link_flag, sub.link_manual = None, True
    return student


def owner_for(session: Session, student_ref: str) -> tuple[str, str]:
    """(owner key, display name) for a student named on the command line."""
    if has_roster(session):
        student = find_student(session, student_ref)
        return owner_of_student(student.id), student.name
    return owner_of_name(student_ref), student_ref


def set_exam(
    session: Session,
    student_ref: str,
    points: float,
    max_points: float,
    now: datetime,
    *,
    actor: str,
) -> str:
    _finite("exam points", points)
    if not 0 <= points <= max_points:
        raise InvalidGrade(f"exam points must be between 0 and {max_points:g}, got {points:g}")
    owner, name = owner_for(session, student_ref)
    existing = session.get(ExamResult, owner)
    audit.record(
        session,
        actor=actor,
        action="exam",
        now=now,
        details={
            "student": name,
            "points": points,
            "old_points": None if existing is None else existing.points,
        },
    )
    if existing is None:
        session.add(ExamResult(owner=owner, points=points, recorded_at=now))
    else:
        existing.points, existing.recorded_at = points, now
    return name
