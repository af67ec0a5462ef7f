"""How verdicts and durations read: the same words in listings, grading and reports."""

from __future__ import annotations

import pytest

from tdl_inbox.domain.lateness import duration_parts
from tdl_inbox.services.mail.receipt_text import duration
from tdl_inbox.services.reporting.formatting import human_duration, verdict_text


@pytest.mark.parametrize(
    ("seconds", "parts"),
    [(-5, (0, 0, 0, 0)), (0, (0, 0, 0, 0)), (59, (0, 0, 0, 59)), (90061, (1, 1, 1, 1))],
)
def test_duration_parts(seconds, parts):
    assert duration_parts(seconds) == parts


@pytest.mark.parametrize(
    ("seconds", "shown", "in_receipt"),
    [
        (1, "1s", "1 s"),
        (3600, "1h", "1 h"),
        (3661, "1h 1m", "1 h 1 min"),
        (90061, "1d 1h 1m", "1 d 1 h"),
    ],
)
def test_durations_for_the_admin_and_for_students(seconds, shown, in_receipt):
    assert human_duration(seconds) == shown
    assert duration(seconds, "en") == in_receipt


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((False, 0, False), "on time"),
        ((True,), "LATE"),
        ((True, 3661), "LATE 1h 1m"),
        ((True, 60, True), "LATE 1m (Date: before deadline)"),
    ],
)
def test_verdict_text(args, text):
    assert verdict_text(*args) == text
