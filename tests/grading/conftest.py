"""Fixtures for the graders' side: an App on a real database, submissions recorded directly.

Submissions are recorded with ``services.recording.record`` (real store, real database) rather
than through IMAP: these tests are about what happens after ingest, and the IMAP path has its
own tests.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from support import UNUSED_PASSWORD, run_cli, submission
from tdl_inbox.adapters.db.models import Message, Submission
from tdl_inbox.app import App
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record
from tdl_inbox_dev.config import config_text, migrated_app

GRADING = """
[grading]
k_hw = 8
k_exam = 4
exam_max_points = 10
claim_minutes = 30
"""

_uids = itertools.count(1)


def make_grading_app(tmp_path: Path, url: str, grading: str = "") -> App:
    text = config_text(database_url=url, password_env=UNUSED_PASSWORD, extra=GRADING + grading)
    return migrated_app(tmp_path / "tdl-inbox.toml", text)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/grading.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def grading_app(tmp_path: Path, db_url: str) -> Iterator[App]:
    app = make_grading_app(tmp_path, db_url)
    yield app
    app.close()


Deliver = Callable[..., int]


@pytest.fixture
def deliver(grading_app: App) -> Deliver:
    """Record one submission; returns its submission id (or message id when rejected)."""

    def _deliver(
        subject: str,
        arrived: datetime,
        sender: str = "Ivan Ivanov <ivan@example.org>",
        attachments: list[tuple[str, bytes]] | None = None,
        app: App | None = None,
    ) -> int:
        target = app or grading_app
        raw = submission(subject, sender, attachments=attachments)
        incoming = Incoming(Location("INBOX", 1, next(_uids)), raw, len(raw), arrived)
        with target.sessions.begin() as session:
            outcome = record(session, target.store, target.ctx, incoming, datetime.now(UTC))
            assert outcome in (Outcome.SUBMISSION, Outcome.REJECTED)
            session.flush()
            message = session.scalar(select(Message).where(Message.uid == incoming.location.uid))
            assert message is not None
            found = session.scalar(select(Submission.id).where(Submission.message_pk == message.id))
            return found if found is not None else message.id

    return _deliver


@pytest.fixture
def run(
    grading_app: App, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI against ``grading_app``: (exit code, stdout, stderr)."""
    return functools.partial(run_cli, capsys, grading_app)
