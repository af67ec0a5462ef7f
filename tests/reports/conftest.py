"""Fixtures for the reports: the graders' App on SQLite and PostgreSQL, plus raw deliveries.

``deliver_raw`` records a message given as raw bytes, so a test can write the ``Received:`` and
``Date:`` headers that the late report shows as evidence.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from grading.conftest import db_url, deliver, grading_app, run  # noqa: F401
from tdl_inbox.adapters.db.models import Message, Submission
from tdl_inbox.app import App
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record

_uids = itertools.count(100_000)


@pytest.fixture
def deliver_raw(grading_app: App) -> Callable[[bytes, datetime], int]:  # noqa: F811
    """Record raw message bytes that arrived at ``arrived``; returns the submission id."""

    def _deliver(raw: bytes, arrived: datetime) -> int:
        incoming = Incoming(Location("INBOX", 1, next(_uids)), raw, len(raw), arrived)
        with grading_app.sessions.begin() as session:
            outcome = record(
                session, grading_app.store, grading_app.ctx, incoming, datetime.now(UTC)
            )
            assert outcome is Outcome.SUBMISSION
            session.flush()
            found = session.scalar(
                select(Submission.id)
                .join(Message, Message.id == Submission.message_pk)
                .where(Message.uid == incoming.location.uid)
            )
            assert found is not None
            return found

    return _deliver
