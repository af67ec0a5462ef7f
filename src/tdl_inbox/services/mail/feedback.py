"""Publishing grades: one mail per graded counting version, exactly once per grade row.

A grade is published when ``published_grade`` names its row; the grade mail is queued in the
outbox in the same transaction (dedupe key ``grade:<grade id>``), so a second ``publish`` finds
nothing new and a crash queues nothing twice. A regrade is a new grade row: the next
``publish`` mails it as an update of the last published grade of that student's assignment. A
regrade request the grader kept (``resolve``) is answered by the next ``publish`` too
(``regrade:<request id>``). Nothing here shows a student a grade that is not being published.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import (
    Grade,
    Message,
    PublishedGrade,
    RegradeRequest,
    Student,
    Submission,
)
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.grading import homework_share
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import NotFound
from tdl_inbox.services import audit
from tdl_inbox.services.grading.gradebook import possible_points
from tdl_inbox.services.grading.versions import Policy, counting_ids, current_grades
from tdl_inbox.services.mail.feedback_text import FEEDBACK_TEXTS, number
from tdl_inbox.services.mail.outbox import GRADE_MAIL, Letter, enqueue
from tdl_inbox.services.mail.receipt_text import Language

_MSGID = re.compile(r"^<[^<>\s]{1,250}>$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class FeedbackPolicy:
    language: Language
    sender_address: str
    course_name: str
    counting: Policy
    show_grader: bool


@dataclass(frozen=True)
class Published:
    """One student's grade mail: ``kind`` ``grade``, ``update`` or ``kept``, or ``skipped``
    with ``reason``."""

    submission_id: int
    student: str
    kind: str
    to_addr: str | None
    points: float
    previous_points: float | None = None
    subject: str = ""
    body: str = ""
    reason: str | None = None


def _clean(text: str | None, limit: int = 2000) -> str:
    return _CONTROL.sub(" ", text or "").strip()[:limit]


def _graded_counting(
    session: Session, policy: Policy, key: str
) -> list[tuple[Submission, Grade, Message, Student | None]]:
    current = current_grades()
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(Submission, Grade, Message, Student)
        .join(Grade, Grade.submission_id == Submission.id)
        .join(Message, Message.id == Submission.message_pk)
        .outerjoin(Student, Student.id == Submission.student_id)
        .where(
            Grade.id.in_(select(current.c.id)),
            Submission.id.in_(counting_ids(policy, dialect, key)),
        )
        .order_by(Submission.arrived_at, Submission.id)
    )
    return [(sub, grade, message, student) for sub, grade, message, student in rows]


def published_by_owner(
    session: Session, owners: set[str]
) -> dict[str, dict[str, tuple[int, float, float]]]:
    """owner -> assignment -> (grade id, points, extra) of the last grade published to them."""
    found: dict[str, dict[str, tuple[int, float, float]]] = defaultdict(dict)
    if not owners:
        return found
    rows = session.execute(
        select(Submission.owner, Submission.assignment, Grade.id, Grade.points, Grade.extra)
        .join(PublishedGrade, PublishedGrade.grade_id == Grade.id)
        .join(Submission, Submission.id == Grade.submission_id)
        .where(Submission.owner.in_(owners))
        .order_by(Grade.id)
    )
    for owner, assignment, grade_id, points, extra in rows:
        found[owner][assignment] = (grade_id, points, extra)
    return found


def _unanswered(session: Session, submission_ids: list[int]) -> dict[int, list[RegradeRequest]]:
    found: dict[int, list[RegradeRequest]] = defaultdict(list)
    if submission_ids:
        for request in session.scalars(
            select(RegradeRequest)
            .where(
                RegradeRequest.submission_id.in_(submission_ids),
                RegradeRequest.state != "open",
                RegradeRequest.answered_at.is_(None),
            )
            .order_by(RegradeRequest.id)
        ):
            found[request.submission_id].append(request)
    return found


def _points(points: float, extra: float, language: Language) -> str:
    text = number(points, language)
    return f"{text} (+{number(extra, language)})" if extra else text


def _standing(
    t: dict[str, str],
    language: Language,
    assignments: Mapping[str, Assignment],
    published: Mapping[str, tuple[int, float, float]],
) -> list[str]:
    """Published grades only: a grade not yet published is not shown, not even in a sum."""
    keys = sorted(assignments, key=lambda key: (assignments[key].deadline, key))
    points = {key: published[key][1] for key in keys if key in published}
    extra = sum(published[key][2] for key in keys if key in published)
    possible = possible_points(assignments)
    lines = [t["standing"]]
    lines += [
        t["standing_line"].format(
            assignment=key,
            points=number(value, language),
            max_points=number(assignments[key].max_points, language),
        )
        for key, value in points.items()
    ]
    if extra:
        lines.append(t["standing_extra"].format(extra=number(extra, language)))
    share = homework_share(points, extra, possible)
    lines.append(
        t["p_hw"].format(
            p_hw=number(round(share, 3), language),
            points=number(sum(points.values()) + extra, language),
            possible=number(possible, language),
        )
    )
    return lines


def publish(
    session: Session,
    policy: FeedbackPolicy,
    assignments: Mapping[str, Assignment],
    key: str,
    now: datetime,
    actor: str,
    *,
    dry_run: bool = False,
) -> list[Published]:
    """Queue the grade mails of assignment ``key`` that are not sent yet, and mark the grades
    published; with ``dry_run`` only say what would be sent."""
    assignment = assignments.get(key)
    if assignment is None:
        raise NotFound(f"no assignment {key} in the config")
    t, language = FEEDBACK_TEXTS[policy.language], policy.language
    graded = _graded_counting(session, policy.counting, key)
    if graded and not dry_run:
        # A second ``publish`` at the same time waits here (PostgreSQL; SQLite's write
        # transactions are serial), then finds these grades published.
        session.execute(
            select(Submission.id)
            .where(Submission.id.in_([sub.id for sub, *_ in graded]))
            .order_by(Submission.id)
            .with_for_update()
        )
    published = published_by_owner(session, {sub.owner for sub, *_ in graded})
    answers = _unanswered(session, [sub.id for sub, *_ in graded])
    results: list[Published] = []
    for sub, grade, message, student in graded:
        name = student.name if student is not None else sub.student
        mine = published[sub.owner]
        before = mine.get(key)
        kept = [r for r in answers.get(sub.id, []) if r.state == "kept"]
        if before is not None and before[0] == grade.id and not kept:
            continue
        if sub.link_flag:
            results.append(
                Published(sub.id, name, "skipped", None, grade.points, reason=sub.link_flag)
            )
            continue
        to_addr = (student.email if student is not None else None) or message.sender
        if not to_addr or "@" not in to_addr or _CONTROL.search(to_addr):
            results.append(
                Published(sub.id, name, "skipped", None, grade.points, reason="no usable address")
            )
            continue
        max_points = number(assignment.max_points, language)
        now_points = _points(grade.points, grade.extra, language)
        if before is None:
            kind, subject = "grade", t["subject"]
            head = t["grade"].format(assignment=key, points=now_points, max_points=max_points)
            dedupe = f"grade:{grade.id}"
        elif before[0] != grade.id:
            kind, subject = "update", t["subject_update"]
            old = _points(before[1], before[2], language)
            head = t["changed"].format(
                assignment=key, old=old, new=now_points, max_points=max_points
            )
            dedupe = f"grade:{grade.id}"
        else:
            kind, subject = "kept", t["subject_kept"]
            head = t["kept"].format(assignment=key, points=now_points, max_points=max_points)
            dedupe = f"regrade:{kept[-1].id}"
        mine[key] = (grade.id, grade.points, grade.extra)
        comment = kept[-1].resolution if kind == "kept" else grade.comment
        body = [t["greeting"], "", head]
        if comment:
            body.append(t["comment"].format(comment=_clean(comment)))
        if policy.show_grader:
            grader = grade.grader
            if kind == "kept" and kept[-1].resolved_by:
                grader = kept[-1].resolved_by
            body.append(t["grader"].format(grader=_clean(grader, 100)))
        body += ["", *_standing(t, language, assignments, mine), "", t["reply_hint"]]
        body += ["", t["signature"].format(course=policy.course_name), ""]
        item = Published(
            sub.id,
            name,
            kind,
            to_addr,
            grade.points,
            None if before is None else before[1],
            subject.format(assignment=key),
            "\n".join(body),
        )
        results.append(item)
        if not dry_run:
            _queue(session, policy, sub, grade, message, item, dedupe, now, actor)
            for request in answers.get(sub.id, []):
                request.answered_at = now
    return results


def _queue(
    session: Session,
    policy: FeedbackPolicy,
    sub: Submission,
    grade: Grade,
    message: Message,
    item: Published,
    dedupe: str,
    now: datetime,
    actor: str,
) -> None:
    message_id = (
        message.message_id if message.message_id and _MSGID.match(message.message_id) else None
    )
    assert item.to_addr is not None
    queued = enqueue(
        session,
        Letter(
            kind=GRADE_MAIL,
            to_addr=item.to_addr,
            subject=item.subject,
            body_text=item.body,
            in_reply_to=message_id,
            references=message_id,
            dedupe_key=dedupe,
            message_pk=sub.message_pk,
        ),
        policy.sender_address,
        now,
    )
    if session.get(PublishedGrade, grade.id) is None:
        session.add(
            PublishedGrade(
                grade_id=grade.id,
                submission_id=sub.id,
                published_at=now,
                outbox_id=None if queued is None else queued.id,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="publish",
        now=now,
        submission_id=sub.id,
        details={
            "assignment": sub.assignment,
            "grade_id": grade.id,
            "points": grade.points,
            "extra": grade.extra,
            "previous_points": item.previous_points,
            "kind": item.kind,
            "to": item.to_addr,
            "submission": submission_ref(sub.id),
        },
    )


def published_grade_ids(session: Session) -> set[int]:
    """Every grade row that was mailed to its student."""
    return set(session.scalars(select(PublishedGrade.grade_id)))
