"""Roles, the admin pages and API, and the grade book of the web workspace: real databases
(SQLite and PostgreSQL), Starlette's test client, the CLI for comparison."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from grading.conftest import make_grading_app
from tdl_inbox.adapters.db.models import HistoryEvent, Student, Submission
from tdl_inbox.web.app import create_app
from web_support import add_user, csrf_token, logged_in

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
# theory-1 is due 2019-03-16 23:59 Moscow time (20:59 UTC); this is 13 hours late
LATE = datetime(2019, 3, 17, 10, 0, tzinfo=UTC)
PAYLOAD = '<img src=x onerror="alert(1)"><script>window.__pwned=1</script>'
ESCAPED = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
FORMULA = '=HYPERLINK("http://evil.example")'

ADMIN_PAGES = [
    "/admin",
    "/admin/late",
    "/admin/missing",
    "/admin/extensions",
    "/admin/submissions",
    "/admin/roster",
]
ADMIN_FORMS = {
    "/admin/extensions": {
        "student": "Ivan Ivanov",
        "assignment": "theory-1",
        "until": "2019-03-20T23:59",
        "reason": "ill",
    },
    "/admin/extensions/revoke": {"student": "Ivan Ivanov", "assignment": "theory-1", "reason": "x"},
    "/admin/choose": {"submission": "s1"},
    "/admin/relink": {"submission": "s1", "student": "Ivan Ivanov"},
    "/admin/publish": {"assignment": "theory-1"},
}
GRANT = {"student": "Ivan Ivanov", "assignment": "theory-1", "until": "2019-03-20T23:59"}


@pytest.fixture
def client(grading_app):
    with TestClient(create_app(grading_app), base_url="http://127.0.0.1") as c:
        yield c


def as_admin(run, monkeypatch, client: TestClient) -> str:
    """Log ``client`` in as the admin ``boss``; the page's CSRF token."""
    add_user(run, monkeypatch, "boss", "admin")
    assert logged_in(client, "boss").status_code == 303
    return csrf_token(client.get("/").text)


def history(app, action: str) -> list[tuple[str, dict]]:
    with app.sessions.begin() as db:
        events = db.scalars(select(HistoryEvent).where(HistoryEvent.action == action))
        return [(e.actor, json.loads(e.details)) for e in events]


def late_deadlines(run) -> dict[int, str]:
    code, out, err = run("report", "late", "--json")
    assert code == 0, err
    return {row["id"]: row["deadline"] for row in json.loads(out)}


def test_every_admin_page_opens_for_an_admin_with_hostile_text_escaped(
    run, monkeypatch, client, deliver
):
    assert run("roster", "add", f"Eve {PAYLOAD}", "eve@example.org")[0] == 0
    assert run("roster", "add", "Petr Petrov", "petr@example.org")[0] == 0
    sid = deliver(f"Theory 1 - Mallory {PAYLOAD}", LATE, f'"{PAYLOAD}" <mallory@example.org>')
    deliver("Lab 1 - Petr Petrov", ON_TIME, "petr@example.org")
    assert run("grade", str(sid), "--points", "5", "--grader", "anna")[0] == 0
    extend = ["extend", "eve@example.org", "lab-1", "--until", "2019-04-02", "--reason", PAYLOAD]
    assert run(*extend)[0] == 0
    as_admin(run, monkeypatch, client)
    for path in [*ADMIN_PAGES, "/grades", "/admin/late?assignment=Theory-1"]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>window.__pwned" not in page.text, path
        assert "<img src=x" not in page.text, path
        assert 'href="/admin"' in page.text, path  # the nav shows admins the admin pages
    pages = {path: client.get(path).text for path in [*ADMIN_PAGES, "/grades"]}
    assert '<svg class="chart"' in pages["/admin"]
    assert pages["/admin"].count('<svg class="chart"') == 3  # one per assignment
    for path in [*ADMIN_PAGES[1:], "/grades"]:  # all but the summary show names
        assert ESCAPED in pages[path], path
    assert "mallory@example.org" in pages["/admin/late"]
    assert "Received:" in pages["/admin/late"]  # the evidence
    assert "Eve " in pages["/admin/missing"]
    assert "2019-04-02" in pages["/admin/extensions"]
    assert "Petr Petrov" in pages["/admin/roster"]
    assert "5*" in pages["/grades"]  # graded, not published
    assert client.get("/admin/late?assignment=nope").status_code == 404


