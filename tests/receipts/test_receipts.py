"""Receipts to students through a real SMTP server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from servers.imap_fill import append
from support import run_cli, submission
from tdl_inbox.adapters.db.models import OutboxItem
from tdl_inbox.app import App
from tdl_inbox.services.operations import polling

pytestmark = pytest.mark.dovecot

ON_TIME = datetime(2019, 3, 16, 20, 59, 59, tzinfo=UTC)
LATE = datetime(2019, 3, 16, 21, 5, 0, tzinfo=UTC)


def poll_and_send(app: App):
    return polling.poll_and_send(app.poll_cycle())


def test_on_time_submission_gets_a_threaded_receipt(
    dovecot, imap_folder, smtp_sink, receipts_app, capsys
):
    raw = submission(
        "Theory 1 - Ivan Ivanov",
        "Иван Иванов <ivan@example.org>",
        message_id="<orig-1@example.org>",
        attachments=[("решение.pdf", b"%PDF-1.4 x" * 100)],
    )
    append(dovecot, imap_folder, raw, ON_TIME)
    app = receipts_app()

    _, sent = poll_and_send(app)

    assert sent.sent == 1
    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ("ivan@example.org",)
    assert received.tls
    reply = received.message
    assert reply["Subject"] == "Re: Theory 1 - Ivan Ivanov"
    assert reply["In-Reply-To"] == "<orig-1@example.org>"
    assert "<orig-1@example.org>" in reply["References"]
    assert reply["Auto-Submitted"] == "auto-replied"
    body = reply.get_content()
    assert "recorded as theory-1 by Ivan Ivanov" in body
    assert "Arrived:  2019-03-16 23:59:59 (Europe/Moscow, UTC+0300)" in body
    assert "Deadline: 2019-03-16 23:59:00" in body
    assert "ON TIME" in body
    assert "решение.pdf (1000 bytes, SHA-256 " in body
    assert "This version now counts" in body
    code = body.split("Receipt code: ")[1].split()[0]

    exit_code, out, _ = run_cli(capsys, app, "receipt", code, "--json")
    assert exit_code == 0
    info = json.loads(out)
    assert (info["assignment"], info["student"], info["receipt_status"]) == (
        "theory-1",
        "Ivan Ivanov",
        "sent",
    )
    assert (info["message_ref"], info["submission_ref"]) == (
        f"m{info['message_id']}",
        f"s{info['submission_id']}",
    )

    again = poll_and_send(app)
    assert again[1].sent == 0
    assert len(smtp_sink.received()) == 1


def test_late_and_rejected_messages_in_russian(dovecot, imap_folder, smtp_sink, receipts_app):
    append(dovecot, imap_folder, submission("Теория 1 - Пётр Петров", "petr@example.org"), LATE)
    append(dovecot, imap_folder, submission("домашка", "anna@example.org"), ON_TIME)
    app = receipts_app(language="ru")

    poll_and_send(app)

    by_rcpt = {r.rcpt_tos[0]: r.message.get_content() for r in smtp_sink.wait_for(2)}
    assert "С ОПОЗДАНИЕМ на 5 мин" in by_rcpt["petr@example.org"]
    assert "НЕ записано как домашнее задание" in by_rcpt["anna@example.org"]
    assert "Theory 2 - Ivan Ivanov" in by_rcpt["anna@example.org"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<course.lists.example.org>"},
    ],
)
def test_no_receipt_to_automatic_mail(dovecot, imap_folder, smtp_sink, receipts_app, headers):
    raw = submission("Theory 1 - Ivan Ivanov")
    head, _, rest = raw.partition(b"\n")
    extra = "".join(f"{k}: {v}\n" for k, v in headers.items()).encode()
    append(dovecot, imap_folder, head + b"\n" + extra + rest, ON_TIME)
    app = receipts_app()
    report, sent = poll_and_send(app)
    assert report.new_submissions == 1
    assert sent.sent == 0
    assert smtp_sink.received() == []


def test_no_receipt_to_mailer_daemon_or_ourselves(dovecot, imap_folder, smtp_sink, receipts_app):
    append(dovecot, imap_folder, submission("Theory 1 - X", "MAILER-DAEMON@example.org"), ON_TIME)
    append(
        dovecot,
        imap_folder,
        submission("Re: Theory 1 - X", "tdl_course_mipt@protonmail.com"),
        ON_TIME,
    )
    app = receipts_app()
    poll_and_send(app)
    assert smtp_sink.received() == []


def test_replies_per_sender_are_capped(dovecot, imap_folder, smtp_sink, receipts_app):
    for n in range(7):
        append(
            dovecot,
            imap_folder,
            submission(f"Theory 1 - Ivan Ivanov {n}", "ivan@example.org"),
            ON_TIME,
        )
    app = receipts_app(extra="max_per_sender_per_hour = 5")
    report, sent = poll_and_send(app)
    assert report.recorded == 7
    assert sent.sent == 5


def test_header_injection_from_student_text_is_impossible(
    dovecot, imap_folder, smtp_sink, receipts_app
):
    nasty = (
        "=?utf-8?b?"
        + __import__("base64")
        .b64encode(b"Theory 1 - Ivan\r\nBcc: victim@example.org\r\nX-Evil: 1")
        .decode()
        + "?="
    )
    raw = (
        b"From: Ivan <ivan@example.org>\r\nTo: course@example.org\r\n"
        b"Subject: " + nasty.encode() + b"\r\nMessage-ID: <inj@example.org>\r\n\r\nbody\r\n"
    )
    append(dovecot, imap_folder, raw, ON_TIME)
    app = receipts_app()
    poll_and_send(app)
    (received,) = smtp_sink.wait_for(1)
    assert received.rcpt_tos == ("ivan@example.org",)
    assert received.message["Bcc"] is None
    assert received.message["X-Evil"] is None
    assert "\n" not in received.message["Subject"]


def test_smtp_down_keeps_receipts_and_sends_them_once_later(
    dovecot, imap_folder, smtp_sink, receipts_app, tmp_path
):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", "ivan@example.org"), ON_TIME)
    down = receipts_app(port=1)  # nothing listens on port 1
    _, sent = poll_and_send(down)
    assert (sent.sent, sent.deferred) == (0, 1)
    with down.sessions.begin() as session:
        (item,) = session.scalars(select(OutboxItem)).all()
        assert item.status == "pending"
        assert "connection refused" in item.last_error
    down.close()

    up = receipts_app()
    assert up.flush_outbox().sent == 0  # backing off after the failure
    assert up.flush_outbox(force=True).sent == 1  # what `outbox send` does
    assert up.flush_outbox(force=True).sent == 0
    assert len(smtp_sink.wait_for(1)) == 1
    Path(tmp_path)  # keep the fixture directory alive for the store
