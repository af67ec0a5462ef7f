"""The deadline rule and lateness, on the course's real 2019 dates."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tdl_inbox.domain.assignments import DeadlineRule, Kind, make_assignment
from tdl_inbox.domain.lateness import judge

MSK = ZoneInfo("Europe/Moscow")
RULE = DeadlineRule(MSK, time(23, 59), 21)


@pytest.mark.parametrize(
    ("kind", "number", "published", "expected"),
    [
        (Kind.THEORY, 1, date(2019, 2, 23), "2019-03-16T23:59:00+03:00"),
        (Kind.LAB, 1, date(2019, 3, 7), "2019-03-28T23:59:00+03:00"),
        (Kind.THEORY, 2, date(2019, 3, 26), "2019-04-16T23:59:00+03:00"),
        (Kind.THEORY, 3, date(2019, 4, 22), "2019-05-13T23:59:00+03:00"),
        (Kind.THEORY, 4, date(2019, 4, 30), "2019-05-21T23:59:00+03:00"),
    ],
)
def test_deadline_is_publication_plus_three_weeks_at_2359_moscow(kind, number, published, expected):
    assignment = make_assignment(kind, number, published, 10, RULE)
    assert assignment.deadline.isoformat() == expected
    assert not assignment.overridden


def test_lab1_override_moves_the_deadline_to_march_30():
    lab1 = make_assignment(Kind.LAB, 1, date(2019, 3, 7), 10, RULE, datetime(2019, 3, 30, 23, 59))
    assert lab1.deadline.isoformat() == "2019-03-30T23:59:00+03:00"
    assert lab1.overridden
    assert lab1.key == "lab-1"


def test_second_part_of_course_uses_noon_deadlines():
    noon = DeadlineRule(MSK, time(12, 0), 21)
    assert noon.deadline(date(2019, 2, 23)).isoformat() == "2019-03-16T12:00:00+03:00"


def test_deadline_follows_historical_offsets():
    """Moscow was UTC+4 in 2013; ZoneInfo must apply that year's offset."""
    assert RULE.deadline(date(2013, 3, 1)).utcoffset() == timedelta(hours=4)


THEORY1 = make_assignment(Kind.THEORY, 1, date(2019, 2, 23), 10, RULE).deadline


@pytest.mark.parametrize(
    ("arrived", "late", "late_by"),
    [
        (datetime(2019, 3, 16, 20, 58, 59, tzinfo=UTC), False, 0),
        (datetime(2019, 3, 16, 20, 59, 0, tzinfo=UTC), False, 0),
        (datetime(2019, 3, 16, 20, 59, 59, tzinfo=UTC), False, 0),
        (datetime(2019, 3, 16, 20, 59, 59, 999999, tzinfo=UTC), False, 0),
        (datetime(2019, 3, 16, 21, 0, 0, tzinfo=UTC), True, 1),
        (datetime(2019, 3, 16, 21, 0, 0, 1, tzinfo=UTC), True, 1),
        (datetime(2019, 3, 16, 21, 0, 30, tzinfo=UTC), True, 30),
        (datetime(2019, 3, 17, 21, 0, 0, tzinfo=UTC), True, 86400),
    ],
)
def test_timezone_edges_of_a_2359_msk_deadline(arrived, late, late_by):
    verdict = judge(arrived, THEORY1)
    assert (verdict.late, verdict.late_by_seconds) == (late, late_by)


def test_delivery_delay_suspected_when_sent_before_but_arrived_after():
    sent = datetime(2019, 3, 16, 20, 50, tzinfo=UTC)
    arrived = datetime(2019, 3, 16, 21, 5, tzinfo=UTC)
    assert judge(arrived, THEORY1, sent).delivery_delay_suspected
    assert not judge(arrived, THEORY1, arrived).delivery_delay_suspected
    assert not judge(arrived, THEORY1, None).delivery_delay_suspected
    assert not judge(sent, THEORY1, sent).delivery_delay_suspected


@given(
    st.datetimes(
        min_value=datetime(2019, 1, 1), max_value=datetime(2019, 6, 1), timezones=st.just(UTC)
    ),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_a_later_arrival_is_never_less_late(arrived, extra):
    earlier, later = judge(arrived, THEORY1), judge(arrived + extra, THEORY1)
    assert later.late_by_seconds >= earlier.late_by_seconds
    assert later.late or not earlier.late
