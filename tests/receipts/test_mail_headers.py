"""Everything we send carries the headers RFC 5322 requires (Date, and a Message-ID)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from servers.imap_fill import append
from support import poll, submission
from tdl_inbox.services.mail.notify import queue_report
from tdl_inbox.services.operations.status import poll_failed

pytestmark = pytest.mark.dovecot

ALERTS = "\n[reports]\nrecipients = ['admin@example.org']\n[alerts]\nafter_minutes = 1\n"


def test_receipts_reports_and_alerts_have_date_and_message_id(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    append(
        dovecot,
        imap_folder,
        submission("Theory 1 - Ivan Ivanov", "ivan@example.org"),
        datetime(2019, 3, 10, tzinfo=UTC),
    )
    app = receipts_app(extra=ALERTS)
    poll(app)
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        queue_report(session, app.settings, "Late report", "nothing late", None, now)
        poll_failed(session, app.settings, now - timedelta(minutes=5), "connection refused")
        poll_failed(session, app.settings, now, "connection refused")
    before = datetime.now(UTC).replace(microsecond=0)
    assert app.flush_outbox().sent == 3
    after = datetime.now(UTC)

    messages = smtp_sink.messages()
    kinds = {m["Auto-Submitted"] + " " + m["Subject"] for m in messages}
    assert kinds == {
        "auto-replied Re: Theory 1 - Ivan Ivanov",
        "auto-generated Late report",
        "auto-generated [tdl-inbox] mailbox polls are failing",
    }
    for message in messages:
        assert len(message.get_all("Date", [])) == 1, message["Subject"]
        sent = message["Date"].datetime
        assert sent.tzinfo is not None
        assert before <= sent <= after
        assert re.fullmatch(r"<[^<>@\s]+@protonmail\.com>", message["Message-ID"])
    assert len({m["Message-ID"] for m in messages}) == 3
