"""A grade saved after a grader opened the submission is a conflict, never overwritten."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tdl_inbox.errors import StaleGrade
from tdl_inbox.services.grading.grades import Seen, grade_history, record_grade

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def _grade(app, sid: int, points: float, grader: str, seen: Seen | None = None) -> int:
    with app.sessions.begin() as session:
        change = record_grade(
            session, app.ctx.assignments, "latest_on_time", sid, points, 0.0, f"by {grader}",
            grader, datetime.now(UTC), seen=seen,
        )  # fmt: skip
        session.flush()
        return int(change.current.id)


def test_a_form_opened_before_another_grade_was_saved_is_refused(grading_app, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    # alice and bob both open the ungraded submission; bob saves first
    bobs = _grade(grading_app, sid, 7.0, "bob", Seen(None))
    with pytest.raises(StaleGrade) as refused:
        _grade(grading_app, sid, 3.0, "alice", Seen(None))
    assert refused.value.grade_id == bobs
    assert (refused.value.grader, refused.value.points) == ("bob", 7.0)
    assert "graded by bob" in str(refused.value)
    assert "nothing changed" in str(refused.value)
    with grading_app.sessions.begin() as session:
        assert [g.points for g in grade_history(session, sid)] == [7.0]
    # having seen bob's grade, alice decides to replace it
    _grade(grading_app, sid, 3.0, "alice", Seen(bobs))
    with grading_app.sessions.begin() as session:
        assert [g.points for g in grade_history(session, sid)] == [7.0, 3.0]


def test_without_a_seen_grade_a_regrade_is_recorded_as_before(grading_app, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    _grade(grading_app, sid, 7.0, "bob")
    _grade(grading_app, sid, 8.0, "bob")
    with grading_app.sessions.begin() as session:
        assert [g.points for g in grade_history(session, sid)] == [7.0, 8.0]
