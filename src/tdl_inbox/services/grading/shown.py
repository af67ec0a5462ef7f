"""One submission as ``show`` presents it, and its JSON: ``show --json`` and the workspace's
``GET /api/submissions/ID`` write the same object from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.assignments import Assignment
from tdl_inbox.domain.ids import submission_ref, with_ref
from tdl_inbox.services import audit
from tdl_inbox.services.grading.details import SubmissionDetails, submission_details
from tdl_inbox.services.grading.regrades import RegradeRow, regrade_rows
from tdl_inbox.services.grading.versions import Policy
from tdl_inbox.services.reporting.formatting import to_jsonable


@dataclass(frozen=True)
class Shown:
    details: SubmissionDetails
    requests: list[RegradeRow]
    history: list[audit.Event]


def shown_submission(
    session: Session,
    store: BlobStore,
    assignments: Mapping[str, Assignment],
    policy: Policy,
    submission_id: int,
) -> Shown:
    return Shown(
        submission_details(session, store, assignments, policy, submission_id),
        regrade_rows(session, submission_id=submission_id),
        audit.events(session, submission_id=submission_id),
    )


def shown_json(shown: Shown, zone: ZoneInfo) -> dict[str, Any]:
    """The submission's JSON, times in course time; every grade with its ``id``."""
    data = with_ref(to_jsonable(shown.details, zone), submission_ref(shown.details.id))
    data["versions"] = [with_ref(v, submission_ref(v["id"])) for v in data["versions"]]
    data["history"] = [audit.event_json(e, zone) for e in shown.history]
    data["regrade_requests"] = to_jsonable(shown.requests, zone)
    return data
