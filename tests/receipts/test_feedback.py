"""Publishing grades and regrade requests, through the real SMTP server on loopback."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from servers.imap_fill import append
from support import run_cli, submission
from tdl_inbox.adapters.db.models import HistoryEvent, OutboxItem, PublishedGrade, RegradeRequest
from tdl_inbox.app import App, utc_now
from tdl_inbox.services.grading.roster import import_roster
from tdl_inbox.services.mail.feedback import publish
from tdl_inbox.services.operations import polling

pytestmark = pytest.mark.dovecot

ON_TIME = datetime(2019, 3, 16, 20, 0, 0, tzinfo=UTC)


def poll_and_send(app: App):
    return polling.poll_and_send(app.poll_cycle())


def ok(capsys, app: App, *argv: str) -> str:
    code, out, err = run_cli(capsys, app, *argv)
    assert code == 0, err
    return out


def publish_json(capsys, app: App, *argv: str) -> dict:
    return json.loads(ok(capsys, app, "publish", *argv, "--json"))


def count(app: App, model) -> int:
    with app.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def graded(dovecot, imap_folder, smtp_sink, receipts_app, capsys):
    """Ivan's and Petr's theory-1, both recorded; Ivan's graded 7 by Anna; receipts gone."""

    def make(language: str = "en", extra: str = "") -> App:
        append(
            dovecot,
            imap_folder,
            submission(
                "Theory 1 - Ivan Ivanov", "Ivan Ivanov <ivan@example.org>", message_id="<i1@x.org>"
            ),
            ON_TIME,
        )
        append(
            dovecot,
            imap_folder,
            submission("Theory 1 - Petr Petrov", "petr@example.org", message_id="<p1@x.org>"),
            ON_TIME,
        )
        app = receipts_app(language=language, extra=extra)
        poll_and_send(app)
        smtp_sink.wait_for(2)
        smtp_sink.clear()
        ok(capsys, app, "grade", "s1", "-p", "7", "-m", "Good proof of lemma 2.", "-g", "Anna")
        return app

    return make


def test_publish_mails_each_graded_student_once_threaded(graded, smtp_sink, capsys):
    app = graded()

    result = publish_json(capsys, app, "theory-1")

    assert [(m["submission_ref"], m["kind"], m["to"]) for m in result["mails"]] == [
        ("s1", "grade", "ivan@example.org")
    ]
    assert result["sent"] == 1
    (mail,) = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ("ivan@example.org",)
    message = mail.message
    assert message["In-Reply-To"] == "<i1@x.org>"
    assert "<i1@x.org>" in message["References"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "Your grade for theory-1"
    body = message.get_content()
    assert "Your grade for theory-1: 7 of 10 points." in body
    assert "Comment: Good proof of lemma 2." in body
    assert "Graded by: Anna" in body
    assert "  theory-1: 7 of 10" in body
    assert "Homework share (p_hw): 0.233 = 7 of 30 possible points" in body
    with app.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(PublishedGrade)) == 1
        actions = session.scalars(select(HistoryEvent.action)).all()
        assert "publish" in actions
    grades = json.loads(ok(capsys, app, "grades", "--json"))
    ivan = next(row for row in grades if row["student"] == "Ivan Ivanov")
    assert ivan["published"] == {"theory-1": True}

    again = publish_json(capsys, app, "theory-1")

    assert again["mails"] == []
    assert count(app, OutboxItem) == 3  # two receipts, one grade mail
    assert len(smtp_sink.received()) == 1


def test_a_regrade_after_publishing_sends_one_update(graded, smtp_sink, capsys):
    app = graded()
    publish_json(capsys, app, "theory-1")
    smtp_sink.wait_for(1)
    smtp_sink.clear()
    ok(capsys, app, "grade", "s1", "-p", "8", "-m", "Lemma 3 is right after all.", "-g", "Boris")
    grades = json.loads(ok(capsys, app, "grades", "--json"))
    assert next(r for r in grades if r["student"] == "Ivan Ivanov")["published"] == {
        "theory-1": False
    }
    table = ok(capsys, app, "grades")
    assert "8*" in table

    result = publish_json(capsys, app, "theory-1")

    assert [(m["kind"], m["points"], m["previous_points"]) for m in result["mails"]] == [
        ("update", 8, 7)
    ]
    (mail,) = smtp_sink.wait_for(1)
    body = mail.message.get_content()
    assert "Your grade for theory-1 changed from 7 to 8 (of 10 points)." in body
    assert "Comment: Lemma 3 is right after all." in body
    assert "Graded by: Boris" in body
    assert publish_json(capsys, app, "theory-1")["mails"] == []


