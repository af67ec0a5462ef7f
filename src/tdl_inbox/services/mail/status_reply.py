"""The body of the reply to a status request (a message whose subject is ``status``).

The student is the one the sender address belongs to (the roster address or one linked with
``roster link``), never a name from the message: the reply only goes to that address, so a
forged ``From:`` shows the data to its real owner only. An unknown address learns nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Submission
from tdl_inbox.services.grading.extensions import extensions_of
from tdl_inbox.services.grading.roster import SessionRoster, owner_of_student
from tdl_inbox.services.grading.versions import ranked
from tdl_inbox.services.mail.feedback import published_by_owner
from tdl_inbox.services.mail.feedback_text import number
from tdl_inbox.services.mail.receipt_policy import ReceiptPolicy
from tdl_inbox.services.mail.receipt_text import duration, local_time
from tdl_inbox.services.mail.status_text import STATUS_TEXTS


def published_grades(
    session: Session, owner: str, max_points: Mapping[str, float]
) -> dict[str, tuple[float, float, float]]:
    """The student's published grades: ``(points, extra, max_points)`` by assignment key.

    Reads published grades only (the last one mailed to them per assignment, as ``publish``
    keeps them): a grade that is not published is never visible to students.
    """
    published = published_by_owner(session, {owner}).get(owner, {})
    return {
        key: (points, extra, max_points.get(key, 0.0))
        for key, (_grade_id, points, extra) in published.items()
    }


def _natural(key: str) -> tuple[tuple[int, str], ...]:
    """``theory-2`` before ``theory-10``."""
    parts = re.split(r"(\d+)", key)
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in parts)


def status_lines(session: Session, policy: ReceiptPolicy, sender: str) -> list[str]:
    """What the owner of ``sender`` may know: per assignment, their versions (arrival, verdict,
    which one counts), published grades and extensions; for an address the roster does not
    know, only that. ``sender`` has passed the receipt guards (a plain address); the rest
    comes from the roster and the config, not from mail."""
    t = STATUS_TEXTS[policy.language]
    student_id = SessionRoster(session).student_at(sender.lower())
    if student_id is None:
        return [t["not_linked"].format(address=sender)]
    owner = owner_of_student(student_id)
    versions = ranked(policy.counting, owner=owner)
    rows = session.execute(
        select(
            Submission.assignment,
            Submission.arrived_at,
            Submission.late,
            Submission.late_by_seconds,
            versions.c.version,
            versions.c.rank,
        )
        .join(versions, versions.c.id == Submission.id)
        .order_by(versions.c.version)
    ).all()
    grades = published_grades(session, owner, policy.max_points)
    extensions = {e.assignment: e for e in extensions_of(session, owner)}

    lines: dict[str, list[str]] = {}
    for row in rows:
        verdict = (
            t["late"].format(late_by=duration(row.late_by_seconds, policy.language))
            if row.late
            else t["on_time"]
        )
        text = t["version"].format(
            version=row.version, arrived=local_time(row.arrived_at, policy.zone), verdict=verdict
        )
        lines.setdefault(row.assignment, []).append(text + (t["counts"] if row.rank == 1 else ""))
    for key, (points, extra, max_points) in grades.items():
        shown = {
            "points": number(points, policy.language),
            "extra": number(extra, policy.language),
            "max_points": number(max_points, policy.language),
        }
        lines.setdefault(key, []).append(t["grade_extra" if extra else "grade"].format(**shown))
    for key, extension in extensions.items():
        until = local_time(extension.until, policy.zone)
        lines.setdefault(key, []).append(t["extension"].format(until=until))

    student = SessionRoster(session).name_of(student_id)
    body = [t["intro"].format(student=student, address=sender, zone=policy.zone.key)]
    for key in sorted(lines, key=_natural):
        body += ["", t["assignment"].format(assignment=key), *lines[key]]
    if not lines:
        body += ["", t["nothing"]]
    return body
