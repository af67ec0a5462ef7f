"""Which subjects ask for a status instead of submitting work."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tdl_inbox.domain.commands import is_status_request
from tdl_inbox.domain.subjects import MAX_SUBJECT_LENGTH

PREFIXES = ["Re: ", "RE: ", "Fwd: ", "FW: ", "Ответ: ", "Re[2]: ", "[External] ", "AW: "]
WORDS = ["status", "Status", "STATUS", "статус", "Статус", "СТАТУС", "stаtus"]  # Cyrillic "а"


@pytest.mark.parametrize("word", WORDS)
def test_the_word_alone_is_a_status_request(word: str) -> None:
    assert is_status_request(word)
    assert is_status_request(f"  {word} \t")


@given(
    prefixes=st.lists(st.sampled_from(PREFIXES), max_size=4),
    word=st.sampled_from(WORDS),
)
def test_reply_and_forward_markers_are_read_past(prefixes: list[str], word: str) -> None:
    assert is_status_request("".join(prefixes) + word)


@given(
    word=st.sampled_from(WORDS),
    extra=st.text(min_size=1, max_size=30).filter(lambda text: any(c.isalnum() for c in text)),
)
def test_anything_more_in_the_subject_is_not_a_status_request(word: str, extra: str) -> None:
    assert not is_status_request(f"{word} {extra}")


@pytest.mark.parametrize(
    "subject",
    [None, "", "Re:", "statuses", "my status", "Status 1 - Ivan Ivanov", "Theory 1 - Status"],
)
def test_other_subjects_are_not_status_requests(subject: str | None) -> None:
    assert not is_status_request(subject)


def test_an_overlong_subject_is_not_read() -> None:
    assert not is_status_request("status" + " " * MAX_SUBJECT_LENGTH)
