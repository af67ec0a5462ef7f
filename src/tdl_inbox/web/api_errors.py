"""The API's refusals in one place: each error's status code and its ``{"error": ...}`` body.

Times in a message are course time, as the CLI shows them.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import JSONResponse, Response

from tdl_inbox.domain.ids import BadId
from tdl_inbox.errors import (
    AlreadyClaimed,
    DatabaseError,
    InvalidGrade,
    NotFound,
    StaleGrade,
    StorageError,
    TdlInboxError,
)
from tdl_inbox.services.grading.refs import WrongKind
from tdl_inbox.services.reporting.formatting import iso, short_time
from tdl_inbox.web.api_body import BadBody

LOGIN_REQUIRED = "login required: log in, or send Authorization: Bearer TOKEN"
CLAIM_HINT = 'nothing changed; ask them, or release their claim with {"force": true} first'
"""What to do about another's claim, said for the API (the service's hint names --force)."""

STATUS: tuple[tuple[type[Exception], int], ...] = (
    # An id of the wrong kind (m18) names no submission: like an unknown one.
    (NotFound, 404),
    (WrongKind, 404),
    (BadId, 404),
    (AlreadyClaimed, 409),
    (StaleGrade, 409),
    (InvalidGrade, 422),
    (BadBody, 422),
    (DatabaseError, 503),
    (StorageError, 503),
)
ANSWERED = (TdlInboxError, BadId, BadBody)
"""What ``error_response`` answers; anything else is a bug and stays a 500."""


def status_of(error: Exception) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 400)


def error_response(error: Exception, zone: ZoneInfo) -> Response:
    body: dict[str, Any] = {"error": str(error)}
    if isinstance(error, AlreadyClaimed):
        said = AlreadyClaimed(error.submission_id, error.holder, error.until, CLAIM_HINT)
        body["error"] = said.describe(short_time(error.until, zone))
        body["claimed_by"], body["until"] = error.holder, iso(error.until, zone)
    elif isinstance(error, StaleGrade):
        body["error"] = error.describe(short_time(error.graded_at, zone))
        # The grade the caller has not seen: to show, and to send as "seen_grade" if they
        # still mean to replace it.
        body["grade"] = {
            "id": error.grade_id,
            "grader": error.grader,
            "points": error.points,
            "extra": error.extra,
            "comment": error.comment,
            "graded_at": iso(error.graded_at, zone),
        }
    return JSONResponse(body, status_code=status_of(error))
