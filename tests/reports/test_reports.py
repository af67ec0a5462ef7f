"""``report late|missing|summary``: contents of every format, escaping, and the evidence chain.

Deadlines (tests/support.py): theory-1 is 2019-03-16 23:59 Moscow time, so 21:00:00 UTC is
the first late instant; lab-1 is 2019-03-30 23:59 Moscow time.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from reports.html_checks import assert_self_contained
from support import submission
from tdl_inbox.adapters.db.models import Extension, Submission
from tdl_inbox.services.reporting.arrivals import BUCKETS, arrival_histogram
from tdl_inbox.services.reporting.documents import report_mail
from tdl_inbox.services.reporting.reports import missing_report

CUT = datetime(2019, 3, 16, 21, 0, tzinfo=UTC)
LAB_CUT = datetime(2019, 3, 30, 21, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
HOPS = (  # as a mail server writes them: newest first
    "from mx.protonmail.ch (mx.protonmail.ch [185.70.40.1]) by mail.proton.me with ESMTPS"
    " id X; Sat, 16 Mar 2019 21:01:35 +0000",
    "from smtp.phystech.edu (smtp.phystech.edu [1.2.3.4]) by mx.protonmail.ch with ESMTPS"
    " id Y for <course@example.org>; Sat, 16 Mar 2019 23:59:40 +0300",
    "from [10.0.0.5] (<img src=x onerror=alert(2)>) by smtp.phystech.edu (Postfix, from userid"
    " 1000) id Z; garbage date",
)


def with_received(raw: bytes, *hops: str) -> bytes:
    return b"".join(b"Received: " + hop.encode() + b"\r\n" for hop in hops) + raw


@pytest.fixture
def disputed(deliver_raw) -> int:
    """A late theory-1 version whose Date: header is before the deadline, with three hops."""
    raw = submission(
        f"Theory 1 - {SCRIPT}", "evil@example.org", sent_at=CUT - timedelta(seconds=30)
    )
    return deliver_raw(with_received(raw, *HOPS), CUT + timedelta(seconds=95))


def test_late_json_has_the_evidence_chain(run, deliver, disputed):
    deliver("Theory 1 - Ivan Ivanov", CUT - timedelta(hours=1))
    lab = deliver("Lab 1 - Petr Petrov", LAB_CUT + timedelta(hours=2), "petr@example.org")

    code, out, _ = run("report", "late", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rows] == [disputed, lab]  # deadline order, then arrival
    first = rows[0]
    assert set(first) >= {
        "id",
        "assignment",
        "student",
        "arrived_at",
        "deadline",
        "late_by_seconds",
        "sent_at",
        "delivery_delay_suspected",
        "received",
    }
    assert first["student"] == SCRIPT
    assert first["arrived_at"] == "2019-03-17T00:01:35+03:00"
    assert first["deadline"] == "2019-03-16T23:59:00+03:00"
    assert (first["late_by_seconds"], first["late_by"]) == (95, "1m 35s")
    assert first["sent_at"] == "2019-03-16T23:59:30+03:00"
    assert first["delivery_delay_suspected"] is True
    assert first["raw_message_readable"] is True
    assert [(h["from"], h["by"], h["at"]) for h in first["received"]] == [
        ("[10.0.0.5]", "smtp.phystech.edu", None),
        ("smtp.phystech.edu", "mx.protonmail.ch", "2019-03-16T23:59:40+03:00"),
        ("mx.protonmail.ch", "mail.proton.me", "2019-03-17T00:01:35+03:00"),
    ]
    assert first["received"][0]["raw"] == HOPS[2]
    assert rows[1]["received"] == []  # a message without Received: headers
    assert (rows[1]["late_by_seconds"], rows[1]["delivery_delay_suspected"]) == (7200, False)

    code, out, _ = run("report", "late", "--assignment", "lab-1", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == [lab]
    code, _, err = run("report", "late", "--assignment", "theory-9")
    assert code == 1
    assert "unknown assignment theory-9" in err


def test_late_text_formats_escape_mail_text(run, deliver, disputed, tmp_path):
    deliver('Lab 1 - =HYPERLINK("http://evil")', LAB_CUT + timedelta(minutes=5), "eq@x.org")

    code, out, _ = run("report", "late", "--format", "md")
    assert code == 0
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "smtp.phystech.edu → mx.protonmail.ch at 2019-03-16 23:59:40 +0300" in out
    assert "| 95 |" in out

    page = tmp_path / "late.html"
    code, out, err = run("report", "late", "--format", "html", "--output", str(page))
    assert (code, out, err) == (0, "", ""), err
    text = page.read_text(encoding="utf-8")
    assert_self_contained(text)  # no script, img, link, iframe, object, src, href, url()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text  # the raw Received: line, inert
    assert text.count("<svg") == 3  # one chart per configured deadline
    assert "Content-Security-Policy" in text
    assert "1m 35s" in text

    code, out, _ = run("report", "late", "--format", "csv")
    assert out.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    header, rows = table[0], {row[0]: row for row in table[1:]}
    assert header[:3] == ["id", "assignment", "student"]
    assert len(rows) == 2
    lab_row = next(row for row in rows.values() if row[1] == "lab-1")
    assert lab_row[2] == '\'=HYPERLINK("http://evil")'
    script_row = next(row for row in rows.values() if row[1] == "theory-1")
    assert (script_row[2], script_row[7], script_row[9]) == (SCRIPT, "95", "yes")

    code, out, _ = run("report", "late")
    assert code == 0
    assert "Late versions: 2" in out


def test_late_follows_an_extension(run, deliver, grading_app):
    sid = deliver("Theory 1 - Ivan Ivanov", CUT + timedelta(hours=1))
    _, out, _ = run("report", "late", "--json")
    assert [r["late_by_seconds"] for r in json.loads(out)] == [3600]

    with grading_app.sessions.begin() as session:
        owner = session.scalar(select(Submission.owner).where(Submission.id == sid))
        assert owner is not None
        extension = Extension(
            owner=owner,
            student="Ivan Ivanov",
            assignment="theory-1",
            until=CUT + timedelta(minutes=29),  # 00:29 Moscow: on time until 00:29:59
            reason="ill",
            granted_at=CUT,
        )
        session.add(extension)
    _, out, _ = run("report", "late", "--json")
    (row,) = json.loads(out)
    assert row["deadline"] == "2019-03-17T00:29:00+03:00"
    assert row["late_by_seconds"] == 1800

    with grading_app.sessions.begin() as session:
        extension = session.scalars(select(Extension)).one()
        extension.until = CUT + timedelta(days=1)
    assert json.loads(run("report", "late", "--json")[1]) == []


def test_missing_without_roster_says_why(run, deliver):
    deliver("Theory 1 - Ivan Ivanov", CUT - timedelta(hours=1))
    for fmt in ("json", "table", "md"):
        code, out, err = run("report", "missing", "--format", fmt)
        assert code == 0
        assert "no roster" in err
        if fmt == "json":
            assert json.loads(out) == []


ROSTER = "name,email,group\nIvan Ivanov,ivan@example.org,B01\nAnna Petrova,anna@example.org,B02\n"
ROSTER += "Boris Sidorov,boris@example.org,B02\n"


@pytest.fixture
def course(run, deliver, tmp_path):
    """Ivan on time (and a late resubmission, graded on time); Anna twice late; Boris nothing."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert run("roster", "import", str(roster))[0] == 0
    ivan = deliver("Theory 1 - Ivan Ivanov", CUT - timedelta(hours=2), "ivan@example.org")
    deliver("Theory 1 - Ivan Ivanov", CUT + timedelta(hours=2), "ivan@example.org")
    deliver("Theory 1 - Anna Petrova", CUT + timedelta(minutes=1), "anna@example.org")
    deliver("Theory 1 - Anna Petrova", CUT + timedelta(days=1), "anna@example.org")
    deliver("Theory 1 - Eve Mallory", CUT - timedelta(hours=1), "eve@example.org")  # flagged
    assert run("grade", str(ivan), "--points", "9", "--grader", "alice")[0] == 0


