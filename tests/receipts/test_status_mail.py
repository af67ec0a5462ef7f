"""Status by e-mail: a ``status`` subject is answered with the sender's own record."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import pytest

from servers.imap_fill import append
from support import run_cli, submission
from tdl_inbox.app import App, utc_now
from tdl_inbox.services.grading.roster import import_roster
from tdl_inbox.services.mail.status_text import STATUS_TEXTS
from tdl_inbox.services.operations import polling

pytestmark = pytest.mark.dovecot

ON_TIME = datetime(2019, 3, 16, 20, 59, 59, tzinfo=UTC)  # theory-1 due 2019-03-16 23:59 MSK
LATE = datetime(2019, 3, 16, 21, 5, 0, tzinfo=UTC)
LATER = datetime(2019, 3, 18, 9, 0, 0, tzinfo=UTC)

ROSTER = """name,email,group,mipt
Иван Иванов,ivan@example.org,B05-123,yes
Пётр Петров,petr@example.org,B05-123,yes
"""


def poll_and_send(app: App):
    return polling.poll_and_send(app.poll_cycle())


def with_roster(app: App) -> App:
    with app.sessions.begin() as session:
        import_roster(session, ROSTER, actor="admin", now=utc_now())
    return app


def with_headers(raw: bytes, headers: dict[str, str]) -> bytes:
    head, _, rest = raw.partition(b"\n")
    return head + b"\n" + "".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + rest


def cli_json(capsys, app: App, *argv: str):
    code, out, err = run_cli(capsys, app, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_status_lists_the_senders_own_versions_and_extensions(
    dovecot, imap_folder, smtp_sink, receipts_app, capsys
):
    app = with_roster(receipts_app())
    run = functools.partial(run_cli, capsys, app)
    assert run("extend", "Иван Иванов", "theory-2", "--until", "2019-04-20T23:59")[0] == 0
    for subject, sender, moment in [
        ("Theory 1 - Иван Иванов", "ivan@example.org", ON_TIME),
        ("Theory 1 - Иван Иванов", "ivan@example.org", LATE),
        ("Lab 1 - Пётр Петров", "petr@example.org", ON_TIME),
        ("Theory 1 - Пётр Петров", "petr@example.org", LATER),
    ]:
        append(dovecot, imap_folder, submission(subject, sender), moment)
    request = submission("status", "Ivan <ivan@example.org>", message_id="<ask-1@example.org>")
    append(dovecot, imap_folder, request, LATER)

    report, _ = poll_and_send(app)

    assert report.new_submissions == 4
    replies = [r for r in smtp_sink.wait_for(5) if r.message["Subject"] == "Re: status"]
    (reply,) = replies
    assert reply.rcpt_tos == ("ivan@example.org",)
    assert reply.message["In-Reply-To"] == "<ask-1@example.org>"
    assert "<ask-1@example.org>" in reply.message["References"]
    assert reply.message["Auto-Submitted"] == "auto-replied"
    body = reply.message.get_content().replace("\r\n", "\n")
    assert "Status for Иван Иванов (ivan@example.org)" in body
    assert "course time (Europe/Moscow)" in body
    assert (
        "theory-1:\n"
        "  version 1: arrived 2019-03-16 23:59:59, ON TIME - counts for grading\n"
        "  version 2: arrived 2019-03-17 00:05:00, LATE by 5 min\n"
    ) in body
    assert "theory-2:\n  extension: deadline moved to 2019-04-20 23:59:00\n" in body
    assert "lab-1" not in body  # Пётр's
    assert "Пётр" not in body
    assert body.count("version ") == 2
    assert "not recorded" not in body

    rejected = cli_json(capsys, app, "rejected")
    assert [(r["subject"], r["reason"]) for r in rejected] == [("status", "status request")]
    submissions = cli_json(capsys, app, "submissions")
    assert len(submissions) == 4
    queued = cli_json(capsys, app, "queue")
    assert queued
    assert {item["id"] for item in queued} <= {item["id"] for item in submissions}


@pytest.mark.parametrize(
    ("subject", "language", "expected"),
    [
        ("статус", "ru", "Статус: Пётр Петров (petr.home@example.org)"),
        ("Re: Status", "en", "Status for Пётр Петров (petr.home@example.org)"),
    ],
)
def test_status_from_a_linked_address_in_either_language(
    dovecot, imap_folder, smtp_sink, receipts_app, capsys, subject, language, expected
):
    app = with_roster(receipts_app(language=language))
    assert run_cli(capsys, app, "roster", "link", "petr.home@example.org", "Пётр Петров")[0] == 0
    append(dovecot, imap_folder, submission("Lab 1 - Пётр Петров", "petr@example.org"), ON_TIME)
    append(dovecot, imap_folder, submission(subject, "petr.home@example.org"), LATER)

    poll_and_send(app)

    by_rcpt = {r.rcpt_tos[0]: r.message for r in smtp_sink.wait_for(2)}
    body = by_rcpt["petr.home@example.org"].get_content().replace("\r\n", "\n")
    assert expected in body
    assert "lab-1:\n" in body
    assert "2019-03-16 23:59:59" in body
    assert by_rcpt["petr.home@example.org"]["Subject"] == f"Re: {subject}".replace("Re: Re:", "Re:")


def test_an_unknown_address_learns_nothing(dovecot, imap_folder, smtp_sink, receipts_app):
    app = with_roster(receipts_app())
    append(dovecot, imap_folder, submission("Theory 1 - Иван Иванов", "ivan@example.org"), ON_TIME)
    # The name typed is a roster student's: it must not matter.
    append(dovecot, imap_folder, submission("STATUS", "Иван Иванов <who@example.net>"), LATER)

    poll_and_send(app)

    by_rcpt = {r.rcpt_tos[0]: r.message.get_content() for r in smtp_sink.wait_for(2)}
    body = by_rcpt["who@example.net"]
    assert "The address who@example.net is not linked to a student of this course" in body
    for secret in ("theory-1", "version", "Иван", "ON TIME", "2019"):
        assert secret not in body


def test_the_reply_goes_to_from_never_to_reply_to(dovecot, imap_folder, smtp_sink, receipts_app):
    app = with_roster(receipts_app())
    append(dovecot, imap_folder, submission("Theory 1 - Иван Иванов", "ivan@example.org"), ON_TIME)
    forged = with_headers(
        submission("status", "ivan@example.org"), {"Reply-To": "thief@example.net"}
    )
    append(dovecot, imap_folder, forged, LATER)

    _, sent = poll_and_send(app)

    assert sent.sent == 2
    received = smtp_sink.wait_for(2)
    assert {r.rcpt_tos for r in received} == {("ivan@example.org",)}
    assert all("thief" not in str(r.message) for r in received)
    (status,) = [r.message.get_content() for r in received if r.message["Subject"] == "Re: status"]
    assert "Status for Иван Иванов (ivan@example.org)" in status


def test_status_replies_share_the_per_sender_cap(dovecot, imap_folder, smtp_sink, receipts_app):
    app = with_roster(receipts_app(extra="max_per_sender_per_hour = 5"))
    append(dovecot, imap_folder, submission("Theory 1 - Иван Иванов", "ivan@example.org"), ON_TIME)
    for _ in range(6):
        append(dovecot, imap_folder, submission("status", "ivan@example.org"), LATER)

    report, sent = poll_and_send(app)

    assert report.recorded == 7
    assert sent.sent == 5
    received = smtp_sink.wait_for(5)
    subjects = sorted(r.message["Subject"] for r in received)
    assert subjects == ["Re: Theory 1 - Иван Иванов"] + ["Re: status"] * 4
    statuses = [r.message.get_content() for r in received if r.message["Subject"] == "Re: status"]
    assert all("theory-1:" in body for body in statuses)


@pytest.mark.parametrize(
    "headers", [{"Auto-Submitted": "auto-replied"}, {"List-Id": "<course.lists.example.org>"}]
)
def test_automatic_status_requests_get_no_reply(
    dovecot, imap_folder, smtp_sink, receipts_app, capsys, headers
):
    app = with_roster(receipts_app())
    append(
        dovecot, imap_folder, with_headers(submission("status", "ivan@example.org"), headers), LATER
    )

    _, sent = poll_and_send(app)

    assert sent.sent == 0
    assert smtp_sink.received() == []
    rejected = cli_json(capsys, app, "rejected")
    assert [r["reason"] for r in rejected] == ["status request"]


def test_every_status_text_is_written_in_every_language() -> None:
    assert STATUS_TEXTS["en"].keys() == STATUS_TEXTS["ru"].keys()
    for texts in STATUS_TEXTS.values():
        assert all(text.strip() for text in texts.values())