def test_unpublished_grades_send_nothing_and_dry_run_records_nothing(graded, smtp_sink, capsys):
    app = graded(extra="[feedback]\nshow_grader = false\n")
    before = count(app, OutboxItem)

    out = ok(capsys, app, "publish", "theory-1", "--dry-run")

    assert "Your grade for theory-1: 7 of 10 points." in out
    assert "Graded by" not in out  # feedback.show_grader = false
    assert count(app, OutboxItem) == before
    assert count(app, PublishedGrade) == 0
    with app.sessions.begin() as session:
        assert "publish" not in session.scalars(select(HistoryEvent.action)).all()
    assert publish_json(capsys, app, "lab-1")["mails"] == []  # nothing graded there
    assert smtp_sink.received() == []

    out = ok(capsys, app, "publish", "theory-1")
    assert "theory-1: queued 1 grade mail" in out
    assert "sent 1" in out
    assert "Graded by" not in smtp_sink.wait_for(1)[0].message.get_content()


def test_a_flagged_submission_is_skipped_until_settled(
    dovecot, imap_folder, smtp_sink, receipts_app, capsys, tmp_path
):
    app = receipts_app()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email\nIvan Ivanov,ivan@example.org\nPetr Petrov,petr@example.org\n",
        encoding="utf-8",
    )
    ok(capsys, app, "roster", "import", str(roster))
    # Ivan's address, someone else's name: the link is flagged for the admin.
    append(
        dovecot,
        imap_folder,
        submission("Theory 1 - Petr Petrov", "ivan@example.org", message_id="<f1@x.org>"),
        ON_TIME,
    )
    poll_and_send(app)
    smtp_sink.wait_for(1)
    smtp_sink.clear()
    queue = json.loads(ok(capsys, app, "queue", "--json"))
    assert queue[0]["status"] == "flagged"
    ok(capsys, app, "grade", "s1", "-p", "5", "-g", "Anna")

    result = publish_json(capsys, app, "theory-1")

    ((mail,),) = [result["mails"]]
    assert (mail["kind"], mail["to"]) == ("skipped", None)
    assert mail["reason"]
    assert count(app, PublishedGrade) == 0
    ok(capsys, app, "relink", "s1", "petr@example.org")
    result = publish_json(capsys, app, "theory-1")
    # to the roster's address of the student it belongs to, not to the sender
    assert [(m["kind"], m["to"]) for m in result["mails"]] == [("grade", "petr@example.org")]
    assert smtp_sink.wait_for(1)[0].rcpt_tos == ("petr@example.org",)


def test_russian_grade_mail(graded, smtp_sink, capsys):
    app = graded(language="ru")
    ok(capsys, app, "grade", "s1", "-p", "7.5", "--extra", "1", "-g", "Anna")

    publish_json(capsys, app, "theory-1")

    (mail,) = smtp_sink.wait_for(1)
    assert mail.message["Subject"] == "Оценка за theory-1"
    body = mail.message.get_content()
    assert "Ваша оценка за theory-1: 7,5 (+1) из 10." in body
    assert "Проверяющий: Anna" in body
    assert "Ваши результаты на сегодня (опубликованные оценки):" in body
    assert "  дополнительные баллы: 1" in body
    assert "p_hw): 0,283 = 8,5 из 30 возможных" in body
    assert "ответьте на это письмо" in body