def test_missing_lists_roster_students_without_an_on_time_version(run, course, grading_app):
    code, out, err = run("report", "missing", "--json")
    rows = json.loads(out)
    assert (code, err) == (0, "")
    by_assignment: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        by_assignment.setdefault(row["assignment"], []).append(
            (row["student"], row["late_versions"])
        )
    assert by_assignment["theory-1"] == [("Anna Petrova", 2), ("Boris Sidorov", 0)]
    assert len(by_assignment["lab-1"]) == len(by_assignment["theory-2"]) == 3
    assert list(by_assignment) == ["theory-1", "lab-1", "theory-2"]  # deadline order
    assert rows[0]["deadline"] == "2019-03-16T23:59:00+03:00"
    assert set(rows[0]) >= {"student_id", "group", "email"}

    code, out, _ = run("report", "missing", "--assignment", "theory-1", "--format", "md")
    assert "Anna Petrova" in out
    assert "Ivan Ivanov" not in out

    before_theory_2 = datetime(2019, 4, 1, tzinfo=UTC)
    with grading_app.sessions.begin() as session:
        found = missing_report(session, grading_app.ctx.assignments, before_theory_2)
    assert {row.assignment for row in found} == {"theory-1", "lab-1"}


def test_summary_counts(run, course):
    code, out, _ = run("report", "summary", "--json")
    rows = {row["assignment"]: row for row in json.loads(out)}
    assert code == 0
    assert list(rows) == ["theory-1", "lab-1", "theory-2"]
    theory = {k: v for k, v in rows["theory-1"].items() if k not in ("assignment", "deadline")}
    # on time: Ivan, Eve (flagged, by name); late only: Anna; graded: Ivan; pending: Anna, Eve
    assert theory == {
        "on_time": 2,
        "late": 1,
        "late_versions": 3,
        "missing": 2,
        "graded": 1,
        "pending": 2,
    }
    assert rows["lab-1"]["missing"] == 3
    assert rows["lab-1"]["on_time"] == rows["lab-1"]["pending"] == 0

    code, out, _ = run("report", "summary", "--format", "csv")
    table = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert table[0][:3] == ["assignment", "deadline", "on time"]
    assert table[1][2:] == ["2", "1", "3", "2", "1", "2"]


