"""``/login?next=PATH``: back to the page asked for after logging in, and only to this site."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from tdl_inbox.web.app import create_app
from web_support import PASSWORD, add_user, csrf_token


@pytest.fixture
def client(grading_app):
    with TestClient(create_app(grading_app), base_url="http://127.0.0.1") as c:
        yield c


def _log_in_from(client: TestClient, login_page: str, sent_next: str | None = None):  # type: ignore[no-untyped-def]
    """Open ``login_page`` and submit its form (with ``sent_next`` in place of what it holds)."""
    page = client.get(login_page)
    assert page.status_code == 200
    form = {"username": "anna", "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    if sent_next is not None:
        form["next"] = sent_next
    elif 'name="next"' in page.text:
        form["next"] = page.text.split('name="next" value="', 1)[1].split('"', 1)[0]
        form["next"] = form["next"].replace("&amp;", "&")
    return client.post("/login", data=form, follow_redirects=False)


def test_the_queue_sends_a_visitor_to_log_in_and_back_to_the_same_filtered_page(
    run, monkeypatch, client, grading_app
):
    add_user(run, monkeypatch)
    key = next(iter(grading_app.ctx.assignments))
    asked = f"/?assignment={key}&mine=1&page=2"
    bounced = client.get(asked, follow_redirects=False)
    assert bounced.status_code == 303
    location = urlsplit(bounced.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": [asked]}

    logged = _log_in_from(client, bounced.headers["location"])
    assert logged.status_code == 303
    assert logged.headers["location"] == asked
    assert client.get(asked).status_code == 200


def test_without_next_the_login_leads_to_the_queue(run, monkeypatch, client):
    add_user(run, monkeypatch)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert _log_in_from(client, "/login").headers["location"] == "/"


@pytest.mark.parametrize(
    "attack",
    [
        "//evil.example/phish",
        "///evil.example/phish",
        "https://evil.example/phish",
        "http:evil.example",
        "javascript:alert(1)",
        "/\\evil.example/phish",
        "\\\\evil.example/phish",
        "/\t/evil.example/phish",
        "/\n/evil.example/phish",
        "evil.example/phish",
        " //evil.example/phish",
    ],
)
def test_an_open_redirect_through_next_is_refused(run, monkeypatch, client, attack):
    add_user(run, monkeypatch)
    page = client.get("/login", params={"next": attack})
    assert 'name="next"' not in page.text  # the form does not carry it on
    assert "evil.example" not in page.text
    # Even posted straight to the form handler, the login leads home, not away.
    logged = _log_in_from(client, "/login", sent_next=attack)
    assert logged.status_code == 303
    assert logged.headers["location"] == "/"


def test_a_wrong_password_keeps_next_for_the_second_try(run, monkeypatch, client):
    add_user(run, monkeypatch)
    page = client.get("/login", params={"next": "/?all=1"})
    form = {"username": "anna", "password": "wrong password", "csrf_token": csrf_token(page.text)}
    failed = client.post("/login", data={**form, "next": "/?all=1"})
    assert failed.status_code == 401
    assert 'name="next" value="/?all=1"' in failed.text
    assert _log_in_from(client, "/login", sent_next="/?all=1").headers["location"] == "/?all=1"


def test_a_script_in_next_is_escaped_in_the_login_form(run, monkeypatch, client):
    payload = '/"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page = client.get("/login", params={"next": payload}).text
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
