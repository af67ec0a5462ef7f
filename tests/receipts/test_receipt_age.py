"""A first install mid-term, or a lost database, must not answer the whole old mailbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servers.imap_fill import append
from support import poll, submission
from tdl_inbox.config.schema import ReceiptsConfig

pytestmark = pytest.mark.dovecot


def test_receipts_max_age_defaults_to_72_hours():
    assert ReceiptsConfig().max_age_hours == 72


def test_old_mail_is_recorded_without_a_receipt_by_default(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    now = datetime.now(UTC)
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - Old Sender", "old@example.org"),
        now - timedelta(hours=73),
    )
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - New Sender", "new@example.org"),
        now - timedelta(hours=71),
    )
    app = receipts_app(max_age_hours=None)  # the key left out

    report = poll(app)
    sent = app.flush_outbox()

    assert report.recorded == 2
    assert sent.sent == 1
    assert [r.rcpt_tos for r in smtp_sink.wait_for(1)] == [("new@example.org",)]


def test_the_config_can_raise_the_limit(dovecot, imap_folder, smtp_sink, receipts_app):
    now = datetime.now(UTC)
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - Old Sender", "old@example.org"),
        now - timedelta(hours=100),
    )
    app = receipts_app(max_age_hours=120)
    poll(app)
    assert app.flush_outbox().sent == 1
    assert [r.rcpt_tos for r in smtp_sink.wait_for(1)] == [("old@example.org",)]