def test_smtp_down_keeps_grade_mails_and_sends_them_once_later(
    graded, smtp_sink, receipts_app, capsys
):
    graded().close()
    down = receipts_app(port=1)  # nothing listens on port 1

    result = publish_json(capsys, down, "theory-1")

    assert result["sent"] == 0
    assert "connection refused" in result["send_error"]
    with down.sessions.begin() as session:
        item = session.scalars(select(OutboxItem).where(OutboxItem.kind == "grade")).one()
        assert (item.status, item.attempts) == ("pending", 1)
    assert publish_json(capsys, down, "theory-1")["mails"] == []  # published: queued once
    down.close()

    up = receipts_app()
    assert up.flush_outbox().sent == 0  # backing off after the failure
    outbox = json.loads(ok(capsys, up, "outbox", "--json"))
    assert [row["kind"] for row in outbox] == ["grade"]
    assert up.flush_outbox(force=True).sent == 1  # what `outbox send` does
    assert up.flush_outbox(force=True).sent == 0
    assert len(smtp_sink.wait_for(1)) == 1


def _reply(to_message_id: str, text: str, sender: str = "ivan@example.org") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "tdl_course_mipt@protonmail.com"
    msg["Subject"] = "Re: Your grade for theory-1"
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg["In-Reply-To"] = to_message_id
    msg["References"] = f"<i1@x.org> {to_message_id}"
    msg.set_content(text)
    return msg.as_bytes()


@pytest.mark.parametrize("answer", ["kept", "regraded"])
def test_a_reply_to_a_grade_mail_is_a_regrade_request(
    graded, dovecot, imap_folder, smtp_sink, capsys, answer
):
    app = graded()
    publish_json(capsys, app, "theory-1")
    (grade_mail,) = smtp_sink.wait_for(1)
    smtp_sink.clear()
    append(
        dovecot,
        imap_folder,
        _reply(grade_mail.message["Message-ID"], "Lemma 3 is proved on page 2, please look."),
        datetime(2019, 3, 20, tzinfo=UTC),
    )

    poll_and_send(app)

    (receipt,) = smtp_sink.wait_for(1)
    smtp_sink.clear()
    assert "Your regrade request for theory-1 was recorded" in receipt.message.get_content()
    rejected = json.loads(ok(capsys, app, "rejected", "--json"))
    assert [row["reason"] for row in rejected] == ["regrade request"]
    requests = json.loads(ok(capsys, app, "regrades", "--json"))
    assert [
        (r["submission_ref"], r["student"], r["assignment"], r["routed_to"], r["state"])
        for r in requests
    ] == [("s1", "Ivan Ivanov", "theory-1", "Anna", "open")]
    assert "Lemma 3 is proved on page 2" in requests[0]["text"]
    table = ok(capsys, app, "regrades")
    assert "Lemma 3 is proved on page 2" in table
    assert "open" in table
    queue = json.loads(ok(capsys, app, "queue", "--json"))
    assert [(q["ref"], q["status"]) for q in queue] == [
        ("s2", "pending"),
        ("s1", "regrade requested"),
    ]
    mine = json.loads(ok(capsys, app, "queue", "--json", "--grader", "Anna"))
    assert [q["ref"] for q in mine] == ["s2", "s1"]
    others = json.loads(ok(capsys, app, "queue", "--json", "--grader", "Boris"))
    assert [q["ref"] for q in others] == ["s2"]
    shown = json.loads(ok(capsys, app, "show", "s1", "--json"))
    assert "Lemma 3 is proved" in shown["regrade_requests"][0]["text"]
    assert "Lemma 3 is proved" in ok(capsys, app, "show", "s1")

    if answer == "kept":
        ok(capsys, app, "resolve", "s1", "--comment", "Page 2 has a gap.", "-g", "Anna")
        expected = "the grade stays 7 of 10 points"
        comment = "Comment: Page 2 has a gap."
    else:
        ok(capsys, app, "grade", "s1", "-p", "9", "-m", "Right, page 2.", "-g", "Anna")
        expected = "changed from 7 to 9"
        comment = "Comment: Right, page 2."
    state = json.loads(ok(capsys, app, "regrades", "--json"))[0]["state"]
    assert state == answer
    assert [q["ref"] for q in json.loads(ok(capsys, app, "queue", "--json"))] == ["s2"]

    publish_json(capsys, app, "theory-1")

    (answer_mail,) = smtp_sink.wait_for(1)
    body = answer_mail.message.get_content()
    assert expected in body
    assert comment in body
    assert answer_mail.message["In-Reply-To"] == "<i1@x.org>"
    assert publish_json(capsys, app, "theory-1")["mails"] == []
    with app.sessions.begin() as session:
        (request,) = session.scalars(select(RegradeRequest)).all()
        assert request.answered_at is not None
        actions = session.scalars(select(HistoryEvent.action)).all()
    assert "regrade requested" in actions
    assert ("regrade resolved" in actions) == (answer in ("kept", "regraded"))


