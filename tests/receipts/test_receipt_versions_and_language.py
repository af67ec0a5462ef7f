"""Each receipt describes its own version; a Russian receipt is Russian throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from servers.imap_fill import append
from support import poll, submission
from tdl_inbox.adapters.db.models import Submission
from tdl_inbox.app import App
from tdl_inbox.cli.main import main

pytestmark = pytest.mark.dovecot

# theory-1's deadline is 2019-03-16 20:59:59 UTC (23:59 Moscow time).
FIRST = datetime(2019, 3, 16, 10, 0, 0, tzinfo=UTC)
SECOND = datetime(2019, 3, 16, 20, 0, 0, tzinfo=UTC)
LATE = datetime(2019, 3, 16, 21, 5, 0, tzinfo=UTC)


def bodies_by_version(app: App, sink, count: int) -> list[str]:
    poll(app)
    app.flush_outbox()
    received = sink.wait_for(count)
    by_id = {r.message["In-Reply-To"]: r.message.get_content() for r in received}
    return [by_id[f"<v{n}@example.org>"] for n in range(1, count + 1)]


def send_three_versions(dovecot, imap_folder, subject: str) -> None:
    for n, arrived in enumerate((FIRST, SECOND, LATE), start=1):
        raw = submission(
            subject,
            "ivan@example.org",
            message_id=f"<v{n}@example.org>",
            attachments=[(f"v{n}.pdf", b"x" * (100 * n))],
        )
        append(dovecot, imap_folder, raw, arrived)


def test_three_versions_in_one_poll_each_receipt_explains_its_own(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    send_three_versions(dovecot, imap_folder, "Theory 1 - Ivan Ivanov")
    app = receipts_app()

    first, second, third = bodies_by_version(app, smtp_sink, 3)

    assert "ON TIME" in first
    assert "Arrived:  2019-03-16 13:00:00" in first
    assert "v1.pdf (100 bytes" in first
    assert "v2.pdf" not in first
    assert "late resubmission" not in first
    assert "Version 2 (received 2019-03-16 23:00:00) counts for grading" in first
    assert "a newer version replaces this one" in first

    assert "ON TIME" in second
    assert "v2.pdf (200 bytes" in second
    assert "This version now counts for grading (version 2)" in second
    assert "Your note" not in second

    assert "LATE by 5 min" in third
    assert "v3.pdf (300 bytes" in third
    assert "Version 2 (received 2019-03-16 23:00:00) counts for grading" in third
    assert "a late resubmission does not replace an on-time one" in third


def test_latest_policy_never_blames_a_late_resubmission(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    send_three_versions(dovecot, imap_folder, "Theory 1 - Ivan Ivanov")
    app = receipts_app(extra='\n[grading]\ncounting = "latest"\n')

    first, second, third = bodies_by_version(app, smtp_sink, 3)

    for earlier in (first, second):
        assert "late resubmission" not in earlier
        assert "Version 3 (received 2019-03-17 00:05:00) counts for grading" in earlier
    assert "This version now counts for grading (version 3)" in third


def test_russian_rejections_and_sizes_are_russian(dovecot, imap_folder, smtp_sink, receipts_app):
    subjects = {
        "a@example.org": "Theory 3 - Ivan Ivanov",
        "b@example.org": "Theory 2 -",
        "c@example.org": "Домашка",
        "d@example.org": "Theory 2",
    }
    for sender, subject in subjects.items():
        append(dovecot, imap_folder, submission(subject, sender), FIRST)
    append(
        dovecot,
        imap_folder,
        submission("Теория 1 - Иван Иванов", "e@example.org", attachments=[("р.pdf", b"x" * 604)]),
        FIRST,
    )
    app = receipts_app(language="ru")

    poll(app)
    app.flush_outbox()
    by_rcpt = {r.rcpt_tos[0]: r.message.get_content() for r in smtp_sink.wait_for(5)}

    assert "неизвестное задание theory-3" in by_rcpt["a@example.org"]
    assert "после дефиса нет имени студента" in by_rcpt["b@example.org"]
    assert "тема письма не начинается со слова Theory или Lab" in by_rcpt["c@example.org"]
    assert "после «Theory 2» нет имени студента" in by_rcpt["d@example.org"]
    assert "р.pdf (604 байта, SHA-256" in by_rcpt["e@example.org"]
    for body in by_rcpt.values():
        for english in ("unknown assignment", "no student name", "does not start", "bytes"):
            assert english not in body


def test_a_note_is_repeated_in_the_receipt(dovecot, imap_folder, smtp_sink, receipts_app):
    subject = "theory1-Мария Сидорова (исправленная версия)"
    append(dovecot, imap_folder, submission(subject, "m@example.org"), FIRST)
    app = receipts_app(language="ru")
    poll(app)
    app.flush_outbox()
    (received,) = smtp_sink.wait_for(1)
    body = received.message.get_content()
    assert "записано как theory-1, студент: Мария Сидорова." in body
    assert "Ваша пометка к этой версии: исправленная версия" in body


def test_a_version_the_staff_chose_is_named_as_chosen(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    raw = submission("Theory 1 - Ivan Ivanov", "ivan@example.org", message_id="<v1@example.org>")
    append(dovecot, imap_folder, raw, LATE)
    app = receipts_app()
    poll(app)
    with app.sessions.begin() as session:
        (first_id,) = session.scalars(select(Submission.id)).all()
    assert main(["--config", str(app.settings.source), "choose", str(first_id)]) == 0
    raw = submission("Theory 1 - Ivan Ivanov", "ivan@example.org", message_id="<v2@example.org>")
    append(dovecot, imap_folder, raw, LATE + timedelta(hours=1))

    _, second = bodies_by_version(app, smtp_sink, 2)

    assert "Version 1 (received 2019-03-17 00:05:00) counts for grading" in second
    assert "the course staff chose it" in second
