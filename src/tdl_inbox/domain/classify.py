"""Decide whether a message is a submission, and of what, from its subject."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tdl_inbox.domain.assignments import Assignment, Kind
from tdl_inbox.domain.commands import is_status_request
from tdl_inbox.domain.rejections import Reason, ReasonCode
from tdl_inbox.domain.subjects import SubjectError, parse_subject

# Proton Mail Bridge serves this placeholder when it cannot decrypt or rebuild a message.
BRIDGE_PLACEHOLDER_SUBJECT = "message failed to build"


@dataclass(frozen=True)
class Accepted:
    assignment: Assignment
    student: str
    note: str | None = None


@dataclass(frozen=True)
class Rejected:
    why: Reason

    @property
    def reason(self) -> str:
        """In English, as the database keeps it."""
        return self.why.text


def classify(
    subject: str | None,
    assignments: Mapping[str, Assignment],
    aliases: Mapping[str, Kind] | None = None,
) -> Accepted | Rejected:
    if subject is not None and subject.strip().lower() == BRIDGE_PLACEHOLDER_SUBJECT:
        return Rejected(Reason.of(ReasonCode.BRIDGE_PLACEHOLDER))
    if is_status_request(subject):
        return Rejected(Reason.of(ReasonCode.STATUS_REQUEST))
    try:
        parsed = parse_subject(subject, aliases)
    except SubjectError as exc:
        return Rejected(exc.why)
    assignment = assignments.get(parsed.assignment)
    if assignment is None:
        return Rejected(Reason.of(ReasonCode.UNKNOWN_ASSIGNMENT, assignment=parsed.assignment))
    return Accepted(assignment, parsed.student, parsed.note)
