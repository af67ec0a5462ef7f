"""Regrade requests: a student's reply to their grade mail, routed to the grader who gave it.

A request is ``open`` until the grader regrades the submission (``regraded``: ``record_grade``
calls :func:`mark_regraded`) or keeps the grade (``resolve``: ``kept``, with a comment). The
student hears the answer from the next ``publish`` (``services/mail/feedback.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Grade, RegradeRequest, Student, Submission
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import NotFound
from tdl_inbox.services import audit
from tdl_inbox.services.grading.listing import attachment_columns, with_attachments
from tdl_inbox.services.grading.queue import QueueItem

MAX_TEXT_CHARS = 20_000
REGRADE_STATUS = "regrade requested"
"""A queue item's status while a student's regrade request is open."""
STATES = ("open", "regraded", "kept")


@dataclass(frozen=True)
class RegradeRow:
    id: int
    submission_id: int
    student: str
    assignment: str
    text: str
    routed_to: str | None
    state: str
    resolution: str | None
    requested_at: datetime
    resolved_at: datetime | None
    answered_at: datetime | None


def open_request(
    session: Session,
    *,
    submission_id: int,
    message_pk: int,
    text: str,
    routed_to: str | None,
    actor: str,
    now: datetime,
) -> RegradeRequest:
    request = RegradeRequest(
        submission_id=submission_id,
        message_pk=message_pk,
        text=text[:MAX_TEXT_CHARS],
        routed_to=routed_to,
        state="open",
        requested_at=now,
    )
    session.add(request)
    audit.record(
        session,
        actor=actor,
        action="regrade requested",
        now=now,
        submission_id=submission_id,
        details={"message_pk": message_pk, "routed_to": routed_to},
    )
    return request


def mark_regraded(
    session: Session, submission_id: int, grade_id: int, grader: str, now: datetime
) -> int:
    """A new grade answers the submission's open requests; returns how many."""
    result = session.execute(
        update(RegradeRequest)
        .where(RegradeRequest.submission_id == submission_id, RegradeRequest.state == "open")
        .values(state="regraded", grade_id=grade_id, resolved_by=grader, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(
            session,
            actor=grader,
            action="regrade resolved",
            now=now,
            submission_id=submission_id,
            details={"state": "regraded", "grade_id": grade_id, "requests": count},
        )
    return count


def resolve(session: Session, submission_id: int, comment: str, grader: str, now: datetime) -> int:
    """Keep the grade: the submission's open requests become ``kept`` with ``comment``."""
    if not comment.strip():
        raise NotFound("resolve needs --comment: tell the student why the grade stands")
    requests = list(
        session.scalars(
            select(RegradeRequest).where(
                RegradeRequest.submission_id == submission_id, RegradeRequest.state == "open"
            )
        )
    )
    if not requests:
        raise NotFound(f"submission {submission_ref(submission_id)} has no open regrade request")
    for request in requests:
        request.state, request.resolution = "kept", comment.strip()
        request.resolved_by, request.resolved_at = grader, now
    audit.record(
        session,
        actor=grader,
        action="regrade resolved",
        now=now,
        submission_id=submission_id,
        details={"state": "kept", "comment": comment.strip(), "requests": len(requests)},
    )
    return len(requests)


def regrade_rows(
    session: Session,
    *,
    submission_id: int | None = None,
    state: str | None = None,
    routed_to: str | None = None,
    assignment: str | None = None,
) -> list[RegradeRow]:
    query = (
        select(RegradeRequest, Submission.assignment, Submission.student, Student.name)
        .join(Submission, Submission.id == RegradeRequest.submission_id)
        .outerjoin(Student, Student.id == Submission.student_id)
        .order_by(RegradeRequest.requested_at, RegradeRequest.id)
    )
    if submission_id is not None:
        query = query.where(RegradeRequest.submission_id == submission_id)
    if state is not None:
        query = query.where(RegradeRequest.state == state)
    if routed_to is not None:
        query = query.where(RegradeRequest.routed_to == routed_to)
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    return [
        RegradeRow(
            r.id,
            r.submission_id,
            roster_name or name_in_subject,
            key,
            r.text,
            r.routed_to,
            r.state,
            r.resolution,
            r.requested_at,
            r.resolved_at,
            r.answered_at,
        )
        for r, key, name_in_subject, roster_name in session.execute(query)
    ]


def queue_items(
    session: Session,
    store: BlobStore,
    assignment: str | None = None,
    routed_to: str | None = None,
) -> list[QueueItem]:
    """Submissions with an open regrade request, as queue items (``regrade requested``),
    oldest request first; with ``routed_to``, only those routed to that grader."""
    session.flush()
    query = (
        select(
            Submission.id,
            Submission.assignment,
            Submission.student,
            Student.name,
            Submission.arrived_at,
            Submission.late,
            Submission.chosen,
            Submission.link_flag,
            *attachment_columns(),
        )
        .join(RegradeRequest, RegradeRequest.submission_id == Submission.id)
        .outerjoin(Student, Student.id == Submission.student_id)
        .outerjoin(Attachment, Attachment.message_pk == Submission.message_pk)
        .where(RegradeRequest.state == "open")
        .order_by(RegradeRequest.requested_at, Submission.id, Attachment.position)
    )
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    if routed_to is not None:
        query = query.where(RegradeRequest.routed_to == routed_to)
    items: dict[int, QueueItem] = {}
    for row, files in with_attachments(session.connection().execute(query), store):
        sub_id, key, name, roster_name, arrived_at, late, chosen, flag, *_ = row
        items.setdefault(
            sub_id,
            QueueItem(
                sub_id,
                key,
                roster_name or name,
                arrived_at,
                late,
                chosen,
                REGRADE_STATUS,
                None,
                flag,
                files,
            ),
        )
    return list(items.values())


def current_grader(session: Session, submission_id: int) -> str | None:
    return session.scalar(
        select(Grade.grader)
        .where(Grade.submission_id == submission_id)
        .order_by(Grade.id.desc())
        .limit(1)
    )