def test_a_grader_is_refused_every_admin_page_form_and_api_route(
    run, monkeypatch, client, deliver, grading_app
):
    deliver("Theory 1 - Ivan Ivanov", LATE)
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org")[0] == 0
    add_user(run, monkeypatch, "anna", "grader")
    token = run("users", "token", "anna")[1].strip().splitlines()[-1]
    assert logged_in(client, "anna").status_code == 303
    queue = client.get("/").text
    assert 'href="/grades"' in queue
    assert 'href="/admin"' not in queue  # no Admin in a grader's nav bar
    page_token = csrf_token(queue)
    for path in ADMIN_PAGES:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "for admins only" in refused.text
    for path, fields in ADMIN_FORMS.items():
        refused = client.post(path, data={**fields, "csrf_token": page_token})
        assert refused.status_code == 403, path
        assert "for admins only" in refused.text
    api = client.get("/api/reports/late")
    assert api.status_code == 403
    assert "admins only" in api.json()["error"]
    posted = client.post("/api/extensions", json=GRANT, headers={"X-CSRF-Token": page_token})
    assert posted.status_code == 403
    assert "admins only" in posted.json()["error"]
    with TestClient(create_app(grading_app), base_url="http://127.0.0.1") as script:
        bearer = {"Authorization": f"Bearer {token}"}
        assert script.get("/api/reports/late", headers=bearer).status_code == 403
        assert script.post("/api/extensions", json=GRANT, headers=bearer).status_code == 403
        assert script.get("/grades.csv", headers=bearer).status_code == 200
        # without credentials: the login page, or 401 for the API
        assert script.get("/admin", follow_redirects=False).headers["location"] == (
            "/login?next=%2Fadmin"
        )
        assert script.get("/grades", follow_redirects=False).headers["location"] == (
            "/login?next=%2Fgrades"
        )
        assert script.get("/api/reports/late").status_code == 401
    assert client.get("/grades").status_code == 200  # the grade book is for graders too
    assert json.loads(run("extensions", "--json")[1]) == []
    with grading_app.sessions.begin() as db:
        assert db.scalar(select(Submission.link_manual)) is False  # not relinked


def test_admin_forms_and_cookie_api_calls_without_the_csrf_token_are_refused(
    run, monkeypatch, client, deliver, grading_app
):
    deliver("Theory 1 - Ivan Ivanov", LATE)
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org")[0] == 0
    as_admin(run, monkeypatch, client)
    for path, fields in ADMIN_FORMS.items():
        assert client.post(path, data=fields).status_code == 403, path
        forged = client.post(path, data={**fields, "csrf_token": "forged"})
        assert forged.status_code == 403, path
    assert client.post("/api/extensions", json=GRANT).status_code == 403
    assert json.loads(run("extensions", "--json")[1]) == []
    with grading_app.sessions.begin() as db:
        assert db.scalar(select(Submission.link_manual)) is False


def test_the_grade_book_csv_is_byte_identical_to_the_cli_and_quotes_formulas(
    run, monkeypatch, client, deliver, tmp_path
):
    assert run("roster", "add", FORMULA, "mallory@example.org")[0] == 0
    assert run("roster", "add", "Пётр Петров", "petr@example.org", "--group", "Б05-123")[0] == 0
    first = deliver("Theory 1 - Пётр Петров", ON_TIME, "petr@example.org")
    second = deliver(f"Lab 1 - {PAYLOAD}", ON_TIME, "mallory@example.org")
    assert run("grade", str(first), "--points", "7.5", "--extra", "1", "--grader", "anna")[0] == 0
    assert run("grade", str(second), "--points", "3", "--grader", "anna")[0] == 0
    assert run("exam", "set", "petr@example.org", "8")[0] == 0
    add_user(run, monkeypatch, "anna", "grader")
    logged_in(client, "anna")
    from_cli = tmp_path / "grades.csv"
    assert run("grades", "--format", "csv", "--output", str(from_cli))[0] == 0
    download = client.get("/grades.csv")
    assert download.status_code == 200
    assert download.content == from_cli.read_bytes()
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == 'attachment; filename="grades.csv"'
    text = download.content.decode("utf-8")
    assert text.startswith("\ufeffstudent,")
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it
    assert "\r\n=" not in text
    assert ",=" not in text
    assert "Пётр Петров" in text
    page = client.get("/grades").text
    assert "7.5*" in page
    assert "Б05-123" in page
    assert FORMULA.replace('"', "&#34;") in page