def test_the_standing_shows_published_grades_only(graded, dovecot, imap_folder, smtp_sink, capsys):
    app = graded()
    append(
        dovecot,
        imap_folder,
        submission("Lab 1 - Ivan Ivanov", "ivan@example.org", message_id="<l1@x.org>"),
        ON_TIME,
    )
    poll_and_send(app)
    smtp_sink.wait_for(1)
    smtp_sink.clear()
    ok(capsys, app, "grade", "s3", "-p", "9", "-g", "Anna")

    publish_json(capsys, app, "theory-1")

    body = smtp_sink.wait_for(1)[0].message.get_content()
    assert "lab-1" not in body
    assert "p_hw): 0.233 = 7 of 30" in body
    smtp_sink.clear()

    publish_json(capsys, app, "lab-1")

    (mail,) = smtp_sink.wait_for(1)
    assert mail.message["In-Reply-To"] == "<l1@x.org>"
    body = mail.message.get_content()
    assert "  theory-1: 7 of 10\r\n  lab-1: 9 of 10\r\n" in body
    assert "p_hw): 0.533 = 16 of 30" in body


def test_two_publishes_at_once_queue_each_mail_once(graded, smtp_sink, capsys):
    app = graded()
    policy = app.feedback_policy()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            with app.sessions.begin() as session:
                publish(session, policy, app.ctx.assignments, "theory-1", utc_now(), "admin")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert count(app, PublishedGrade) == 1
    with app.sessions.begin() as session:
        kinds = session.scalars(select(OutboxItem.kind).where(OutboxItem.kind == "grade")).all()
    assert kinds == ["grade"]


def test_a_status_reply_shows_published_grades_only(
    graded, dovecot, imap_folder, smtp_sink, capsys
):
    app = graded()
    with app.sessions.begin() as session:
        import_roster(
            session, "name,email\nIvan Ivanov,ivan@example.org\n", actor="admin", now=utc_now()
        )

    def status_reply() -> str:
        append(dovecot, imap_folder, submission("status", "ivan@example.org"), ON_TIME)
        poll_and_send(app)
        (mail,) = smtp_sink.wait_for(1)
        smtp_sink.clear()
        return mail.message.get_content()

    before = status_reply()
    assert "theory-1" in before  # the version is listed...
    assert "grade:" not in before  # ...but a grade not yet published is not

    publish_json(capsys, app, "theory-1")
    smtp_sink.wait_for(1)
    smtp_sink.clear()

    after = status_reply()
    assert "  grade: 7 of 10" in after


def test_a_russian_status_reply_writes_points_with_a_decimal_comma(
    graded, dovecot, imap_folder, smtp_sink, capsys
):
    app = graded(language="ru")
    ok(capsys, app, "grade", "s1", "-p", "7.5", "-g", "Anna")
    with app.sessions.begin() as session:
        import_roster(
            session, "name,email\nIvan Ivanov,ivan@example.org\n", actor="admin", now=utc_now()
        )
    publish_json(capsys, app, "theory-1")
    smtp_sink.wait_for(1)
    smtp_sink.clear()

    append(dovecot, imap_folder, submission("статус", "ivan@example.org"), ON_TIME)
    poll_and_send(app)

    (mail,) = smtp_sink.wait_for(1)
    assert "  оценка: 7,5 из 10" in mail.message.get_content()
