"""Per-student extensions. Granting one re-judges that student's versions at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Extension
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.errors import NotFound, TdlInboxError
from tdl_inbox.services import audit
from tdl_inbox.services.grading.grades import owner_for
from tdl_inbox.services.intake.verdicts import refresh_verdicts


@dataclass(frozen=True)
class ExtensionRow:
    id: int
    student: str
    assignment: str
    until: datetime
    reason: str | None
    granted_at: datetime


def grant(
    session: Session,
    assignments: Mapping[str, Assignment],
    student_ref: str,
    assignment_key: str,
    until: datetime,
    reason: str | None,
    now: datetime,
    *,
    actor: str,
) -> ExtensionRow:
    assignment = assignments.get(assignment_key)
    if assignment is None:
        raise NotFound(f"unknown assignment {assignment_key} (see `tdl-inbox assignments`)")
    if until <= assignment.deadline:
        raise TdlInboxError(
            f"{until.isoformat()} is not after the {assignment_key} deadline "
            f"{assignment.deadline.isoformat()}: an extension can only move a deadline later"
        )
    owner, name = owner_for(session, student_ref)
    existing = session.scalar(
        select(Extension).where(Extension.owner == owner, Extension.assignment == assignment_key)
    )
    audit.record(
        session,
        actor=actor,
        action="extension granted",
        now=now,
        details={
            "student": name,
            "assignment": assignment_key,
            "until": until.isoformat(),
            "reason": reason,
            "old_until": None if existing is None else existing.until.isoformat(),
        },
    )
    if existing is None:
        existing = Extension(owner=owner, assignment=assignment_key)
        session.add(existing)
    existing.student, existing.until, existing.reason, existing.granted_at = (
        name,
        until,
        reason,
        now,
    )
    session.flush()
    refresh_verdicts(session, {assignment_key: assignment})
    return _row(existing)


def revoke(
    session: Session,
    assignments: Mapping[str, Assignment],
    student_ref: str,
    assignment_key: str,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Remove an extension (False when there was none); ``reason`` is kept in the history."""
    owner, name = owner_for(session, student_ref)
    found = session.scalar(
        select(Extension).where(Extension.owner == owner, Extension.assignment == assignment_key)
    )
    if found is None:
        return False
    audit.record(
        session,
        actor=actor,
        action="extension revoked",
        now=now,
        details={
            "student": name,
            "assignment": assignment_key,
            "until": found.until.isoformat(),
            "reason": reason,
        },
    )
    session.delete(found)
    session.flush()
    if assignment_key in assignments:
        refresh_verdicts(session, {assignment_key: assignments[assignment_key]})
    return True


def _row(e: Extension) -> ExtensionRow:
    return ExtensionRow(e.id, e.student, e.assignment, e.until, e.reason, e.granted_at)


def extension_rows(session: Session) -> list[ExtensionRow]:
    query = select(Extension).order_by(Extension.assignment, Extension.student)
    return [_row(e) for e in session.scalars(query)]


def extensions_by_assignment(session: Session) -> dict[str, list[ExtensionRow]]:
    grouped: dict[str, list[ExtensionRow]] = {}
    for row in extension_rows(session):
        grouped.setdefault(row.assignment, []).append(row)
    return grouped


def extensions_of(session: Session, owner: str) -> list[ExtensionRow]:
    """The extensions granted to ``owner`` (``owner_of_student``), by assignment."""
    query = select(Extension).where(Extension.owner == owner).order_by(Extension.assignment)
    return [_row(e) for e in session.scalars(query)]
