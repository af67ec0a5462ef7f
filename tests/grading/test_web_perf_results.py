"""The faster grade book page, admin summary, arrivals chart and CSV cells hold to the plain
definitions, on a generated course (the benchmark's generator, small) on SQLite and PostgreSQL.

The grade book page reads only its students' grades: its pages, put together, are the whole
grade book. The summary counts the missing students instead of listing them: its counts are the
lengths of ``report missing`` per assignment. The arrivals chart computes each version's time
to its deadline once: its buckets are the definition applied to every row in Python.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update
from starlette.testclient import TestClient

from bench.dbfill import populate
from bench.mail import assignments_toml, deadline_utc
from bench.web import bearer_token
from grading.conftest import GRADING
from support import UNUSED_PASSWORD
from tdl_inbox.adapters.db.models import ExamResult, Extension, Student, Submission
from tdl_inbox.app import App
from tdl_inbox.domain.grading import Coefficients
from tdl_inbox.services.grading.gradebook import gradebook, gradebook_page
from tdl_inbox.services.grading.roster import owner_of_student
from tdl_inbox.services.reporting import csv_text
from tdl_inbox.services.reporting.arrivals import BUCKETS, arrival_histogram
from tdl_inbox.services.reporting.formatting import to_jsonable
from tdl_inbox.services.reporting.reports import late_report, missing_report, summary_report
from tdl_inbox.web.app import create_app
from tdl_inbox_dev.config import config_text, migrated_app

STUDENTS = 230  # three pages of the grade book with the students off the roster
K = Coefficients(8, 4, 10)
# between the deadlines of the generated course: some assignments are due, some are not
NOW = deadline_utc("theory-5") + timedelta(hours=5)


@pytest.fixture
def course(tmp_path: Path, db_url: str) -> Iterator[App]:
    """The benchmark's generated course, small, plus what the generator lacks: extensions
    (later and earlier than the deadline, for students with and without an on-time
    version), an exam result for a name off the roster, and a student gone from the roster."""
    text = config_text(
        database_url=db_url,
        password_env=UNUSED_PASSWORD,
        extra=GRADING,
        assignments=assignments_toml(),
    )
    app = migrated_app(tmp_path / "tdl-inbox.toml", text)
    populate(app.sessions.kw["bind"], 2_500, STUDENTS)
    with app.sessions.begin() as session:
        for sid in range(1, 40):
            key = f"theory-{1 + sid % 7}"
            shift = timedelta(days=sid % 5 - 1, hours=sid)  # some end before the deadline
            session.add(
                Extension(
                    owner=owner_of_student(sid),
                    student=f"student {sid}",
                    assignment=key,
                    until=deadline_utc(key) + shift,
                    reason=None,
                    granted_at=NOW,
                )
            )
        session.add(ExamResult(owner="n:stray exam", points=7.5, recorded_at=NOW))
        session.add(ExamResult(owner=owner_of_student(3), points=9, recorded_at=NOW))
        # a namesake off the roster with no address: the grade book's tie-break by owner key
        session.add(ExamResult(owner="n:stray exam twin", points=1, recorded_at=NOW))
    yield app
    app.close()


def test_grade_book_pages_put_together_are_the_grade_book(course: App) -> None:
    with course.sessions.begin() as session:
        whole = gradebook(session, course.ctx.assignments, "latest_on_time", K)
        pages = [
            gradebook_page(session, course.ctx.assignments, "latest_on_time", K, start, 100)
            for start in range(0, len(whole) + 100, 100)
        ]
    assert len(whole) > 200  # three pages and an empty one past the end
    assert all(page.total == len(whole) for page in pages)
    assert [row for page in pages for row in page.rows] == whole
    assert pages[-1].rows == []
    assert any(row.exam == 7.5 and row.student_id is None for row in whole)
    assert sum(bool(row.points) and any(row.points.values()) for row in whole) > 100


def test_grade_book_page_counts_a_graded_student_gone_from_the_roster(course: App) -> None:
    # A roster id that is gone while submissions still carry it (not what ``roster remove``
    # leaves, but what a restore of an older roster could): the book still lists its grades.
    with course.sessions.begin() as session:
        graded = gradebook(session, course.ctx.assignments, "latest_on_time", K)
    victim = next(r for r in graded if r.student_id and any(r.points.values()))
    url = course.settings.database.url
    if url.startswith("sqlite:///"):
        # a connection of its own: foreign keys are off unless asked for
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as raw:
            raw.execute("DELETE FROM student_address WHERE student_id = ?", (victim.student_id,))
            raw.execute("DELETE FROM student WHERE id = ?", (victim.student_id,))
            raw.commit()
    else:
        with course.sessions.begin() as session:
            session.connection().exec_driver_sql("SET LOCAL session_replication_role = replica")
            session.execute(delete(Student).where(Student.id == victim.student_id))
    with course.sessions.begin() as session:
        whole = gradebook(session, course.ctx.assignments, "latest_on_time", K)
        pages = [
            gradebook_page(session, course.ctx.assignments, "latest_on_time", K, start, 100)
            for start in range(0, len(whole), 100)
        ]
    assert [row for page in pages for row in page.rows] == whole
    gone = [r for r in whole if r.student == f"s:{victim.student_id}"]
    assert [r.points for r in gone] == [victim.points]


def test_grade_book_page_shows_its_hundred_students_and_links_the_others(course: App) -> None:
    with course.sessions.begin() as session:
        whole = gradebook(session, course.ctx.assignments, "latest_on_time", K)
    site = create_app(course)
    bearer = {"Authorization": f"Bearer {bearer_token(course)}"}
    with TestClient(site, base_url="http://127.0.0.1") as client:
        second = client.get("/grades?page=2", headers=bearer)
        first = client.get("/grades", headers=bearer).text
        csv = client.get("/grades.csv", headers=bearer).text
    assert second.status_code == 200
    shown = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", second.text)
    assert [int(sid) if sid else None for _, sid in shown] == [r.student_id for r in whole[100:200]]
    assert f"{len(whole)} students" in second.text
    pages = -(-len(whole) // 100)
    assert f"page 2 of {pages}" in second.text
    assert 'href="/grades?page=1"' in second.text
    assert 'href="/grades?page=3"' in second.text
    assert len(re.findall(r"<tr><td>", first)) == 100
    assert len(csv.splitlines()) == len(whole) + 1  # the CSV stays the whole book


def _missing_counts(app: App, now: datetime) -> tuple[dict[str, int | None], Counter[str]]:
    with app.sessions.begin() as session:
        summary = summary_report(session, app.ctx.assignments, "latest_on_time", now)
        listed = Counter(r.assignment for r in missing_report(session, app.ctx.assignments, now))
    return {row.assignment: row.missing for row in summary}, listed


@pytest.mark.parametrize(
    "now", [NOW, deadline_utc("theory-1") - timedelta(days=1), NOW + timedelta(days=400)]
)
def test_summary_counts_the_missing_students_report_missing_lists(
    course: App, now: datetime
) -> None:
    counts, listed = _missing_counts(course, now)
    assert counts == {key: listed[key] for key in counts}
    if now < deadline_utc("theory-1"):
        assert set(counts.values()) == {0}  # nothing is due yet
    else:
        assert sum(counts.values()) > 100


def _bucket(late: bool, late_by: int, arrived: datetime, deadline: datetime) -> int:
    """``BUCKETS`` as documented: late ones by how late, on-time ones by the whole seconds
    left until the deadline minute ends."""
    if late:
        return 4 if late_by < 60 else 5 if late_by < 3600 else 6
    left = round((deadline - arrived).total_seconds()) + 60
    return 3 if left <= 60 else 2 if left <= 3600 else 1 if left <= 86400 else 0


def test_arrival_chart_buckets_every_version_as_documented(course: App) -> None:
    with course.sessions.begin() as session:
        # versions right around the deadline minute, where a rounding slip would show
        edge = deadline_utc("theory-1")
        near = list(session.scalars(select(Submission.id).where(Submission.late.is_(False))))
        for n, sid in enumerate(near[:8]):
            moved = edge + timedelta(seconds=(-3540, -3541, -1, 0, 59, 30, -86340, -86341)[n])
            session.execute(
                update(Submission)
                .where(Submission.id == sid)
                .values(assignment="theory-1", arrived_at=moved)
            )
    with course.sessions.begin() as session:
        found = arrival_histogram(session, course.ctx.assignments)
        rows = session.execute(
            select(
                Submission.assignment,
                Submission.late,
                Submission.late_by_seconds,
                Submission.arrived_at,
                Submission.deadline,
            )
        ).all()
        one = arrival_histogram(session, course.ctx.assignments, "theory-1")
    expected: dict[str, list[int]] = {}
    for key, late, late_by, arrived, deadline in rows:
        expected.setdefault(key, [0] * len(BUCKETS))[_bucket(late, late_by, arrived, deadline)] += 1
    assert {b.assignment: list(b.counts) for b in found} == {
        key: expected.get(key, [0] * len(BUCKETS)) for key in course.ctx.assignments
    }
    assert [list(b.counts) for b in one] == [expected["theory-1"]]
    assert sum(expected["theory-1"][1:4]) >= 8


def _plain_cell(value: object, decimal: str) -> object:
    """The cell rule as first written: ``neutralize`` on everything but numbers."""
    if value is None:
        return ""
    if decimal != "." and isinstance(value, float | Decimal):
        return str(value).replace(".", decimal)
    return csv_text.neutralize(value)


@pytest.mark.parametrize("decimal", [".", ","])
def test_csv_cells_are_written_as_the_plain_rule_writes_them(decimal: str) -> None:
    class Name(str):
        pass

    cells: list[object] = [
        "=HYPERLINK()",
        "+1",
        "-",
        "@x",
        "\tx",
        "\rx",
        "Иван",
        "",
        Name("=sub"),
        7,
        -3,
        True,
        False,
        0.5,
        Decimal("0.5000"),
        None,
    ]
    for cell in cells:
        assert csv_text._cell(cell, decimal) == _plain_cell(cell, decimal), cell
    assert csv_text._cell(Name("=sub"), decimal) == "'=sub"


def _plain_jsonable(value: object, zone: ZoneInfo) -> object:
    """``to_jsonable`` as first written, without its fast paths."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain_jsonable(getattr(value, f.name), zone) for f in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {k: _plain_jsonable(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_jsonable(v, zone) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    return value


