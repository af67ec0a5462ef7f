"""Mending mistakes against the real Dovecot and SMTP sink: ``recheck`` after an assignment is
added to the config, ``accept`` and ``reject`` by hand, ids of the wrong kind."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servers.imap_fill import append
from support import PASSWORD_ENV, run_cli, submission
from tdl_inbox.adapters.db.models import Grade, OutboxItem, Rejection, Submission
from tdl_inbox.app import App
from tdl_inbox.services.grading.roster import add_student
from tdl_inbox.services.intake.recheck import recheck
from tdl_inbox.services.operations import polling
from tdl_inbox_dev.config import ASSIGNMENTS_2019, config_text, migrated_app

pytestmark = pytest.mark.dovecot

THEORY_3 = """
[[assignment]]
kind = "theory"
number = 3
published = 2019-04-06
max_points = 10
deadline = 2019-04-27T23:59:00
"""
# theory-3 is due 2019-04-27 20:59 UTC (Moscow time is UTC+3).
ON_TIME = datetime(2019, 4, 20, 10, 0, tzinfo=UTC)
ON_TIME_LATER = datetime(2019, 4, 21, 10, 0, tzinfo=UTC)
LATE = datetime(2019, 4, 29, 10, 0, tzinfo=UTC)


@pytest.fixture
def course(
    tmp_path: Path, dovecot, imap_folder, smtp_sink, database_url, monkeypatch
) -> Callable[..., App]:
    """An App with receipts on; ``theory_3`` adds that assignment to the config (same
    database and store), as an admin editing the config would."""
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    apps: list[App] = []

    def factory(*, theory_3: bool, language: str = "en", receipts: bool = True) -> App:
        text = config_text(
            database_url=database_url,
            password_env=PASSWORD_ENV,
            server=dovecot,
            folder=imap_folder,
            assignments=ASSIGNMENTS_2019 + (THEORY_3 if theory_3 else ""),
        )
        text += f"""
