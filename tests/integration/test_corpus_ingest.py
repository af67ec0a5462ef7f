"""Every real-world message in the shared corpus, delivered over IMAP, is recorded once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from corpus import corpus_files, with_line_endings
from servers.imap_fill import multiappend
from support import poll
from tdl_inbox.adapters.db.models import Message, Rejection, Submission

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_whole_corpus_is_recorded_as_submission_or_rejection(
    dovecot, imap_folder, make_app, ending
):
    files = corpus_files()
    start = datetime(2019, 3, 1, tzinfo=UTC)
    messages = [
        (with_line_endings(path.read_bytes(), ending), start + timedelta(minutes=n))
        for n, path in enumerate(files)
    ]
    uids = multiappend(dovecot, imap_folder, messages)
    app = make_app(imap_folder)

    report = poll(app)

    # Some corpus files are byte-identical copies of each other: those count as duplicates.
    assert report.recorded + report.duplicates == len(files)
    with app.sessions.begin() as session:
        total = session.scalar(select(func.count()).select_from(Message))
        decided = session.scalar(select(func.count()).select_from(Submission)) + session.scalar(
            select(func.count()).select_from(Rejection)
        )
        assert total == decided == report.recorded
        for message in session.scalars(select(Message)):
            assert app.store.verify(message.raw_sha256)
            assert message.uid in uids
        reasons = session.scalars(select(Rejection.reason)).all()
    assert all(reason.strip() for reason in reasons)
    assert poll(app).recorded == 0
