"""The web workspace and its accounts: real databases, Starlette's test client."""

from __future__ import annotations

import io
import json
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tdl_inbox.adapters.db.models import WebUser
from tdl_inbox.app import web_secret_path
from tdl_inbox.web.app import create_app
from web_support import PASSWORD, add_user, csrf_token, logged_in

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(grading_app):
    with TestClient(create_app(grading_app), base_url="http://127.0.0.1") as c:
        yield c


def test_users_commands_store_hashes_only(run, monkeypatch, grading_app):
    add_user(run, monkeypatch)
    code, out, _ = run("users", "add", "boss", "--role", "admin", "--generate")
    assert code == 0
    generated = out.strip().rsplit(" ", 1)[-1]
    code, out, _ = run("users", "list", "--json")
    assert [(u["name"], u["role"], u["token"]) for u in json.loads(out)] == [
        ("anna", "grader", False),
        ("boss", "admin", False),
    ]
    code, out, _ = run("users", "token", "anna")
    token = out.strip().splitlines()[-1]
    assert code == 0
    assert len(token) >= 40
    with grading_app.sessions.begin() as db:
        stored = {u.name: (u.password_hash, u.token_hash) for u in db.scalars(select(WebUser))}
    assert stored["anna"][0].startswith("$argon2")
    assert PASSWORD not in stored["anna"][0]
    assert generated not in stored["boss"][0]
    assert stored["anna"][1] is not None
    assert token not in stored["anna"][1]

    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert run("users", "passwd", "anna", "--password-stdin")[0] == 0
    with grading_app.sessions.begin() as db:
        assert (
            db.scalar(select(WebUser.password_hash).where(WebUser.name == "anna"))
            != (stored["anna"][0])
        )
    assert run("users", "token", "anna", "--revoke")[0] == 0
    assert json.loads(run("users", "list", "--json")[1])[0]["token"] is False
    assert run("users", "remove", "boss")[0] == 0
    code, _, err = run("users", "remove", "boss")
    assert code != 0
    assert "no web user boss" in err
    code, _, err = run("users", "add", "anna", "--role", "grader", "--generate")
    assert code != 0
    assert "exists already" in err


