"""``next`` racing a grade on PostgreSQL, where each statement reads what is committed by then.

SQLite's write transactions (``BEGIN IMMEDIATE``) never overlap, so the race is PostgreSQL's.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from tdl_inbox.errors import AlreadyClaimed
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.grades import record_grade

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


@pytest.fixture
def db_url(pg_url: str) -> str:
    return pg_url


def wait_until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_next_does_not_hand_out_an_item_graded_while_it_read_the_queue(grading_app, deliver):
    app = grading_app
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    handed: list[object] = []

    def next_for_bob() -> None:
        with app.sessions.begin() as session:
            handed.append(
                work.claim_next(session, app.store, "latest_on_time", "bob", datetime.now(UTC), TTL)
            )

    watcher = create_engine(app.settings.database.url)
    try:
        with app.sessions.begin() as session:
            # alice grades without a claim; her transaction is open while bob asks for work
            record_grade(
                session, app.ctx.assignments, "latest_on_time", sid, 5.0, 0.0, None, "alice",
                datetime.now(UTC),
            )  # fmt: skip
            session.flush()
            bob = threading.Thread(target=next_for_bob)
            bob.start()

            def bob_waits_or_is_done() -> bool:
                if not bob.is_alive():
                    return True
                with watcher.connect() as connection:
                    waiting = connection.scalar(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    )
                return bool(waiting)

            wait_until(bob_waits_or_is_done, "bob's next to wait for alice's grade")
        bob.join(timeout=30)
        assert not bob.is_alive()
    finally:
        watcher.dispose()
    assert handed == [None]  # graded by alice: nothing left to hand out
    with app.sessions.begin() as session:
        assert work.queue(session, app.store, "latest_on_time", datetime.now(UTC)) == []


def test_grading_waits_for_a_claim_being_taken_and_then_needs_force(grading_app, deliver):
    app = grading_app
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    outcome: list[object] = []

    def alice_grades() -> None:
        try:
            with app.sessions.begin() as session:
                record_grade(
                    session, app.ctx.assignments, "latest_on_time", sid, 5.0, 0.0, None, "alice",
                    datetime.now(UTC),
                )  # fmt: skip
            outcome.append("graded")
        except AlreadyClaimed as held:
            outcome.append(held.holder)

    watcher = create_engine(app.settings.database.url)
    try:
        with app.sessions.begin() as session:
            item = work.claim_next(
                session, app.store, "latest_on_time", "bob", datetime.now(UTC), TTL
            )
            assert item is not None
            alice = threading.Thread(target=alice_grades)
            alice.start()

            def alice_waits_or_is_done() -> bool:
                if not alice.is_alive():
                    return True
                with watcher.connect() as connection:
                    waiting = connection.scalar(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    )
                return bool(waiting)

            wait_until(alice_waits_or_is_done, "alice's grade to wait for bob's claim")
        alice.join(timeout=30)
        assert not alice.is_alive()
    finally:
        watcher.dispose()
    assert outcome == ["bob"]  # refused: bob's claim, seen once it was committed
