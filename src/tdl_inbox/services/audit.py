"""The audit trail: every decision a person makes, appended in the transaction that makes it.

One home for writing it (``record``) and reading it (``events``). Rows are never updated or
deleted by the program; ``tests/integration/test_history.py`` checks that no code path does.
The actor is the grader or web user who acted; commands without one pass
``$TDL_INBOX_ACTOR``, else the operating-system user (the CLI decides, see ``cli/params.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import HistoryEvent, Submission
from tdl_inbox.domain.ids import IdKind, Ref, submission_ref
from tdl_inbox.services.grading.refs import LARGEST_ID, no_submission, submission_id_of
from tdl_inbox.services.reporting.formatting import iso

ACTIONS = frozenset(
    {
        "grade",
        "regrade",
        "claim",
        "release",
        "claim expired",
        "choose",
        "relink",
        "roster link",
        "extension granted",
        "extension revoked",
        "publish",
        "regrade requested",
        "regrade resolved",
        "accept",
        "reject",
        "recheck",
        "roster add",
        "roster remove",
        "roster import",
        "exam",
        "exam import",
        "restore",
        "user add",
        "user remove",
        "user password",
        "user token",
        "user token revoked",
    }
)


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    actor: str
    action: str
    submission_id: int | None
    details: dict[str, Any]


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    submission_id: int | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Append one event; ``details`` must be JSON (old and new values, reason, comment...)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown history action {action!r}")  # a programming error
    session.add(
        HistoryEvent(
            at=now,
            actor=actor[:100],
            action=action,
            submission_id=submission_id,
            details=json.dumps(dict(details or {}), ensure_ascii=False, allow_nan=False),
        )
    )


def event_json(event: Event, zone: ZoneInfo) -> dict[str, Any]:
    """One event as ``history --json`` writes it (its time in course time)."""
    return {
        "id": event.id,
        "at": iso(event.at, zone),
        "actor": event.actor,
        "action": event.action,
        "submission_id": event.submission_id,
        "submission_ref": None
        if event.submission_id is None
        else submission_ref(event.submission_id),
        "details": event.details,
    }


def events(
    session: Session,
    *,
    submission_id: int | None = None,
    since: datetime | None = None,
    actor: str | None = None,
) -> list[Event]:
    """Events oldest first: one submission's, or the course's since ``since`` (by ``actor``)."""
    query = select(HistoryEvent).order_by(HistoryEvent.id)
    if submission_id is not None:
        query = query.where(HistoryEvent.submission_id == submission_id)
    if since is not None:
        query = query.where(HistoryEvent.at >= since)
    if actor is not None:
        query = query.where(HistoryEvent.actor == actor)
    return [
        Event(row.id, row.at, row.actor, row.action, row.submission_id, json.loads(row.details))
        for row in session.scalars(query)
    ]


def submission_events(
    session: Session, ref: Ref, *, since: datetime | None = None, actor: str | None = None
) -> list[Event]:
    """One submission's events; a submission since rejected keeps its history. A message id,
    or an id that never had a submission, is refused as ``submission_id_of`` refuses it."""
    if ref.kind is not IdKind.SUBMISSION:
        submission_id = submission_id_of(session, ref)
    elif _known(session, ref.number):
        submission_id = ref.number
    else:
        raise no_submission(ref.number)
    return events(session, submission_id=submission_id, since=since, actor=actor)


def _known(session: Session, submission_id: int) -> bool:
    if submission_id > LARGEST_ID:
        return False
    if session.get(Submission, submission_id) is not None:
        return True
    recorded = select(HistoryEvent.id).where(HistoryEvent.submission_id == submission_id)
    return bool(session.scalar(select(recorded.exists())))