SMTP = """
[smtp]
host = "127.0.0.1"
port = 9
security = "plain"
from = "TDL course <tdl_course_mipt@protonmail.com>"
"""


@pytest.fixture
def publishing_app(tmp_path, db_url):
    """An app with [smtp]: publish queues grade mails in the outbox (nothing is sent here)."""
    app = make_grading_app(tmp_path, db_url, SMTP)
    yield app
    app.close()


def test_the_publish_button_queues_what_publish_would_and_the_grade_book_says_so(
    publishing_app, monkeypatch, capsys, deliver
):
    from functools import partial

    from support import run_cli

    run = partial(run_cli, capsys, publishing_app)
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME, app=publishing_app)
    deliver("Lab 1 - Ivan Ivanov", ON_TIME, app=publishing_app)
    assert run("grade", str(sid), "--points", "9", "--grader", "anna")[0] == 0
    with TestClient(create_app(publishing_app), base_url="http://127.0.0.1") as client:
        token = as_admin(run, monkeypatch, client)
        assert "9*" in client.get("/grades").text
        done = client.post("/admin/publish", data={"assignment": "theory-1", "csrf_token": token})
        assert done.status_code == 200
        assert "theory-1: queued 1 grade mail" in done.text
        assert f"s{sid}" in done.text
        assert "ivan@example.org" in done.text
        assert "9*" not in client.get("/grades").text
        again = client.post("/admin/publish", data={"assignment": "theory-1", "csrf_token": token})
        assert "theory-1: queued 0 grade mails" in again.text
        unknown = client.post("/admin/publish", data={"assignment": "nope", "csrf_token": token})
        assert unknown.status_code == 404
        assert "unknown assignment nope" in unknown.text
    assert json.loads(run("grades", "--json")[1])[0]["published"] == {"theory-1": True}
    assert history(publishing_app, "publish")[0][0] == "boss"


def test_publish_without_smtp_says_so_in_one_line(run, monkeypatch, client):
    token = as_admin(run, monkeypatch, client)
    refused = client.post("/admin/publish", data={"assignment": "theory-1", "csrf_token": token})
    assert refused.status_code == 422
    assert "no [smtp] section in the config" in refused.text