[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
security = "starttls"
cafile = "{smtp_sink.cafile}"
from = "TDL course <tdl_course_mipt@protonmail.com>"

[receipts]
enabled = {"true" if receipts else "false"}
language = "{language}"
max_age_hours = 100000
"""
        app = migrated_app(tmp_path / "tdl-inbox.toml", text)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.close()


def count(app: App, model: type) -> int:
    with app.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_recheck_records_mail_rejected_before_the_assignment_existed(
    dovecot, imap_folder, smtp_sink, course, capsys
):
    append(dovecot, imap_folder, submission("Theory 3 - Ivan Ivanov", "ivan@example.org"), ON_TIME)
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - Petr Petrov", "Пётр <petr@example.org>"),
        ON_TIME_LATER,
    )
    append(dovecot, imap_folder, submission("Theory 3 - Ivan Ivanov v2", "ivan@example.org"), LATE)
    append(dovecot, imap_folder, submission("homework", "anna@example.org"), ON_TIME)
    before = course(theory_3=False)
    report, sent = polling.poll_and_send(before.poll_cycle())
    assert (report.new_submissions, report.rejected, sent.sent) == (0, 4, 4)
    smtp_sink.wait_for(4)
    code, out, _ = run_cli(capsys, before, "rejected", "--json")
    assert code == 0
    reasons = sorted(row["reason"] for row in json.loads(out))
    assert reasons.count("unknown assignment theory-3") == 3
    smtp_sink.clear()
    with before.sessions.begin() as session:  # Ivan joins the roster meanwhile
        add_student(
            session, "Ivan Ivanov", "ivan@example.org", None, True, actor="admin", now=ON_TIME
        )

    app = course(theory_3=True)
    # A poll alone never shows mail recorded before: the reason this command exists.
    assert polling.poll_and_send(app.poll_cycle())[0].new_submissions == 0
    outbox_before = count(app, OutboxItem)

    code, out, _ = run_cli(capsys, app, "recheck", "--dry-run", "--json")
    assert code == 0
    planned = json.loads(out)
    assert [(c["assignment"], c["student"], c["submission_ref"]) for c in planned] == [
        ("theory-3", "Ivan Ivanov", None),
        ("theory-3", "Petr Petrov", None),
        ("theory-3", "Ivan Ivanov", None),
    ]
    assert (count(app, Submission), count(app, Rejection)) == (0, 4)
    assert count(app, OutboxItem) == outbox_before

    code, out, _ = run_cli(capsys, app, "recheck", "--json")
    assert code == 0
    changes = json.loads(out)
    assert [(c["message_ref"], c["student"], c["verdict"]) for c in changes] == [
        (planned[0]["message_ref"], "Ivan Ivanov", "on time"),
        (planned[1]["message_ref"], "Petr Petrov", "on time"),
        (planned[2]["message_ref"], "Ivan Ivanov", "LATE 1d 13h"),
    ]
    assert all(c["submission_ref"].startswith("s") for c in changes)
    assert (count(app, Submission), count(app, Rejection)) == (3, 1)

    code, out, _ = run_cli(capsys, app, "submissions", "--json")
    rows = {row["ref"]: row for row in json.loads(out)}
    ivan_v1, petr, ivan_v2 = (rows[c["submission_ref"]] for c in changes)
    # Linked to the roster as at ingest: both of Ivan's versions are one owner's.
    with app.sessions.begin() as session:
        owners = {
            s.id: (s.owner, s.student_id)
            for s in session.scalars(select(Submission).order_by(Submission.arrived_at))
        }
    assert owners[ivan_v1["id"]] == owners[ivan_v2["id"]]
    assert owners[ivan_v1["id"]][1] is not None
    assert owners[petr["id"]][1] is None

    received = smtp_sink.wait_for(3)
    assert len(received) == 3
    by_to = {}
    for mail in received:
        by_to.setdefault(mail.rcpt_tos[0], []).append(mail.message.get_content())
    assert sorted(by_to) == ["ivan@example.org", "petr@example.org"]
    first, second = by_to["ivan@example.org"]
    for body in (first, second, *by_to["petr@example.org"]):
        assert "This replaces our earlier reply" in body
        assert "recorded as theory-3" in body
    # Versions follow arrival order; the on-time first version counts under latest_on_time.
    assert "This version now counts for grading (version 1)." in first
    assert "Version 1 (received 2019-04-20 13:00:00) counts for grading" in second
    assert "LATE by 1 d 13 h" in second
    # Each follow-up has a code of its own, which `receipt` resolves to the submission.
    code_text = first.split("Receipt code: ")[1].split()[0]
    code, out, _ = run_cli(capsys, app, "receipt", code_text, "--json")
    assert code == 0
    assert json.loads(out)["submission_id"] == ivan_v1["id"]

    smtp_sink.clear()
    outbox_after = count(app, OutboxItem)
    code, out, _ = run_cli(capsys, app, "recheck", "--json")
    assert (code, json.loads(out)) == (0, [])
    assert count(app, OutboxItem) == outbox_after
    assert smtp_sink.received() == []
    code, out, _ = run_cli(capsys, app, "rejected", "--json")
    assert [row["subject"] for row in json.loads(out)] == ["homework"]


def test_recheck_is_callable_with_values_and_prints_tables(
    dovecot, imap_folder, smtp_sink, course, capsys
):
    append(dovecot, imap_folder, submission("Theory 3 - Ivan Ivanov", "ivan@example.org"), ON_TIME)
    before = course(theory_3=False)
    polling.poll_and_send(before.poll_cycle())
    app = course(theory_3=True, language="ru")

    def clock() -> datetime:
        return datetime(2019, 5, 1, tzinfo=UTC)

    code, out, _ = run_cli(capsys, app, "recheck", "--dry-run")
    assert code == 0
    assert "Would become submissions (dry run)" in out
    assert "theory-3" in out
    changes = recheck(app.sessions, app.store, app.ctx, clock, actor="daemon")  # as the daemon
    assert [(c.assignment, c.student, c.late) for c in changes] == [
        ("theory-3", "Ivan Ivanov", False)
    ]
    with app.sessions.begin() as session:
        follow_up = session.scalars(
            select(OutboxItem).where(OutboxItem.dedupe_key.like("receipt:%:s%"))
        ).one()
    assert follow_up.created_at == clock()
    assert follow_up.body_text.startswith(
        "Здравствуйте!\n\nЭто письмо заменяет наш прошлый ответ, в котором говорилось, что "
        "ваше письмо не записано как домашнее задание: теперь преподаватели его записали.\n\n"
        "Ваше письмо записано как theory-3, студент: Ivan Ivanov."
    )
    code, out, _ = run_cli(capsys, app, "recheck")
    assert (code, out) == (0, "no rejected message is a submission under the current config\n")


def test_a_student_never_told_of_a_rejection_gets_a_plain_receipt(
    dovecot, imap_folder, smtp_sink, course, capsys
):
    append(dovecot, imap_folder, submission("Theory 3 - Ivan Ivanov", "ivan@example.org"), ON_TIME)
    polling.poll_and_send(course(theory_3=False, receipts=False).poll_cycle())
    app = course(theory_3=True)
    code, _, _ = run_cli(capsys, app, "recheck")
    assert code == 0
    (mail,) = smtp_sink.wait_for(1)
    body = mail.message.get_content()
    assert "recorded as theory-3 by Ivan Ivanov" in body
    assert "earlier reply" not in body


def test_accept_records_a_rejected_message_by_hand_with_a_receipt(
    dovecot, imap_folder, smtp_sink, course, capsys
):
    append(dovecot, imap_folder, submission("homework", "ivan@example.org"), ON_TIME)
    app = course(theory_3=True)
    polling.poll_and_send(app.poll_cycle())
    smtp_sink.wait_for(1)
    smtp_sink.clear()
    code, out, _ = run_cli(capsys, app, "rejected", "--json")
    (row,) = json.loads(out)
    ref = row["ref"]

    code, out, err = run_cli(
        capsys, app, "accept", ref, "-a", "Theory-3", "--student", "Ivan Ivanov", "--json"
    )
    assert (code, err.count("error")) == (0, 0)
    (change,) = json.loads(out)
    assert (change["message_ref"], change["assignment"], change["student"], change["verdict"]) == (
        ref,
        "theory-3",
        "Ivan Ivanov",
        "on time",
    )
    (mail,) = smtp_sink.wait_for(1)
    body = mail.message.get_content()
    assert "This replaces our earlier reply" in body
    assert "recorded as theory-3 by Ivan Ivanov" in body

    code, _, err = run_cli(capsys, app, "accept", ref, "-a", "theory-3", "--student", "Ivan Ivanov")
    assert code == 1
    assert err == f"tdl-inbox: error: {ref} is already submission {change['submission_ref']}\n"
    code, _, err = run_cli(capsys, app, "accept", ref, "-a", "theory-9", "--student", "X")
    assert code == 1


def test_reject_takes_a_submission_out_and_renumbers_versions(
    dovecot, imap_folder, smtp_sink, course, capsys
):
    append(dovecot, imap_folder, submission("Theory 3 - Ivan Ivanov", "ivan@example.org"), ON_TIME)
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - Ivan Ivanov", "ivan@example.org", body="When is the exam?"),
        ON_TIME_LATER,
    )
    app = course(theory_3=True)
    polling.poll_and_send(app.poll_cycle())
    code, out, _ = run_cli(capsys, app, "submissions", "--json")
    first, question = sorted(json.loads(out), key=lambda r: r["arrived_at"])
    code, _, err = run_cli(
        capsys, app, "grade", question["ref"], "--points", "5", "--grader", "olga"
    )
    assert code == 0, err
    append(
        dovecot,
        imap_folder,
        submission("Theory 3 - Ivan Ivanov fixed", "ivan@example.org"),
        datetime(2019, 4, 22, 10, 0, tzinfo=UTC),
    )
    polling.poll_and_send(app.poll_cycle())
    code, out, _ = run_cli(capsys, app, "submissions", "--json")
    third = max(json.loads(out), key=lambda r: r["arrived_at"])

    code, _, err = run_cli(capsys, app, "reject", question["ref"], "--reason", "a question")
    assert code == 1
    assert "is graded (1 grade(s)); --force rejects it and deletes its grades" in err
    assert count(app, Submission) == 3

    # A reason that reads like a subject's rejection: recheck must still leave it alone.
    code, out, _ = run_cli(
        capsys, app, "reject", question["ref"], "--reason", "unknown assignment theory-3", "--force"
    )
    assert code == 0, out
    assert "1 grade(s) deleted" in out
    assert (count(app, Submission), count(app, Grade)) == (2, 0)
    code, out, _ = run_cli(capsys, app, "rejected", "--json")
    (row,) = json.loads(out)
    assert row["reason"] == "rejected by hand: unknown assignment theory-3"
    # The third version is now the second (versions are numbered by arrival among what is
    # left); recheck does not undo the admin's reject.
    code, out, _ = run_cli(capsys, app, "show", third["ref"], "--json")
    shown = json.loads(out)
    assert [v["id"] for v in shown["versions"]] == [first["id"], third["id"]]
    assert [v["counts"] for v in shown["versions"]] == [False, True]
    code, out, _ = run_cli(capsys, app, "recheck", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["accept", "s1", "-a", "theory-1", "--student", "X"], "s1 is a submission id"),
        (["accept", "1", "-a", "theory-1", "--student", "X"], "s1 is a submission id"),
        (["reject", "m1", "--reason", "x"], "m1 is a rejected message, not a submission"),
    ],
)
def test_wrong_id_kinds_are_refused_in_one_line(
    dovecot, imap_folder, smtp_sink, course, capsys, argv, message
):
    append(dovecot, imap_folder, submission("homework", "ivan@example.org"), ON_TIME)
    app = course(theory_3=False)
    polling.poll_and_send(app.poll_cycle())
    code, _, err = run_cli(capsys, app, *argv)
    assert code == 1
    assert err.startswith("tdl-inbox: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_every_listing_follows_the_configured_counting_policy(
    tmp_path, dovecot, imap_folder, database_url, monkeypatch, capsys
):
    """With ``counting = "latest"`` a late resubmission replaces the on-time version in
    ``submissions``, ``queue``, ``show`` and ``grades`` alike (none keeps a default policy)."""
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    on_time = datetime(2019, 3, 15, 10, 0, tzinfo=UTC)  # theory-1: due 2019-03-16 20:59 UTC
    late = datetime(2019, 3, 18, 10, 0, tzinfo=UTC)
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", "ivan@example.org"), on_time)
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov v2", "ivan@example.org"), late)
    text = config_text(
        database_url=database_url,
        password_env=PASSWORD_ENV,
        server=dovecot,
        folder=imap_folder,
        extra='\n[grading]\ncounting = "latest"\n',
    )
    app = migrated_app(tmp_path / "tdl-inbox.toml", text)
    try:
        polling.poll_and_send(app.poll_cycle())
        code, out, _ = run_cli(capsys, app, "submissions", "--json")
        rows = sorted(json.loads(out), key=lambda r: r["arrived_at"])
        first, second = rows
        assert [r["counts"] for r in rows] == [False, True]

        code, out, _ = run_cli(capsys, app, "queue", "--all", "--json")
        assert code == 0
        assert [r["id"] for r in json.loads(out)] == [second["id"]]

        code, out, _ = run_cli(capsys, app, "show", first["ref"], "--json")
        assert [v["counts"] for v in json.loads(out)["versions"]] == [False, True]

        code, _, err = run_cli(
            capsys, app, "grade", second["ref"], "--points", "7", "--grader", "olga"
        )
        assert code == 0, err
        code, out, _ = run_cli(capsys, app, "grades", "--json")
        assert code == 0
        (student,) = json.loads(out)
        assert student["points"]["theory-1"] == 7  # the graded late version counts
    finally:
        app.close()
