"""Versions, the queue, claims and grades, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tdl_inbox.errors import AlreadyClaimed, InvalidGrade, NotFound
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.grades import choose_version, grade_history, record_grade
from tdl_inbox.services.grading.listing import submission_rows

NOW = datetime(2019, 6, 1, tzinfo=UTC)
TTL = timedelta(minutes=30)
# theory-1 is due 2019-03-16 20:59 UTC; lab-1 2019-03-30 20:59 UTC.
EARLY = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2019, 3, 14, 12, 0, tzinfo=UTC)
LATE = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)


def queue(app, **kw):
    with app.sessions.begin() as session:
        return work.queue(session, app.store, "latest_on_time", kw.pop("now", NOW), **kw)


def grade(app, sid, points, extra=0.0, grader="ta"):
    with app.sessions.begin() as session:
        return record_grade(
            session, app.ctx.assignments, "latest_on_time", sid, points, extra, None, grader, NOW
        )


def test_latest_on_time_version_counts_and_late_resubmission_does_not(grading_app, deliver):
    first = deliver("Theory 1 - Ivan Ivanov", EARLY)
    second = deliver("Theory 1 - Ivan Ivanov", LATER)
    late = deliver("Theory 1 - Ivan Ivanov", LATE)

    with grading_app.sessions.begin() as session:
        rows = {
            r.id: r
            for r in submission_rows(
                session, grading_app.store, grading_app.ctx.assignments, policy="latest_on_time"
            )
        }
    assert [(rows[i].version, rows[i].counts) for i in (first, second, late)] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert [item.id for item in queue(grading_app)] == [second]


def test_admin_can_make_a_late_version_count(grading_app, deliver):
    deliver("Theory 1 - Ivan Ivanov", EARLY)
    late = deliver("Theory 1 - Ivan Ivanov", LATE)
    with grading_app.sessions.begin() as session:
        choose_version(session, late, actor="admin", now=NOW)
    # chosen by the admin, it is in the queue like an on-time version
    assert [i.id for i in queue(grading_app)] == [late]
    assert [i.id for i in queue(grading_app, include_late=True)] == [late]


def test_queue_is_oldest_first_and_excludes_graded_and_late(grading_app, deliver):
    b = deliver("Theory 1 - Petr Petrov", LATER, "Petr <petr@example.org>")
    a = deliver("Theory 1 - Ivan Ivanov", EARLY)
    only_late = deliver("Theory 1 - Anna Smirnova", LATE, "Anna <anna@example.org>")
    lab = deliver("Lab 1 - Ivan Ivanov", LATER)

    assert [i.id for i in queue(grading_app)] == [a, b, lab]
    assert [i.id for i in queue(grading_app, assignment="lab-1")] == [lab]
    assert [i.id for i in queue(grading_app, include_late=True)] == [a, b, lab, only_late]
    grade(grading_app, a, 7)
    assert [i.id for i in queue(grading_app)] == [b, lab]


def test_next_claims_oldest_unclaimed_and_claims_expire(grading_app, deliver):
    a = deliver("Theory 1 - Ivan Ivanov", EARLY)
    b = deliver("Theory 1 - Petr Petrov", LATER, "Petr <petr@example.org>")
    with grading_app.sessions.begin() as session:
        first = work.claim_next(session, grading_app.store, "latest_on_time", "alice", NOW, TTL)
    with grading_app.sessions.begin() as session:
        second = work.claim_next(session, grading_app.store, "latest_on_time", "bob", NOW, TTL)
    with grading_app.sessions.begin() as session:
        none_left = work.claim_next(session, grading_app.store, "latest_on_time", "carol", NOW, TTL)
    assert (first.id, first.claimed_by, second.id, second.claimed_by) == (a, "alice", b, "bob")
    assert none_left is None
    assert {(i.id, i.status, i.claimed_by) for i in queue(grading_app)} == {
        (a, "claimed", "alice"),
        (b, "claimed", "bob"),
    }
    later = NOW + TTL + timedelta(seconds=1)
    with grading_app.sessions.begin() as session:
        again = work.claim_next(session, grading_app.store, "latest_on_time", "carol", later, TTL)
    assert (again.id, again.claimed_by) == (a, "carol")


def test_claim_and_release(grading_app, deliver):
    a = deliver("Theory 1 - Ivan Ivanov", EARLY)
    with grading_app.sessions.begin() as session:
        work.claim(session, a, "alice", NOW, TTL)
    held = pytest.raises(AlreadyClaimed, match="claimed by alice")
    with grading_app.sessions.begin() as session, held:
        work.claim(session, a, "bob", NOW, TTL)
    with grading_app.sessions.begin() as session:
        assert work.release(session, a, "alice", NOW) == work.Released("alice", forced=False)
    assert queue(grading_app)[0].status == "pending"


def test_grading_validates_and_changes_nothing_when_refused(grading_app, deliver):
    old = deliver("Theory 1 - Ivan Ivanov", EARLY)
    current = deliver("Theory 1 - Ivan Ivanov", LATER)
    with pytest.raises(InvalidGrade, match="between 0 and 10"):
        grade(grading_app, current, 11)
    with pytest.raises(InvalidGrade, match="between 0 and 10"):
        grade(grading_app, current, -1)
    with pytest.raises(InvalidGrade, match="cannot be negative"):
        grade(grading_app, current, 5, extra=-1)
    with pytest.raises(InvalidGrade, match=f"superseded by submission s{current}"):
        grade(grading_app, old, 5)
    with pytest.raises(NotFound, match="no submission s9999"):
        grade(grading_app, 9999, 5)
    with grading_app.sessions.begin() as session:
        assert grade_history(session, current) == []
        assert grade_history(session, old) == []


def test_regrade_keeps_history(grading_app, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", EARLY)
    first = grade(grading_app, sid, 6, grader="alice")
    second = grade(grading_app, sid, 8, extra=1, grader="bob")
    assert first.previous is None
    assert (second.previous.points, second.previous.grader) == (6, "alice")
    with grading_app.sessions.begin() as session:
        history = grade_history(session, sid)
    assert [(g.points, g.extra, g.grader) for g in history] == [(6, 0, "alice"), (8, 1, "bob")]
