"""What the grader and admin listings return, pinned row by row on SQLite and PostgreSQL.

The queries behind ``submissions``, ``queue``, ``report late`` and ``grades`` are written for
speed (one query with the attachments joined, rows read as they come, sorting split between
the database and Python); these tests hold their results to the plain definitions: every
attachment in order, versions and counting flags, report order, grade book points.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, MetaData, Table, delete, select

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.models import Attachment, Submission
from tdl_inbox.adapters.db.types import UtcDateTime
from tdl_inbox.domain.grading import Coefficients
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.gradebook import gradebook
from tdl_inbox.services.grading.grades import choose_version, record_grade
from tdl_inbox.services.grading.listing import submission_rows
from tdl_inbox.services.reporting.reports import late_report

NOW = datetime(2019, 6, 1, tzinfo=UTC)
# theory-1 is due 2019-03-16 20:59 UTC, lab-1 2019-03-30 20:59 UTC, theory-2 2019-04-16.
T1_CUT = datetime(2019, 3, 16, 21, 0, tzinfo=UTC)
LAB_CUT = datetime(2019, 3, 30, 21, 0, tzinfo=UTC)
T2_CUT = datetime(2019, 4, 16, 21, 0, tzinfo=UTC)
IVAN = "Ivan Ivanov <ivan@example.org>"
PETR = "Petr Petrov <petr@example.org>"
ANNA = "Anna Smirnova <anna@example.org>"
FILES = [("b-second.pdf", b"%PDF 2"), ("a-first.zip", b"PK 1"), ("c-third.txt", b"3")]


def test_listing_and_queue_carry_every_attachment_in_order(grading_app, deliver):
    many = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=3), IVAN, attachments=FILES)
    one = deliver("Theory 1 - Petr Petrov", T1_CUT - timedelta(days=2), PETR)
    none = deliver("Theory 1 - Anna Smirnova", T1_CUT - timedelta(days=1), ANNA)
    with grading_app.sessions.begin() as session:
        message_pk = session.scalar(select(Submission.message_pk).where(Submission.id == none))
        session.execute(delete(Attachment).where(Attachment.message_pk == message_pk))

    with grading_app.sessions.begin() as session:
        rows = submission_rows(
            session, grading_app.store, grading_app.ctx.assignments, policy="latest_on_time"
        )
        items = work.queue(session, grading_app.store, "latest_on_time", NOW)

    assert [r.id for r in rows] == [many, one, none]
    assert [i.id for i in items] == [many, one, none]
    for found in (rows[0].attachments, items[0].attachments):
        # in the order they came in the message, each with its resolved path in the store
        assert [(f.filename, f.size) for f in found] == [
            ("b-second.pdf", 6),
            ("a-first.zip", 4),
            ("c-third.txt", 1),
        ]
        assert [f.path for f in found] == [
            str(grading_app.store.path_for(f.sha256).resolve()) for f in found
        ]
    assert [a.filename for a in rows[1].attachments] == ["solution.pdf"]
    assert [a.filename for a in items[1].attachments] == ["solution.pdf"]
    assert rows[2].attachments == items[2].attachments == ()


def test_listing_numbers_versions_and_marks_the_counting_one(grading_app, deliver):
    first = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=5), IVAN, attachments=FILES)
    lab = deliver("Lab 1 - Ivan Ivanov", LAB_CUT - timedelta(days=1), IVAN)
    second = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=1), IVAN)
    late = deliver("Theory 1 - Ivan Ivanov", T1_CUT + timedelta(hours=1), IVAN)
    petr = deliver("Theory 1 - Petr Petrov", T1_CUT + timedelta(hours=2), PETR)

    def listed(policy="latest_on_time", **kw):
        with grading_app.sessions.begin() as session:
            rows = submission_rows(
                session, grading_app.store, grading_app.ctx.assignments, policy=policy, **kw
            )
        # flags are booleans on both databases (they are shown in JSON as true/false)
        assert {type(v) for r in rows for v in (r.counts, r.late)} <= {bool}
        return [(r.id, r.version, r.counts, len(r.attachments)) for r in rows]

    assert listed() == [
        (first, 1, False, 3),
        (second, 2, True, 1),
        (late, 3, False, 1),
        (petr, 1, True, 1),  # only late versions: the latest counts
        (lab, 1, True, 1),
    ]
    assert listed(assignment="theory-1", policy="latest") == [
        (first, 1, False, 3),
        (second, 2, False, 1),
        (late, 3, True, 1),
        (petr, 1, True, 1),
    ]
    with grading_app.sessions.begin() as session:
        choose_version(session, first, actor="admin", now=NOW)
    assert listed(assignment="theory-1")[:3] == [
        (first, 1, True, 3),
        (second, 2, False, 1),
        (late, 3, False, 1),
    ]


def test_queue_lists_claims_flags_and_late_versions(grading_app, deliver):
    ivan = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=2), IVAN, attachments=FILES)
    petr = deliver("Theory 1 - Petr Petrov", T1_CUT - timedelta(days=1), PETR)
    late = deliver("Lab 1 - Anna Smirnova", LAB_CUT + timedelta(days=1), ANNA)
    ttl = timedelta(minutes=30)
    with grading_app.sessions.begin() as session:
        work.claim(session, petr, "bob", NOW, ttl)

    with grading_app.sessions.begin() as session:
        items = work.queue(session, grading_app.store, "latest_on_time", NOW, include_late=True)
        later = work.queue(session, grading_app.store, "latest_on_time", NOW + 2 * ttl)
    assert [(i.id, i.status, i.claimed_by, i.late, len(i.attachments)) for i in items] == [
        (ivan, "pending", None, False, 3),
        (petr, "claimed", "bob", False, 1),
        (late, "pending", None, True, 1),
    ]
    assert [(i.id, i.status) for i in later] == [(ivan, "pending"), (petr, "pending")]


def test_late_report_is_in_deadline_order_then_arrival_then_id(grading_app, deliver):
    lab_b = deliver("Lab 1 - Petr Petrov", LAB_CUT + timedelta(hours=3), PETR)
    t2 = deliver("Theory 2 - Ivan Ivanov", T2_CUT + timedelta(minutes=1), IVAN)
    t1_b = deliver("Theory 1 - Petr Petrov", T1_CUT + timedelta(hours=1), PETR)
    lab_a = deliver("Lab 1 - Ivan Ivanov", LAB_CUT + timedelta(hours=1), IVAN)
    t1_a = deliver("Theory 1 - Ivan Ivanov", T1_CUT + timedelta(hours=1), IVAN)  # same instant
    t1_first = deliver("Theory 1 - Anna Smirnova", T1_CUT + timedelta(seconds=1), ANNA)
    deliver("Theory 1 - Anna Smirnova", T1_CUT - timedelta(days=1), ANNA)  # on time

    everything = grading_app.ctx.assignments
    # theory-1 left out of the configuration: its late versions still show, after the others
    without_t1 = {key: a for key, a in everything.items() if key != "theory-1"}
    with grading_app.sessions.begin() as session:
        full = late_report(session, grading_app.store, everything)
        partial = late_report(session, grading_app.store, without_t1)
        lab_only = late_report(session, grading_app.store, everything, "lab-1")

    assert [r.id for r in full] == [t1_first, t1_b, t1_a, lab_a, lab_b, t2]
    assert [r.id for r in partial] == [lab_a, lab_b, t2, t1_first, t1_b, t1_a]
    assert [r.id for r in lab_only] == [lab_a, lab_b]
    assert full[1].late_by_seconds == 3600  # from the first late instant
    assert full[1].received == ()  # a message without Received: headers, read from the store


def test_grade_book_reads_current_grades_of_counting_versions(grading_app, deliver):
    early = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=3), IVAN)
    lab = deliver("Lab 1 - Ivan Ivanov", LAB_CUT - timedelta(days=3), IVAN)
    deliver("Theory 2 - Petr Petrov", T2_CUT + timedelta(days=1), PETR)  # late, ungraded

    def grade(sid, points, extra):
        with grading_app.sessions.begin() as session:
            record_grade(
                session,
                grading_app.ctx.assignments,
                "latest_on_time",
                sid,
                points,
                extra,
                None,
                "ta",
                NOW,
            )

    grade(early, 4, 0.5)
    grade(early, 7, 1.0)  # a regrade: the newest grade is current
    grade(lab, 9, 0.25)
    # a newer version of theory-1 now counts: its old grade no longer does
    newer = deliver("Theory 1 - Ivan Ivanov", T1_CUT - timedelta(days=1), IVAN)

    k = Coefficients(8, 4, 10)
    with grading_app.sessions.begin() as session:
        book = {
            r.student: r
            for r in gradebook(session, grading_app.ctx.assignments, "latest_on_time", k)
        }
    ivan, petr = book["Ivan Ivanov"], book["Petr Petrov"]
    assert list(ivan.points.items()) == [("theory-1", 0.0), ("lab-1", 9), ("theory-2", 0.0)]
    assert ivan.extra == 0.25
    assert list(petr.points.values()) == [0.0, 0.0, 0.0]
    grade(newer, 8, 0.5)
    with grading_app.sessions.begin() as session:
        rows = gradebook(session, grading_app.ctx.assignments, "latest_on_time", k)
    ivan = next(r for r in rows if r.student == "Ivan Ivanov")
    assert ivan.points == {"theory-1": 8, "lab-1": 9, "theory-2": 0.0}
    assert (ivan.extra, ivan.p_hw) == (0.75, pytest.approx((8 + 9 + 0.75) / 30))


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2019-03-16 20:59:00.000000", datetime(2019, 3, 16, 20, 59, tzinfo=UTC)),
        ("2019-03-16 20:59:00.123456", datetime(2019, 3, 16, 20, 59, 0, 123456, tzinfo=UTC)),
        ("2019-03-16 20:59:00", datetime(2019, 3, 16, 20, 59, tzinfo=UTC)),
        ("2019-03-16T23:59:00+03:00", datetime(2019, 3, 16, 20, 59, tzinfo=UTC)),
        ("2019-03-16", datetime(2019, 3, 16, tzinfo=UTC)),
        (None, None),
    ],
)
def test_sqlite_timestamps_read_back_as_utc(tmp_path, stored, expected):
    """SQLite returns the stored text; ``UtcDateTime`` parses it straight to an aware UTC
    datetime, including text written by something else (with an offset, or no time)."""
    table = Table("t", MetaData(), Column("at", UtcDateTime))
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    with engine.begin() as connection:
        table.create(connection)
        connection.exec_driver_sql("INSERT INTO t (at) VALUES (?)", (stored,))
        found = connection.execute(select(table.c.at)).scalar_one()
    engine.dispose()
    assert found == expected
    assert found is None or found.tzinfo is UTC
