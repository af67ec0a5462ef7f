"""Why a message was not recorded as a submission: a code and its parameters.

The code, not a sentence, is the domain's answer, so that each reader gets it in its own
language: the admin's listings and the database keep the English text (:attr:`Reason.text`),
a student's receipt renders the same code in ``receipts.language``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class ReasonCode(enum.StrEnum):
    EMPTY_SUBJECT = "empty_subject"
    SUBJECT_TOO_LONG = "subject_too_long"
    NO_KIND = "no_kind"
    NO_NUMBER = "no_number"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    NO_NAME_AFTER_DASH = "no_name_after_dash"
    NO_NAME_AFTER_NUMBER = "no_name_after_number"
    TEXT_GLUED_TO_NUMBER = "text_glued_to_number"
    NAME_TOO_LONG = "name_too_long"
    UNKNOWN_ASSIGNMENT = "unknown_assignment"
    BRIDGE_PLACEHOLDER = "bridge_placeholder"
    MESSAGE_TOO_LARGE = "message_too_large"
    UNREADABLE = "unreadable"
    STATUS_REQUEST = "status_request"
    REGRADE_REQUEST = "regrade_request"


ENGLISH: Mapping[ReasonCode, str] = MappingProxyType(
    {
        ReasonCode.EMPTY_SUBJECT: "empty subject",
        ReasonCode.SUBJECT_TOO_LONG: "subject is too long ({length} characters)",
        ReasonCode.NO_KIND: (
            "subject does not start with Theory or Lab "
            "(expected something like 'Theory 2 - Ivan Ivanov')"
        ),
        ReasonCode.NO_NUMBER: "no assignment number after '{kind}'",
        ReasonCode.NUMBER_OUT_OF_RANGE: "assignment number {number} is out of range",
        ReasonCode.NO_NAME_AFTER_DASH: "no student name after the dash",
        ReasonCode.NO_NAME_AFTER_NUMBER: "no student name after '{head}'",
        ReasonCode.TEXT_GLUED_TO_NUMBER: (
            "no space or dash between '{head}' and '{found}' (expected 'Theory 2 - Ivan Ivanov')"
        ),
        ReasonCode.NAME_TOO_LONG: (
            "student name is too long ({length} characters; at most {limit})"
        ),
        ReasonCode.UNKNOWN_ASSIGNMENT: "unknown assignment {assignment}",
        ReasonCode.BRIDGE_PLACEHOLDER: (
            "Proton Mail Bridge could not decrypt or rebuild this message"
        ),
        ReasonCode.MESSAGE_TOO_LARGE: (
            "message is larger than the {limit_mb} MB limit; only its headers were kept"
        ),
        ReasonCode.UNREADABLE: "the message could not be read: {error}",
        ReasonCode.STATUS_REQUEST: "status request",
        # a reply to a grade mail: recorded as a regrade request (params: assignment)
        ReasonCode.REGRADE_REQUEST: "regrade request",
    }
)


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: ReasonCode, **params: object) -> Reason:
        return cls(code, tuple((key, str(value)) for key, value in params.items()))

    def render(self, templates: Mapping[ReasonCode, str]) -> str:
        return templates[self.code].format(**dict(self.params))

    @property
    def text(self) -> str:
        """In English: what the database and the admin's listings keep."""
        return self.render(ENGLISH)