def test_grant_and_revoke_an_extension_move_the_deadline_in_report_late(
    run, monkeypatch, client, deliver, grading_app
):
    sid = deliver("Theory 1 - Ivan Ivanov", LATE)
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org")[0] == 0
    before = late_deadlines(run)[sid]
    token = as_admin(run, monkeypatch, client)
    assert client.get("/api/reports/late").json() == json.loads(run("report", "late", "--json")[1])
    only = client.get("/api/reports/late?assignment=Theory-1").json()
    assert only == json.loads(run("report", "late", "--json", "--assignment", "theory-1")[1])
    assert [row["id"] for row in only] == [sid]
    unknown = client.get("/api/reports/late?assignment=theory-9")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unknown assignment theory-9 (see `tdl-inbox assignments`)"

    form = {**GRANT, "until": "2019-03-17T12:00", "reason": "hospital", "csrf_token": token}
    granted = client.post("/admin/extensions", data=form)
    assert granted.status_code == 200
    assert "Ivan Ivanov: theory-1 due 2019-03-17 12:00:00 +0300" in granted.text
    assert late_deadlines(run)[sid] == "2019-03-17T12:00:00+03:00"
    assert client.get("/api/reports/late").json() == json.loads(run("report", "late", "--json")[1])
    assert history(grading_app, "extension granted")[0][0] == "boss"

    for fields, status, line in [
        ({"student": "Nobody Here"}, 404, "no roster student matches &#39;Nobody Here&#39;"),
        ({"until": "next friday"}, 422, "expected a date like 2019-03-20"),
        ({"until": "2019-03-01"}, 422, "is not after the theory-1 deadline"),
        ({"assignment": "theory-9"}, 404, "unknown assignment theory-9"),
    ]:
        refused = client.post("/admin/extensions", data={**form, **fields})
        assert refused.status_code == status, fields
        assert line in refused.text, fields
        assert refused.text.count('class="error"') == 1
    assert late_deadlines(run)[sid] == "2019-03-17T12:00:00+03:00"

    revoke = {"student": "Ivan Ivanov", "assignment": "theory-1", "csrf_token": token}
    no_reason = client.post("/admin/extensions/revoke", data={**revoke, "reason": " "})
    assert no_reason.status_code == 422
    revoked = client.post("/admin/extensions/revoke", data={**revoke, "reason": "no evidence"})
    assert revoked.status_code == 200
    assert "extension removed" in revoked.text
    assert late_deadlines(run)[sid] == before
    assert history(grading_app, "extension revoked")[0][0] == "boss"
    assert history(grading_app, "extension revoked")[0][1]["reason"] == "no evidence"
    again = client.post("/admin/extensions/revoke", data={**revoke, "reason": "twice"})
    assert again.status_code == 404
    assert "there was no such extension" in again.text


def test_the_extensions_api_is_extend(run, monkeypatch, client, deliver, grading_app):
    sid = deliver("Theory 1 - Ivan Ivanov", LATE)
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org")[0] == 0
    add_user(run, monkeypatch, "boss", "admin")
    token = run("users", "token", "boss")[1].strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    body = {**GRANT, "until": "2019-03-17T12:00", "reason": "hospital"}
    granted = client.post("/api/extensions", json=body, headers=bearer)
    assert granted.status_code == 200
    assert granted.json() == json.loads(run("extensions", "--json")[1])[0]
    assert granted.json()["until"] == "2019-03-17T12:00:00+03:00"
    assert late_deadlines(run)[sid] == "2019-03-17T12:00:00+03:00"
    assert history(grading_app, "extension granted")[0][0] == "boss"

    _, _, cli_error = run("extend", "Ivan Ivanov", "theory-1", "--until", "next friday")
    for change, status in [
        ({"until": "next friday"}, 422),
        ({"until": "2019-03-01"}, 422),
        ({"student": "Nobody Here"}, 404),
        ({"assignment": "theory-9"}, 404),
        ({"until": None}, 422),
        ({"reason": 5}, 422),
    ]:
        refused = client.post("/api/extensions", json={**body, **change}, headers=bearer)
        assert refused.status_code == status, change
        assert refused.json()["error"], change
    bad_date = client.post("/api/extensions", json={**body, "until": "next friday"}, headers=bearer)
    assert bad_date.json()["error"] in cli_error  # the same message as the command line's
    _, _, cli_error = run("extend", "Nobody Here", "theory-1", "--until", "2019-03-20")
    unknown = client.post(
        "/api/extensions", json={**body, "student": "Nobody Here"}, headers=bearer
    )
    assert unknown.json()["error"] in cli_error
    for raw in [b"not json", b"[1, 2]"]:
        assert client.post("/api/extensions", content=raw, headers=bearer).status_code == 422


