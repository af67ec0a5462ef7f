"""Alert mails show times in the course's timezone, like every other place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tdl_inbox.services.operations.status import poll_failed, poll_succeeded

pytestmark = pytest.mark.dovecot

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
ALERTS = "\n[alerts]\nrecipients = ['admin@example.org']\nafter_minutes = 30\n"


def test_failure_and_recovery_alerts_speak_course_time(smtp_sink, receipts_app):
    app = receipts_app(extra=ALERTS)
    with app.sessions.begin() as session:
        poll_failed(session, app.settings, T0, "connection refused")
        poll_failed(session, app.settings, T0 + timedelta(minutes=31), "connection refused")
        poll_succeeded(session, app.settings, T0 + timedelta(minutes=45), uidvalidity_changed=False)
    app.flush_outbox(force=True)

    bodies = {m["Subject"]: m.get_content() for m in smtp_sink.messages()}
    failing = bodies["[tdl-inbox] mailbox polls are failing"]
    recovered = bodies["[tdl-inbox] mailbox polls work again"]
    assert "since 2026-11-01 15:00:00 +0300" in failing
    assert "from 2026-11-01 15:00:00 +0300" in recovered
    assert "again at 2026-11-01 15:45:00 +0300" in recovered
    for body in (failing, recovered):
        assert "12:00:00" not in body
        assert "+00:00" not in body