def test_json_rows_are_what_the_plain_conversion_makes(course: App) -> None:
    class Kind(enum.StrEnum):
        LATE = "late"

    class Stamp(datetime):
        pass

    @dataclasses.dataclass(frozen=True)
    class Inner:
        when: datetime | None
        kind: Kind

    @dataclasses.dataclass(frozen=True)
    class Outer:
        inner: Inner
        many: tuple[Inner, ...]
        extra: dict[str, object]
        flag: bool
        number: float

    zone = ZoneInfo("Europe/Moscow")
    moment = datetime(2019, 3, 16, 20, 59, 30, tzinfo=UTC)
    sample = Outer(
        Inner(moment, Kind.LATE),
        (Inner(None, Kind.LATE), Inner(Stamp(2019, 1, 1, tzinfo=UTC), Kind.LATE)),
        {"a": [moment, 1, None], "b": Inner},
        True,
        0.5,
    )
    assert to_jsonable(sample, zone) == _plain_jsonable(sample, zone)
    assert to_jsonable(Inner, zone) is Inner  # a class is not a row
    with course.sessions.begin() as session:
        rows = late_report(session, course.store, course.ctx.assignments)
    assert len(rows) > 100
    assert [to_jsonable(r, zone) for r in rows] == [_plain_jsonable(r, zone) for r in rows]
