"""Reading a stored rejection's reason back to its code: what ``recheck`` reads again."""

from __future__ import annotations

import re

import pytest

from tdl_inbox.domain.classify import Rejected, classify
from tdl_inbox.domain.rejection_codes import (
    NOT_SUBJECT_CODES,
    SUBJECT_CODES,
    code_of,
    is_about_subject,
)
from tdl_inbox.domain.rejections import ENGLISH, Reason, ReasonCode

VALUES = {
    "length": "1234",
    "limit": "200",
    "kind": "Theory",
    "number": "1000",
    "head": "Theory 2",
    "found": "a - Ivan",
    "assignment": "theory-3",
    "limit_mb": "25",
    "error": "MIME nesting too deep: 'x' (y)",
}


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_text_reads_back_to_its_code(code: ReasonCode) -> None:
    names = re.findall(r"{(\w+)}", ENGLISH[code])
    text = Reason.of(code, **{name: VALUES[name] for name in names}).text
    assert code_of(text) is code
    assert is_about_subject(text) is (code in SUBJECT_CODES)


@pytest.mark.parametrize(
    "subject", ["", "homework", "Theory", "Theory 2 -", "Theory 2a Ivan", "Theory 9 - Ivan"]
)
def test_what_a_subject_is_rejected_for_is_about_the_subject(subject: str) -> None:
    verdict = classify(subject, {})
    assert isinstance(verdict, Rejected)
    assert is_about_subject(verdict.reason)


@pytest.mark.parametrize(
    "reason",
    [
        "message is larger than the 25 MB limit; only its headers were kept",
        "Proton Mail Bridge could not decrypt or rebuild this message",
        "could not be recorded (ValueError); the raw message is kept, see the log of the poll",
        "rejected by hand: a question",
        "rejected by hand: unknown assignment theory-3",
        "rejected by hand: empty subject",
        "",
    ],
)
def test_other_reasons_are_not(reason: str) -> None:
    assert not is_about_subject(reason)


def test_every_code_is_either_about_the_subject_or_not() -> None:
    assert set(ReasonCode) == SUBJECT_CODES | NOT_SUBJECT_CODES
    assert not SUBJECT_CODES & NOT_SUBJECT_CODES


def test_a_status_request_is_not_a_subject_rejection() -> None:
    verdict = classify("Re: Status", {})
    assert verdict == Rejected(Reason.of(ReasonCode.STATUS_REQUEST))
    assert verdict.reason == "status request"
    assert not is_about_subject(verdict.reason)