def test_login_sets_a_strict_httponly_cookie_and_shows_the_queue(run, monkeypatch, client):
    add_user(run, monkeypatch)
    response = logged_in(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert "Queue: 0 to grade" in page.text
    assert re.search(r"<title>(.*?)</title>", page.text, re.S).group(1) == "Queue · tdl-inbox"
    assert page.text.count('class="summary"') == 1  # the counts and progress, shown once
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_a_wrong_password_is_refused_and_five_failures_a_minute_give_429(run, monkeypatch, client):
    add_user(run, monkeypatch)
    for _ in range(5):
        assert logged_in(client, password="wrong password").status_code == 401
    assert logged_in(client, password="wrong password").status_code == 429
    assert logged_in(client).status_code == 429  # even the right one, for a minute
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_forbidden(run, monkeypatch, client):
    add_user(run, monkeypatch)
    client.get("/login")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 403
    assert logged_in(client).status_code == 303
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403


def test_every_route_needs_a_login(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    response = client.get("/api/queue")
    assert response.status_code == 401
    assert "error" in response.json()
    bad = client.get("/api/queue", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/login").status_code == 200


def test_mail_text_is_escaped_in_the_queue_page(run, monkeypatch, client, deliver):
    deliver("Theory 1 - <script>alert(1)</script>", ON_TIME, "eve@example.org")
    add_user(run, monkeypatch)
    logged_in(client)
    page = client.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_api_queue_is_queue_json_and_takes_a_bearer_token(
    run, monkeypatch, client, deliver, grading_app
):
    deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    deliver("Theory 1 - Petr Petrov", ON_TIME + timedelta(days=30), "petr@example.org")
    add_user(run, monkeypatch)
    token = run("users", "token", "anna")[1].strip().splitlines()[-1]
    key = next(iter(grading_app.ctx.assignments))
    bearer = {"Authorization": f"Bearer {token}"}
    for query, args in [
        ("", []),
        ("?all=1", ["--all"]),
        (f"?assignment={key}&all=1", ["--assignment", key, "--all"]),
    ]:
        from_api = client.get(f"/api/queue{query}", headers=bearer)
        assert from_api.status_code == 200
        assert from_api.json() == json.loads(run("queue", "--json", *args)[1])
    assert run("users", "token", "anna", "--revoke")[0] == 0
    assert client.get("/api/queue", headers=bearer).status_code == 401


def test_the_queue_page_shows_at_most_100_rows(run, monkeypatch, client, deliver):
    for n in range(130):
        surname = "Stud" + chr(97 + n % 26) + chr(97 + n // 26)
        deliver(f"Theory 1 - Ivan {surname}", ON_TIME - timedelta(minutes=n), f"s{n}@example.org")
    add_user(run, monkeypatch)
    logged_in(client)
    first = client.get("/").text
    assert first.count('<tr><td><a href="/submissions/s') == 100
    assert "page 1 of 2" in first
    total = int(re.search(r"Queue: (\d+) to grade", first).group(1))
    assert total > 100
    assert client.get("/?page=2").text.count('<tr><td><a href="/submissions/s') == total - 100


def test_the_cookie_is_secure_with_an_https_base_url(run, monkeypatch, grading_app):
    add_user(run, monkeypatch)
    settings = grading_app.settings
    web = settings.web.model_copy(update={"base_url": "https://grading.example.org"})
    grading_app.replace_settings(settings.model_copy(update={"web": web}))
    with TestClient(create_app(grading_app), base_url="https://127.0.0.1") as client:
        assert "Secure" in logged_in(client).headers["set-cookie"]


def test_the_secret_key_file_is_made_once_readable_by_its_owner_only(grading_app):
    create_app(grading_app)
    path = web_secret_path(grading_app.settings)
    first = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    create_app(grading_app)
    assert path.read_bytes() == first
    assert first not in grading_app.settings.source.read_bytes()


def test_serve_refuses_a_public_address_without_an_https_base_url(run):
    code, _, err = run("serve", "--host", "0.0.0.0")
    assert code != 0
    assert "web.base_url" in err
    assert "Traceback" not in err


def test_a_cookie_authenticated_api_change_needs_the_csrf_header(run, monkeypatch, grading_app):
    from starlette.responses import JSONResponse

    from tdl_inbox.web.auth import caller

    site = create_app(grading_app)

    def change(request):  # stands for any state-changing API route
        who = caller(request)
        if who is None:
            return JSONResponse({"error": "login required"}, 401)
        return JSONResponse({"changed_by": who.account.name})

    site.add_route("/api/change", change, methods=["POST"])
    add_user(run, monkeypatch)
    token = run("users", "token", "anna")[1].strip().splitlines()[-1]
    with TestClient(site, base_url="http://127.0.0.1") as client:
        logged_in(client)
        refused = client.post("/api/change")
        assert refused.status_code == 403
        assert "error" in refused.json()
        assert client.post("/api/change", headers={"X-CSRF-Token": "forged"}).status_code == 403
        page_token = csrf_token(client.get("/").text)
        allowed = client.post("/api/change", headers={"X-CSRF-Token": page_token})
        assert allowed.json() == {"changed_by": "anna"}
    with TestClient(site, base_url="http://127.0.0.1") as stranger:
        bearer = {"Authorization": f"Bearer {token}"}
        assert stranger.post("/api/change", headers=bearer).json() == {"changed_by": "anna"}
        assert (
            stranger.post("/api/change", headers={"Authorization": "Bearer x"}).status_code == 401
        )


def test_a_removed_user_is_logged_out_at_once(run, monkeypatch, client, capsys):
    add_user(run, monkeypatch)
    assert logged_in(client, password="wrong password").status_code == 401
    # the CLI's logging setup (from `users add`) writes to standard error
    assert "web login failed: user 'anna' from testclient" in capsys.readouterr().err
    logged_in(client)
    assert client.get("/", follow_redirects=False).status_code == 200
    assert run("users", "remove", "anna")[0] == 0
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_mine_filter_shows_the_graders_own_claims(run, monkeypatch, client, deliver):
    deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    sid = deliver("Theory 1 - Petr Petrov", ON_TIME, "petr@example.org")
    add_user(run, monkeypatch)
    assert run("claim", str(sid), "--grader", "anna")[0] == 0
    logged_in(client)
    mine = client.get("/api/queue?mine=1").json()
    assert [item["id"] for item in mine] == [sid]
    assert mine == json.loads(run("queue", "--json", "--mine", "--grader", "anna")[1])
    page = client.get("/?mine=1").text
    assert "Petr Petrov" in page
    assert "Ivan Ivanov" not in page
