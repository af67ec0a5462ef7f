"""The workspace's JSON API for graders: the CLI's JSON, its refusals as status codes, and two
graders at once (real databases, Starlette's test client)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from tdl_inbox.web import urls
from tdl_inbox.web.app import create_app
from web_support import add_user, csrf_token, logged_in

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

ROUTES = [
    ("POST", "/api/next"),
    ("GET", "/api/submissions/s1"),
    ("POST", "/api/submissions/s1/claim"),
    ("POST", "/api/submissions/s1/release"),
    ("POST", "/api/submissions/s1/grade"),
    ("GET", "/api/grades"),
]


@pytest.fixture
def site(grading_app):
    return create_app(grading_app)


@pytest.fixture
def client(site):
    with TestClient(site, base_url="http://127.0.0.1") as c:
        yield c


def token_of(run, monkeypatch, name: str) -> dict[str, str]:
    """A grader NAME with an API token: the ``Authorization`` header to send."""
    add_user(run, monkeypatch, name)
    code, out, _ = run("users", "token", name)
    assert code == 0
    return {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}


def cli_json(run, *argv: str):
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    return json.loads(out) if out else None


def grades_of(run, sid: int) -> list[tuple[str, float]]:
    return [(g["grader"], g["points"]) for g in cli_json(run, "show", f"s{sid}")["grades"]]


def test_every_route_needs_valid_credentials(client):
    for method, path in ROUTES:
        for headers in [{}, {"Authorization": "Bearer not-a-token"}]:
            response = client.request(method, path, headers=headers, json={"points": 1})
            assert response.status_code == 401, (method, path, headers)
            assert response.json() == {
                "error": "login required: log in, or send Authorization: Bearer TOKEN"
            }


def test_show_is_show_json_plus_the_files_urls_and_mail_text_stays_data(
    run, monkeypatch, client, deliver
):
    sid = deliver(
        f"Theory 1 - {SCRIPT}",
        ON_TIME,
        "eve@example.org",
        attachments=[(f"{IMG}.pdf", b"%PDF-1.4 one\n"), ("notes.txt", b"two\n")],
    )
    assert run("grade", f"s{sid}", "-p", "7", "-g", "bob", "-m", SCRIPT)[0] == 0
    anna = token_of(run, monkeypatch, "anna")

    for ref in [f"s{sid}", str(sid), f"S{sid}"]:
        response = client.get(f"/api/submissions/{ref}", headers=anna)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-content-type-options"] == "nosniff"
        data = response.json()
        files = data["attachments"]
        assert [f["url"] for f in files] == [urls.attachment_url(sid, f["sha256"]) for f in files]
        assert files[0]["url"] == f"/submissions/s{sid}/files/{files[0]['sha256']}"
        assert data.pop("raw_url") == f"/submissions/s{sid}/raw"
        for f in files:
            del f["url"]
        assert data == cli_json(run, "show", f"s{sid}")

    # what came from mail comes back as the same characters, never interpreted
    assert data["student"] == SCRIPT
    assert data["subject"] == f"Theory 1 - {SCRIPT}"
    assert data["name_in_subject"] == SCRIPT
    assert data["attachments"][0]["filename"] == f"{IMG}.pdf"
    assert data["grades"][0]["comment"] == SCRIPT
    assert isinstance(data["grades"][0]["id"], int)


def test_unknown_and_wrong_kind_ids_are_404_with_the_clis_message(
    run, monkeypatch, client, deliver
):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    rejected = deliver("hello, no subject grammar here", ON_TIME, "petr@example.org")
    anna = token_of(run, monkeypatch, "anna")
    for ref in ["s999", f"m{rejected}", f"m{sid + 999}"]:
        code, _, err = run("show", ref)
        assert code == 1
        message = err.strip().removeprefix("tdl-inbox: error: ")
        for method, path in ROUTES[1:5]:
            response = client.request(method, path.replace("s1", ref), headers=anna, json={})
            assert response.status_code == 404, (method, path, ref)
            assert response.json() == {"error": message}
    assert "rejected message" in client.get(f"/api/submissions/m{rejected}", headers=anna).text
    nonsense = client.get("/api/submissions/abc", headers=anna)
    assert nonsense.status_code == 404
    assert "is not an id" in nonsense.json()["error"]
    assert grades_of(run, sid) == []


def test_next_is_next_json_for_the_caller_then_null(run, monkeypatch, client, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    anna, bob = token_of(run, monkeypatch, "anna"), token_of(run, monkeypatch, "bob")
    response = client.post("/api/next", headers=anna)
    assert response.status_code == 200
    item = response.json()
    assert (item["id"], item["ref"], item["claimed_by"]) == (sid, f"s{sid}", "anna")
    # her own claim comes first, as on the command line
    assert client.post("/api/next", headers=anna).json() == item
    assert cli_json(run, "next", "--grader", "anna") == item
    nothing = client.post("/api/next", headers=bob)
    assert (nothing.status_code, nothing.text) == (200, "null")
    assert cli_json(run, "next", "--grader", "bob") is None
    assert client.post("/api/next?assignment=theory-1", headers=anna).json() == item
    assert client.post("/api/next?assignment=lab-1", headers=anna).json() is None
    unknown = client.post("/api/next?assignment=nope", headers=anna)
    assert unknown.status_code == 422
    assert unknown.json() == {"error": "unknown assignment nope"}


def test_a_claim_held_by_another_is_409_naming_them_and_until_when(
    run, monkeypatch, client, deliver
):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    anna, bob = token_of(run, monkeypatch, "anna"), token_of(run, monkeypatch, "bob")
    claimed = client.post(f"/api/submissions/s{sid}/claim", headers=bob)
    assert claimed.status_code == 200
    body = claimed.json()
    assert (body["ref"], body["claimed_by"]) == (f"s{sid}", "bob")
    assert body["until"].endswith("+03:00")  # course time
    assert cli_json(run, "queue")[0]["claimed_by"] == "bob"

    until = datetime.fromisoformat(body["until"]).strftime("%Y-%m-%d %H:%M:%S %z")
    for action, payload in [("claim", {}), ("release", {}), ("grade", {"points": 5})]:
        refused = client.post(f"/api/submissions/s{sid}/{action}", headers=anna, json=payload)
        assert refused.status_code == 409, action
        answer = refused.json()
        assert answer["error"] == (
            f"s{sid} is claimed by bob until {until}; nothing changed; ask them, or release "
            'their claim with {"force": true} first'
        )
        assert (answer["claimed_by"], answer["until"]) == ("bob", body["until"])
    assert grades_of(run, sid) == []

    forced = client.post(f"/api/submissions/s{sid}/release", headers=anna, json={"force": True})
    assert forced.status_code == 200
    assert forced.json() == {
        "id": sid, "ref": f"s{sid}", "released": True, "holder": "bob", "forced": True,
    }  # fmt: skip
    again = client.post(f"/api/submissions/s{sid}/release", headers=anna)
    assert again.json()["released"] is False
    assert cli_json(run, "queue")[0]["claimed_by"] is None


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"points": 11}', "points must be between 0 and 10 for theory-1, got 11"),
        ('{"points": -1}', "points must be between 0 and 10 for theory-1, got -1"),
        ('{"points": 5, "extra": -2}', "extra points cannot be negative, got -2"),
        ('{"points": NaN}', "points must be a finite number, got nan"),
        ('{"points": Infinity}', "points must be a finite number, got inf"),
        ('{"points": 1e999}', "points must be a finite number, got inf"),
        ('{"points": 5, "extra": -Infinity}', "extra points must be a finite number, got -inf"),
        ('{"points": "7"}', '"points" must be a number, got "7"'),
        ('{"points": true}', '"points" must be a number, got true'),
        ('{"points": null}', '"points" is missing: send a number'),
        ('{"extra": 1}', '"points" is missing: send a number'),
        ("", '"points" is missing: send a number'),
        ('{"points": 1' + "0" * 400 + "}", '"points" is too large a number'),
        ('{"points": 5, "comment": 3}', '"comment" must be a string or null, got 3'),
        ('{"points": 5, "force": "yes"}', '"force" must be true or false, got "yes"'),
        ('{"points": 5, "seen_grade": "g1"}', '"seen_grade" must be the id of a grade'),
        ("[7]", 'the body must be a JSON object, e.g. {"points": 7}'),
        ('{"points": 7', "the body is not valid JSON ("),
        (b"\xff\xfe", "the body is not valid JSON ("),
    ],
)
def test_invalid_values_are_422_and_change_nothing(run, monkeypatch, client, deliver, body, error):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    anna = token_of(run, monkeypatch, "anna")
    response = client.post(
        f"/api/submissions/s{sid}/grade",
        headers={**anna, "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 422
    assert response.json()["error"].startswith(error)
    assert grades_of(run, sid) == []


def test_a_grade_is_recorded_as_by_the_cli_and_grades_is_grades_json(
    run, monkeypatch, client, deliver
):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    deliver("Theory 1 - Петр Петров", ON_TIME, "petr@example.org")
    anna = token_of(run, monkeypatch, "anna")
    saved = client.post(
        f"/api/submissions/{sid}/grade",
        headers=anna,
        json={"points": 8.5, "extra": 1, "comment": "Хорошо"},
    )
    assert saved.status_code == 200
    answer = saved.json()
    assert answer["previous"] is None
    assert answer["grade"] == cli_json(run, "show", f"s{sid}")["grades"][0]
    assert (answer["grade"]["grader"], answer["grade"]["points"]) == ("anna", 8.5)
    assert answer["grade"]["comment"] == "Хорошо"
    assert run("grade", f"s{sid}", "-p", "9", "-g", "bob")[0] == 0
    again = client.post(f"/api/submissions/s{sid}/grade", headers=anna, json={"points": 10})
    assert again.json()["previous"]["grader"] == "bob"
    assert grades_of(run, sid) == [("anna", 8.5), ("bob", 9), ("anna", 10)]

    book = client.get("/api/grades", headers=anna)
    assert book.status_code == 200
    assert book.json() == cli_json(run, "grades")
    assert {row["student"] for row in book.json()} == {"Ivan Ivanov", "Петр Петров"}


def test_a_grade_saved_since_the_caller_looked_is_409_with_that_grade(
    run, monkeypatch, client, deliver
):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    anna, bob = token_of(run, monkeypatch, "anna"), token_of(run, monkeypatch, "bob")
    # both open the ungraded submission; bob saves first
    assert client.get(f"/api/submissions/s{sid}", headers=anna).json()["grades"] == []
    url = f"/api/submissions/s{sid}/grade"
    bobs = client.post(url, headers=bob, json={"points": 7, "comment": SCRIPT, "seen_grade": None})
    assert bobs.status_code == 200
    bobs_grade = bobs.json()["grade"]

    for force in [False, True]:  # force overrides a claim, never a grade unseen
        stale = client.post(
            url, headers=anna, json={"points": 3, "seen_grade": None, "force": force}
        )
        assert stale.status_code == 409
        answer = stale.json()
        when = datetime.fromisoformat(bobs_grade["graded_at"]).strftime("%Y-%m-%d %H:%M:%S %z")
        assert answer["error"].startswith(f"s{sid} was graded by bob at {when} (7 + 0 extra)")
        assert "nothing changed" in answer["error"]
        assert answer["grade"] == {
            key: bobs_grade[key] for key in ["id", "grader", "points", "extra", "comment"]
        } | {"graded_at": bobs_grade["graded_at"]}
    assert grades_of(run, sid) == [("bob", 7)]

    # having read bob's grade, anna replaces it on purpose
    mine = client.post(url, headers=anna, json={"points": 3, "seen_grade": bobs_grade["id"]})
    assert mine.status_code == 200
    assert mine.json()["previous"]["id"] == bobs_grade["id"]
    # a grade saved through the CLI is as unseen as one saved through the API
    assert run("grade", f"s{sid}", "-p", "6", "-g", "bob")[0] == 0
    late = client.post(
        url, headers=anna, json={"points": 4, "seen_grade": mine.json()["grade"]["id"]}
    )
    assert late.status_code == 409
    assert late.json()["grade"]["points"] == 6
    assert grades_of(run, sid) == [("bob", 7), ("anna", 3), ("bob", 6)]


def test_cookie_sessions_need_the_csrf_header_to_change_anything(run, monkeypatch, client, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    add_user(run, monkeypatch, "anna")
    assert logged_in(client).status_code == 303
    token = csrf_token(client.get("/").text)
    # reading needs no token
    assert client.get(f"/api/submissions/s{sid}").status_code == 200
    assert client.get("/api/grades").status_code == 200
    for method, path in ROUTES:
        if method == "POST":
            path = path.replace("s1", f"s{sid}")
            for headers in [{}, {"X-CSRF-Token": "forged"}]:
                refused = client.post(path, headers=headers, json={"points": 5})
                assert refused.status_code == 403, (path, headers)
                assert "CSRF" in refused.json()["error"]
    assert cli_json(run, "queue")[0]["claimed_by"] is None
    assert grades_of(run, sid) == []

    with_token = {"X-CSRF-Token": token}
    assert client.post(f"/api/submissions/s{sid}/claim", headers=with_token).status_code == 200
    assert client.post(f"/api/submissions/s{sid}/release", headers=with_token).status_code == 200
    assert client.post("/api/next", headers=with_token).json()["claimed_by"] == "anna"
    graded = client.post(f"/api/submissions/s{sid}/grade", headers=with_token, json={"points": 5})
    assert graded.status_code == 200
    assert grades_of(run, sid) == [("anna", 5)]


def _race(site, requests):
    """Send each (headers, method, path, body) at the same moment, each from its own client;
    the responses in the same order."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(i: int) -> None:
        headers, method, path, body = requests[i]
        with TestClient(site, base_url="http://127.0.0.1") as c:
            barrier.wait()
            answers[i] = c.request(method, path, headers=headers, json=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_graders_racing_for_one_item_one_wins_the_other_is_told_no_grade_lost(
    run, monkeypatch, site, client, deliver
):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    graders = {"anna": token_of(run, monkeypatch, "anna"), "bob": token_of(run, monkeypatch, "bob")}
    url = f"/api/submissions/s{sid}"

    # both press "claim" at once: one claim, the other refused with the winner's name
    claims = _race(site, [(h, "POST", f"{url}/claim", None) for h in graders.values()])
    assert sorted(r.status_code for r in claims) == [200, 409]
    won = next(r for r in claims if r.status_code == 200).json()["claimed_by"]
    lost = next(name for name in graders if name != won)
    refused = next(r for r in claims if r.status_code == 409).json()
    assert refused["claimed_by"] == won
    assert f"claimed by {won} until" in refused["error"]

    # the loser's grade is refused while the claim is held; the winner's is saved
    held = client.post(f"{url}/grade", headers=graders[lost], json={"points": 2})
    assert held.status_code == 409
    assert held.json()["claimed_by"] == won
    assert client.post(f"{url}/grade", headers=graders[won], json={"points": 9}).status_code == 200
    assert grades_of(run, sid) == [(won, 9)]

    # both regrade at once from the page they opened (seeing the winner's grade): one is
    # saved, the other is told about it, and nothing is overwritten unseen
    seen = client.get(url, headers=graders[won]).json()["grades"][-1]["id"]
    saves = _race(
        site,
        [
            (headers, "POST", f"{url}/grade", {"points": points, "seen_grade": seen})
            for headers, points in zip(graders.values(), [4, 5], strict=True)
        ],
    )
    assert sorted(r.status_code for r in saves) == [200, 409]
    first = next(r for r in saves if r.status_code == 200).json()["grade"]
    conflict = next(r for r in saves if r.status_code == 409).json()
    assert conflict["grade"]["id"] == first["id"]
    assert f"was graded by {first['grader']} at" in conflict["error"]
    assert grades_of(run, sid) == [(won, 9), (first["grader"], first["points"])]
