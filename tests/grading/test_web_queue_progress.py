"""The queue page's counts per assignment, the graders' progress and the claimed filter, and
paging that never renders more than 100 rows: on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tdl_inbox.adapters.db.models import Submission
from tdl_inbox.app import utc_now
from tdl_inbox.services.grading.grades import record_grade
from tdl_inbox.services.grading.progress import GraderProgress, grader_progress
from tdl_inbox.services.grading.queue import claim
from tdl_inbox.services.grading.regrades import open_request
from tdl_inbox.web.app import create_app
from web_support import add_user, logged_in

# theory-1 is due 2019-03-16 20:59 UTC; lab-1 2019-03-30 20:59 UTC.
ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LATE = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)
STUDENTS = ["Ivan Ivanov", "Petr Petrov", "Anna Sidorova", "Olga Orlova"]


@pytest.fixture
def client(grading_app, run, monkeypatch):
    add_user(run, monkeypatch, "anna")
    with TestClient(create_app(grading_app), base_url="http://127.0.0.1") as c:
        assert logged_in(c, "anna").status_code == 303
        yield c


def _counts(page: str) -> dict[str, int]:
    rows = re.findall(r'<tr class="count"><td>([^<]*)</td><td>(\d+)</td></tr>', page)
    return {key: int(n) for key, n in rows}


def _progress(page: str) -> dict[str, tuple[int, int, int]]:
    cells = r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>"
    rows = re.findall(rf'<tr class="grader"><td>([^<]*)</td>{cells}</tr>', page)
    return {name: (int(a), int(b), int(c)) for name, a, b, c in rows}


def _total(page: str) -> int:
    found = re.search(r"Queue: (\d+) to grade", page)
    assert found is not None
    return int(found.group(1))


def _refs(page: str) -> list[str]:
    return re.findall(r"<tr><td><a href=\"/submissions/s\d+\">(s\d+)</a></td>", page)


def _grade(app, sid: int, grader: str, now: datetime) -> None:
    with app.sessions.begin() as session:
        record_grade(session, app.ctx.assignments, "latest_on_time", sid, 5, 0, None, grader, now)


def _claim(app, sid: int, grader: str, now: datetime, minutes: int = 30) -> None:
    with app.sessions.begin() as session:
        claim(session, sid, grader, now, timedelta(minutes=minutes))


def test_counts_per_assignment_follow_the_filters_but_not_the_chosen_assignment(
    run, client, deliver, grading_app
):
    theory = [
        deliver(f"Theory 1 - {n}", ON_TIME, f"t{i}@example.org") for i, n in enumerate(STUDENTS)
    ]
    labs = [
        deliver(f"Lab 1 - {n}", ON_TIME, f"l{i}@example.org") for i, n in enumerate(STUDENTS[:2])
    ]
    deliver("Theory 1 - Late Latecomer", LATE, "late@example.org")
    _grade(grading_app, theory[0], "anna", utc_now())

    page = client.get("/").text
    assert _counts(page) == {"lab-1": 2, "theory-1": 3}
    assert _total(page) == 5
    assert _counts(page) == Counter(i["assignment"] for i in json.loads(run("queue", "--json")[1]))

    one = client.get("/?assignment=lab-1").text
    assert _total(one) == 2
    assert sorted(_refs(one)) == sorted(f"s{sid}" for sid in labs)
    assert _counts(one) == {"lab-1": 2, "theory-1": 3}  # the other assignments stay in view

    late_too = client.get("/?all=1").text
    assert _counts(late_too) == {"lab-1": 2, "theory-1": 4}
    assert _total(late_too) == 6


def test_progress_shows_graded_today_graded_in_total_and_live_claims(
    run, client, deliver, grading_app
):
    sids = [
        deliver(f"Theory 1 - {n}", ON_TIME, f"t{i}@example.org") for i, n in enumerate(STUDENTS)
    ]
    now = utc_now()
    _grade(grading_app, sids[0], "anna", now)
    _grade(grading_app, sids[0], "anna", now)  # saved twice: one submission graded
    _grade(grading_app, sids[1], "anna", now - timedelta(days=3))
    _claim(grading_app, sids[2], "boris", now)
    _claim(grading_app, sids[3], "boris", now - timedelta(hours=2))  # expired long ago
    hostile = "<img src=x onerror=alert(1)>"
    assert run("claim", f"s{sids[3]}", "--grader", hostile)[0] == 0

    page = client.get("/").text
    assert _progress(page) == {
        "anna": (1, 2, 0),
        "boris": (0, 0, 1),
        "&lt;img src=x onerror=alert(1)&gt;": (0, 0, 1),
    }
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_graded_today_is_the_course_day_not_the_utc_day(grading_app, deliver):
    sids = [
        deliver(f"Theory 1 - {n}", ON_TIME, f"t{i}@example.org") for i, n in enumerate(STUDENTS)
    ]
    moscow = ZoneInfo("Europe/Moscow")  # UTC+3
    now = datetime(2019, 4, 2, 10, 0, tzinfo=moscow)
    _grade(grading_app, sids[0], "anna", datetime(2019, 4, 1, 21, 30, tzinfo=UTC))  # 00:30 MSK
    _grade(grading_app, sids[1], "anna", datetime(2019, 4, 1, 20, 30, tzinfo=UTC))  # 23:30 MSK
    with grading_app.sessions.begin() as session:
        assert grader_progress(session, now, moscow) == [GraderProgress("anna", 1, 2, 0)]


def test_the_claimed_filter_on_the_page_and_the_api(run, client, deliver, grading_app):
    sids = [
        deliver(f"Theory 1 - {n}", ON_TIME, f"t{i}@example.org") for i, n in enumerate(STUDENTS)
    ]
    now = utc_now()
    _claim(grading_app, sids[0], "anna", now)
    _claim(grading_app, sids[2], "boris", now)
    _claim(grading_app, sids[3], "boris", now - timedelta(hours=2))  # expired: unclaimed

    claimed = client.get("/?claimed=yes").text
    assert _refs(claimed) == [f"s{sids[0]}", f"s{sids[2]}"]
    assert _total(claimed) == 2
    assert _counts(claimed) == {"theory-1": 2}
    unclaimed = client.get("/?claimed=no").text
    assert _refs(unclaimed) == [f"s{sids[1]}", f"s{sids[3]}"]
    assert 'value="no" selected' in unclaimed

    everything = client.get("/api/queue").json()
    assert everything == json.loads(run("queue", "--json", "--grader", "anna")[1])
    assert client.get("/api/queue?claimed=yes").json() == [
        i for i in everything if i["claimed_by"] is not None
    ]
    assert client.get("/api/queue?claimed=no").json() == [
        i for i in everything if i["claimed_by"] is None
    ]
    mine_claimed = client.get("/api/queue?mine=1&claimed=yes").json()
    assert [i["id"] for i in mine_claimed] == [sids[0]]

    bad = client.get("/api/queue?claimed=maybe")
    assert bad.status_code == 400
    assert "claimed=yes or claimed=no" in bad.json()["error"]
    assert client.get("/?claimed=maybe").status_code == 400


def test_pages_of_100_rows_cover_the_work_list_in_order_regrade_requests_last(
    client, deliver, grading_app
):
    letters = "abcfghklmnoprstu"
    for n in range(215):  # a few names are one student's to the roster's matching
        name = "Ivan Stud" + letters[n % 16] + letters[n // 16]
        deliver(f"Theory 1 - {name}", ON_TIME - timedelta(minutes=n), f"s{n}@example.org")
    regraded = deliver("Lab 1 - Regrade Requester", ON_TIME, "regrade@example.org")
    _grade(grading_app, regraded, "anna", utc_now())
    with grading_app.sessions.begin() as session:
        message_pk = session.scalar(select(Submission.message_pk).where(Submission.id == regraded))
        open_request(
            session,
            submission_id=regraded,
            message_pk=message_pk,
            text="please look again",
            routed_to="anna",
            actor="student",
            now=utc_now(),
        )

    everything = [f"s{i['id']}" for i in client.get("/api/queue").json()]
    total = len(everything)
    assert 200 < total < 300
    assert everything[-1] == f"s{regraded}"
    pages = [client.get(f"/?page={n}").text for n in (1, 2, 3)]
    assert [len(_refs(p)) for p in pages] == [100, 100, total - 200]
    assert [ref for p in pages for ref in _refs(p)] == everything
    assert all(_total(p) == total for p in pages)
    assert all(_counts(p) == {"lab-1": 1, "theory-1": total - 1} for p in pages)
    assert "page 3 of 3" in pages[2]
    assert _refs(client.get("/?page=9").text) == []