def test_summary_without_roster_leaves_missing_blank(run, deliver):
    deliver("Theory 1 - Ivan Ivanov", CUT - timedelta(hours=1))
    _, out, _ = run("report", "summary", "--json")
    assert {row["missing"] for row in json.loads(out)} == {None}


def test_arrival_buckets_at_their_edges(grading_app, deliver):
    offsets = {  # seconds from the first late instant -> bucket
        -2 * 86400: 0,
        -86400 - 1: 0,
        -86400: 1,
        -3601: 1,
        -3600: 2,
        -61: 2,
        -60: 3,  # 23:59:00, the deadline minute
        -1: 3,  # 23:59:59
        0: 4,  # 00:00:00
        59: 4,
        60: 5,
        3599: 5,
        3600: 6,
        5 * 86400: 6,
    }
    for n, offset in enumerate(offsets):
        deliver(f"Theory 1 - Student {n}", CUT + timedelta(seconds=offset), f"s{n}@x.org")
    deliver("Lab 1 - Late Student", LAB_CUT + timedelta(seconds=30), "late@x.org")
    with grading_app.sessions.begin() as session:
        found = {
            e.assignment: e.counts for e in arrival_histogram(session, grading_app.ctx.assignments)
        }
    expected = [0] * len(BUCKETS)
    for bucket in offsets.values():
        expected[bucket] += 1
    assert found["theory-1"] == tuple(expected)
    assert found["lab-1"] == (0, 0, 0, 0, 1, 0, 0)
    assert found["theory-2"] == (0,) * len(BUCKETS)


def test_every_report_in_every_format(run, course, tmp_path):
    for name in ("late", "missing", "summary"):
        for fmt in ("table", "csv", "json", "md", "html"):
            target = tmp_path / f"{name}.{fmt}"
            code, _, err = run("report", name, "--format", fmt, "--output", str(target))
            assert (code, err) == (0, ""), (name, fmt)
            text = target.read_text(encoding="utf-8")
            assert "theory-1" in text, (name, fmt)
            if name != "summary":
                assert "Anna Petrova" in text, (name, fmt)


def test_the_mail_holds_the_summary_the_late_versions_and_the_chart(grading_app, disputed):
    subject, text, page = report_mail(grading_app.report_scope())
    assert subject == "Theoretical Deep Learning: 1 late submission"
    assert text.index("## Per assignment") < text.index("## Late versions: 1")
    assert "## Arrivals around each deadline" in text  # the chart's numbers, as a table
    assert "&lt;script&gt;" in text
    assert "<script" not in text
    assert_self_contained(page)
    assert page.count("<svg") == 3