def test_choose_and_relink_take_effect(run, monkeypatch, client, deliver, grading_app):
    assert run("roster", "add", "Пётр Петров", "petr@example.org")[0] == 0
    first = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    second = deliver("Theory 1 - Ivan Ivanov", LATE)
    stray = deliver("Theory 1 - Petya", ON_TIME, "petya.home@example.org")
    token = as_admin(run, monkeypatch, client)

    def chosen() -> int | None:
        with grading_app.sessions.begin() as db:
            return db.scalar(
                select(Submission.id).where(
                    Submission.chosen.is_(True), Submission.id.in_([first, second])
                )
            )

    assert chosen() != first
    done = client.post("/admin/choose", data={"submission": f"s{first}", "csrf_token": token})
    assert done.status_code == 200
    assert f"submission s{first} now counts for theory-1 of Ivan Ivanov" in done.text
    assert chosen() == first
    assert history(grading_app, "choose")[0][0] == "boss"

    relinked = client.post(
        "/admin/relink",
        data={"submission": f"s{stray}", "student": "petr@example.org", "csrf_token": token},
    )
    assert relinked.status_code == 200
    assert f"submission s{stray} now belongs to Пётр Петров" in relinked.text
    with grading_app.sessions.begin() as db:
        petr = db.scalar(select(Student.id).where(Student.email == "petr@example.org"))
        sub = db.get(Submission, stray)
        assert sub is not None
        assert (sub.student_id, sub.link_manual) == (petr, True)
    assert history(grading_app, "relink")[0][0] == "boss"

    for path, fields, status, line in [
        ("/admin/choose", {"submission": "s999"}, 404, "s999"),
        ("/admin/choose", {"submission": "yesterday"}, 422, "yesterday"),
        ("/admin/relink", {"submission": f"s{stray}", "student": "Nobody"}, 404, "Nobody"),
    ]:
        refused = client.post(path, data={**fields, "csrf_token": token})
        assert refused.status_code == status, fields
        assert line in refused.text
        assert refused.text.count('class="error"') == 1


def test_revoking_on_the_command_line_keeps_the_reason_too(run, grading_app):
    assert run("extend", "Ivan Ivanov", "theory-1", "--until", "2019-03-20")[0] == 0
    revoke = ["extend", "Ivan Ivanov", "theory-1", "--revoke", "--reason", "granted by mistake"]
    assert run(*revoke)[0] == 0
    (event,) = history(grading_app, "extension revoked")
    assert event[1]["reason"] == "granted by mistake"


def test_the_late_report_page_shows_at_most_100_rows(run, monkeypatch, client, deliver):
    for n in range(105):
        surname = "Stud" + chr(97 + n % 26) + chr(97 + n // 26)
        deliver(f"Theory 1 - Ivan {surname}", LATE, f"s{n}@example.org")
    as_admin(run, monkeypatch, client)
    first = client.get("/admin/late").text
    assert "Late versions: 105" in first
    assert len(re.findall(r"<td>s\d+</td>", first)) == 100
    assert "page 1 of 2" in first
    second = client.get("/admin/late?page=2").text
    shown = re.findall(r"<td>(s\d+)</td>", first) + re.findall(r"<td>(s\d+)</td>", second)
    in_report = [row["ref"] for row in json.loads(run("report", "late", "--json")[1])]
    assert shown == in_report  # the same rows in the same order, split in two pages


def test_the_missing_report_page_shows_at_most_100_rows(run, monkeypatch, client, tmp_path):
    roster = tmp_path / "roster.csv"
    lines = "".join(
        f"Student {chr(65 + n // 26)}{chr(97 + n % 26)},s{n}@example.org\n" for n in range(105)
    )
    roster.write_text("name,email\n" + lines, encoding="utf-8")
    assert run("roster", "import", str(roster))[0] == 0
    as_admin(run, monkeypatch, client)
    cell = re.compile(r"<tr><td>([^<]*)</td><td class=wrap>([^<]*)</td>")
    pages = [client.get(f"/admin/missing?page={n}").text for n in (1, 2, 3, 4)]
    assert "Missing: 315" in pages[0]  # three assignments past their deadlines
    assert "page 1 of 4" in pages[0]
    assert [len(cell.findall(page)) for page in pages] == [100, 100, 100, 15]
    in_report = json.loads(run("report", "missing", "--json")[1])
    assert [pair for page in pages for pair in cell.findall(page)] == [
        (row["assignment"], row["student"]) for row in in_report
    ]
