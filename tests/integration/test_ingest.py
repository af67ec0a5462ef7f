"""Ingest against the real Dovecot the suite starts: verdicts, idempotence, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servers.imap_fill import append
from support import poll, submission
from tdl_inbox.adapters.db.models import Attachment, FolderState, Message, Submission
from tdl_inbox.services.grading.listing import rejected_rows, submission_rows

pytestmark = pytest.mark.dovecot

# Theory 1: deadline 2019-03-16 23:59 MSK = 20:59 UTC; the whole minute counts.
ON_TIME = datetime(2019, 3, 16, 20, 59, 59, tzinfo=UTC)
LATE = datetime(2019, 3, 16, 21, 0, 0, tzinfo=UTC)


def rows(app):
    with app.sessions.begin() as session:
        return submission_rows(
            session, app.store, app.ctx.assignments, policy=app.settings.grading.counting
        )


def count(app, model) -> int:
    with app.sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_records_submissions_with_verdicts_and_rejections(dovecot, imap_folder, make_app):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), ON_TIME)
    append(
        dovecot, imap_folder, submission("Теория 1 - Пётр Петров", "Пётр <petr@example.org>"), LATE
    )
    append(dovecot, imap_folder, submission("Theory 7 - Ivan Ivanov"), ON_TIME)
    append(dovecot, imap_folder, submission("homework"), ON_TIME)
    app = make_app(imap_folder)

    report = poll(app)

    assert (report.new_submissions, report.rejected, report.duplicates) == (2, 2, 0)
    by_student = {r.student: r for r in rows(app)}
    assert by_student["Ivan Ivanov"].late is False
    assert by_student["Ivan Ivanov"].late_by_seconds == 0
    assert by_student["Пётр Петров"].late is True
    assert by_student["Пётр Петров"].late_by_seconds == 1
    assert by_student["Пётр Петров"].sender == "petr@example.org"
    assert by_student["Ivan Ivanov"].deadline.isoformat() == "2019-03-16T20:59:00+00:00"
    with app.sessions.begin() as session:
        reasons = sorted(r.reason for r in rejected_rows(session))
    assert reasons[0].startswith("subject does not start with Theory or Lab")
    assert reasons[1] == "unknown assignment theory-7"


def test_second_poll_records_nothing_new(dovecot, imap_folder, make_app):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), ON_TIME)
    app = make_app(imap_folder)
    assert poll(app).new_submissions == 1

    again = poll(app)

    assert (again.new_submissions, again.rejected, again.duplicates) == (0, 0, 0)
    assert count(app, Message) == 1
    append(dovecot, imap_folder, submission("Theory 2 - Ivan Ivanov"), ON_TIME)
    assert poll(app).new_submissions == 1
    assert count(app, Message) == 2


def test_arrival_time_is_internaldate_not_the_date_header(dovecot, imap_folder, make_app):
    sent_early = LATE - timedelta(minutes=30)
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", sent_at=sent_early), LATE)
    app = make_app(imap_folder)
    poll(app)

    (row,) = rows(app)
    assert row.arrived_at == LATE
    assert row.sent_at == sent_early
    assert row.late
    assert row.delivery_delay_suspected


def test_same_message_delivered_twice_is_recorded_once(dovecot, imap_folder, make_app):
    raw = submission("Lab 1 - Anna-Maria Ivanova-Petrova", message_id="<same@example.org>")
    append(dovecot, imap_folder, raw, ON_TIME)
    append(dovecot, imap_folder, raw, ON_TIME)
    app = make_app(imap_folder)

    report = poll(app)

    assert (report.new_submissions, report.duplicates) == (1, 1)
    assert [r.student for r in rows(app)] == ["Anna-Maria Ivanova-Petrova"]


def test_same_message_id_with_other_content_is_kept_and_flagged(dovecot, imap_folder, make_app):
    first = submission("Lab 1 - Ivan Ivanov", message_id="<reused@example.org>", body="v1")
    second = submission("Lab 1 - Ivan Ivanov", message_id="<reused@example.org>", body="v2")
    append(dovecot, imap_folder, first, ON_TIME)
    append(dovecot, imap_folder, second, ON_TIME)
    app = make_app(imap_folder)

    assert poll(app).new_submissions == 2
    with app.sessions.begin() as session:
        flags = session.scalars(select(Message.possible_duplicate_of).order_by(Message.id)).all()
    assert flags[0] is None
    assert flags[1] is not None


def test_uidvalidity_change_rematches_instead_of_importing_again(dovecot, imap_folder, make_app):
    raws = [submission(f"Theory 1 - Student {n}") for n in range(5)]
    for raw in raws:
        append(dovecot, imap_folder, raw, ON_TIME)
    app = make_app(imap_folder)
    assert poll(app).new_submissions == 5
    old_validity = dovecot.uidvalidity(imap_folder)

    dovecot.reset_mailbox(imap_folder)
    for raw in raws:
        append(dovecot, imap_folder, raw, ON_TIME)
    append(dovecot, imap_folder, submission("Theory 2 - New Student"), ON_TIME)
    assert dovecot.uidvalidity(imap_folder) != old_validity

    report = poll(app)

    assert report.uidvalidity_changed
    assert report.remapped == 5
    assert (report.new_submissions, report.duplicates) == (1, 0)
    assert count(app, Submission) == 6
    with app.sessions.begin() as session:
        state = session.get(FolderState, imap_folder)
        assert state.uidvalidity == dovecot.uidvalidity(imap_folder)
        assert state.uidvalidity_changes == 1
    assert poll(app).recorded == 0


def test_attachments_are_stored_by_hash_and_names_never_become_paths(
    dovecot, imap_folder, make_app
):
    hostile = [("../../etc/passwd", b"root:x:0:0"), ("C:\\x", b"windows"), ("отчёт.pdf", b"%PDF")]
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", attachments=hostile), ON_TIME)
    app = make_app(imap_folder)
    poll(app)

    (row,) = rows(app)
    assert [a.filename for a in row.attachments] == ["../../etc/passwd", "C:\\x", "отчёт.pdf"]
    store_root = app.store.root.resolve()
    for item in row.attachments:
        path = Path(item.path)
        assert path.is_absolute()
        assert path.is_relative_to(store_root)
        assert path.name == item.sha256
        assert path.read_bytes() == dict(hostile)[item.filename]
        assert item.size == len(dict(hostile)[item.filename])
    assert not (app.store.root.parent / "etc").exists()


def test_changing_a_deadline_in_the_config_changes_the_verdict(dovecot, imap_folder, make_app):
    arrived = datetime(2019, 3, 29, 12, 0, tzinfo=UTC)  # after lab-1's computed deadline
    append(dovecot, imap_folder, submission("Lab 1 - Ivan Ivanov"), arrived)
    app = make_app(imap_folder)
    poll(app)
    assert rows(app)[0].late is False  # the admin moved lab-1 to 2019-03-30

    moved_back = make_app(imap_folder)  # same database, new config below
    config = Path(moved_back.settings.source)
    config.write_text(config.read_text().replace("deadline = 2019-03-30T23:59:00\n", ""))
    from tdl_inbox.app import build_app
    from tdl_inbox.config import load_config

    recomputed = build_app(load_config(config))
    try:
        (row,) = rows(recomputed)
        assert row.late is True
        assert row.deadline.isoformat() == "2019-03-28T20:59:00+00:00"
    finally:
        recomputed.close()


def test_mail_before_since_is_ignored_but_passed(dovecot, imap_folder, make_app):
    append(
        dovecot, imap_folder, submission("Theory 1 - Old Course"), datetime(2018, 5, 1, tzinfo=UTC)
    )
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), ON_TIME)
    app = make_app(imap_folder, extra_mailbox="since = 2019-02-12")

    report = poll(app)

    assert (report.new_submissions, report.before_since) == (1, 1)
    assert poll(app).before_since == 0


def test_broken_mime_is_recorded_with_raw_bytes_kept(dovecot, imap_folder, make_app):
    broken = (
        b"From: x@example.org\r\nSubject: Theory 1 - Broken Mime\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--nobound\r\ngarbage\r\n"
    )
    nested = b"Subject: Theory 1 - Deep\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    nested += b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 3000
    append(dovecot, imap_folder, broken, ON_TIME)
    append(dovecot, imap_folder, nested, ON_TIME)
    app = make_app(imap_folder)

    report = poll(app)

    assert report.recorded == 2
    with app.sessions.begin() as session:
        for message in session.scalars(select(Message)):
            assert app.store.verify(message.raw_sha256)


def test_oversized_message_is_rejected_from_its_headers(dovecot, imap_folder, make_app):
    big = submission("Theory 1 - Ivan Ivanov", attachments=[("big.bin", b"x" * 1_500_000)])
    append(dovecot, imap_folder, big, ON_TIME)
    app = make_app(imap_folder, extra_mailbox="max_message_bytes = 1000000")

    report = poll(app)

    assert report.rejected == 1
    with app.sessions.begin() as session:
        (row,) = rejected_rows(session)
        assert "larger than the 1 MB limit" in row.reason
        assert row.subject == "Theory 1 - Ivan Ivanov"
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
