"""The submission page, its files and its forms: Starlette's test client on SQLite and
PostgreSQL (the ``grading_app`` fixture)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from notebooks import code, display, markdown, notebook, png
from submission_support import CLOUD_LINK, ESCAPED, HTML_AS_PDF, PAYLOAD, deliver_mail, pdf
from tdl_inbox.services.grading.extensions import grant
from tdl_inbox.services.grading.roster import import_roster
from tdl_inbox.web.app import create_app
from web_support import add_user, csrf_token, logged_in

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
# theory-1 is due at the end of 2019-03-16, Moscow time
LATE = datetime(2019, 3, 18, 0, 0, tzinfo=UTC)
NOW = datetime(2019, 3, 1, tzinfo=UTC)
ROSTER = """name,email,group,mipt
Иван Иванов,ivan@example.org,Б05-123,yes
Пётр Петров,petr@example.org,Б05-124,no
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def site(app) -> TestClient:
    return TestClient(create_app(app), base_url="http://127.0.0.1")


@pytest.fixture
def anna(run, monkeypatch, grading_app):
    add_user(run, monkeypatch, "anna")
    with site(grading_app) as client:
        assert logged_in(client, "anna").status_code == 303
        yield client


@pytest.fixture
def bob(run, monkeypatch, grading_app):
    add_user(run, monkeypatch, "bob")
    with site(grading_app) as client:
        assert logged_in(client, "bob").status_code == 303
        yield client


def page_of(client: TestClient, sid: int, status: int = 200) -> str:
    response = client.get(f"/submissions/s{sid}")
    assert response.status_code == status, response.text
    return response.text


def post(client: TestClient, sid: int, what: str, **fields: str):
    """Post the page's ``what`` form as a browser would: the page's own token and seen grade."""
    page = page_of(client, sid)
    data = {"csrf_token": csrf_token(page), **fields}
    if what == "grade" and "seen_grade" not in fields:
        data["seen_grade"] = seen_grade(page)
    return client.post(f"/submissions/s{sid}/{what}", data=data, follow_redirects=False)


def seen_grade(page: str) -> str:
    found = re.search(r'name="seen_grade" value="([^"]*)"', page)
    assert found is not None
    return found.group(1)


def grades_of(run, sid: int) -> list[tuple[float, str, bool]]:
    shown = json.loads(run("show", f"s{sid}", "--json")[1])
    return [(g["points"], g["grader"], g["forced"]) for g in shown["grades"]]


def test_the_page_shows_the_student_the_deadline_that_applies_the_text_versions_and_files(
    grading_app, anna
):
    with grading_app.sessions.begin() as db:
        import_roster(db, ROSTER, actor="admin", now=NOW)
        until = datetime(2019, 3, 20, 20, 59, tzinfo=UTC)
        grant(db, grading_app.ctx.assignments, "Иван Иванов", "theory-1", until, "болел", NOW,
              actor="admin")  # fmt: skip
    lab = notebook(markdown("# Лабораторная 1"), code("print(2 + 2)", display({"image/png": (
        base64.b64encode(png()).decode())})))  # fmt: skip
    first = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    files = [
        ("Решение.pdf", pdf()),
        ("doska.png", png()),
        ("lab.ipynb", lab),
        ("code.zip", b"PK\x03\x04" + b"\x00" * 40),
    ]
    body = f"Добрый день! Решение в облаке: {CLOUD_LINK}\nИван"
    second = deliver_mail(
        grading_app, "Theory 1 - Иван Иванов (v2)", LATE, attachments=files, body=body,
        sent_at=LATE - timedelta(hours=1),
    )  # fmt: skip
    late = deliver_mail(grading_app, "Theory 1 - Пётр Петров", LATE, "petr@example.org")

    response = anna.get(f"/submissions/s{second}")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' data:" in policy
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    page = response.text
    assert "Иван Иванов (roster id" in page
    assert "Б05-123" in page
    assert "<dt>MIPT</dt><dd>yes</dd>" in page
    assert "2019-03-18 03:00:00 +0300" in page  # arrived, in course time
    assert "2019-03-20 23:59:00 +0300" in page  # the extended deadline
    assert '<dd id="verdict" class="on-time">on time</dd>' in page
    assert "2019-03-18 02:00:00 +0300" in page  # the Date: header
    assert f'<a href="{CLOUD_LINK}"' in page
    assert f"Решение в облаке: {CLOUD_LINK}" in page
    assert f'<a href="/submissions/s{first}">s{first}</a>' in page
    assert f'<a href="/submissions/s{second}">s{second}</a> (this one)' in page
    assert page.count("<td>counts</td>") == 1
    base = f"/submissions/s{second}/files/"
    assert f'<iframe class="pdf" src="{base}{sha(pdf())}"' in page
    assert f'<img class="attachment" src="{base}{sha(png())}"' in page
    assert '<div class="notebook">' in page
    assert "Лабораторная 1" in page
    assert '<img class="output image" alt="output image" src="data:image/png;base64,' in page
    assert f'<a href="{base}{sha(files[3][1])}">download it</a>' in page
    assert f'href="/submissions/s{second}/raw"' in page
    assert '<script src="/static/keys.js" defer></script>' in page
    assert anna.get("/notebook.css").headers["content-type"].startswith("text/css")

    other = page_of(anna, late)
    assert "Б05-124" in other
    assert "no (not a MIPT student)" in other
    assert '<dd id="verdict" class="late">LATE 1d 3h</dd>' in other


def test_an_html_mail_is_shown_as_text_with_its_links_visible(grading_app, anna):
    html = (
        "<html><body><p>Добрый день!</p><script>window.__pwned=1</script>"
        f'<p>Решение <a href="{CLOUD_LINK}">в облаке</a></p></body></html>'
    )
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME, html=html)
    page = page_of(anna, sid)
    text = re.search(r'<pre class="mail-text" id="mail-text">(.*?)</pre>', page, re.S)
    assert text is not None
    assert "Добрый день!" in text.group(1)
    assert "в облаке" in text.group(1)
    assert "__pwned" not in page
    assert f'<a href="{CLOUD_LINK}" rel="noopener noreferrer nofollow" target="_blank">' in page
    assert f">{CLOUD_LINK}</a>" in page  # the address itself is shown, not only "в облаке"


def test_ids_as_the_cli_takes_them_and_unknown_ones(grading_app, anna, client_without_login):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    assert "Theory 1 - Иван Иванов" in anna.get(f"/submissions/{sid}").text
    assert "Theory 1 - Иван Иванов" in anna.get(f"/submissions/S{sid}").text
    for ref in ("s999", "m1", "x1", "99999999999999999"):
        missing = anna.get(f"/submissions/{ref}")
        assert missing.status_code == 404
        assert "Traceback" not in missing.text
    assert "is a message, not a submission" in anna.get("/submissions/m1").text
    outside = client_without_login.get(f"/submissions/s{sid}", follow_redirects=False)
    # a link a grader was sent leads through the login back to the submission
    assert outside.headers["location"] == f"/login?next=%2Fsubmissions%2Fs{sid}"


@pytest.fixture
def client_without_login(grading_app):
    with site(grading_app) as client:
        yield client


def test_files_are_served_only_by_their_recorded_digest_with_safe_headers(
    grading_app, anna, client_without_login
):
    files = [("Решение.pdf", pdf()), ("report.pdf", HTML_AS_PDF), ("doska.png", png())]
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME, attachments=files)
    other = deliver_mail(
        grading_app, "Theory 1 - Пётр Петров", ON_TIME, "petr@example.org",
        attachments=[("petrov.pdf", pdf("Petrov"))],
    )  # fmt: skip
    base = f"/submissions/s{sid}/files/"

    shown = anna.get(base + sha(pdf()))
    assert shown.status_code == 200
    assert shown.content == pdf()
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline; ")
    assert (
        "filename*=UTF-8''%D0%A0%D0%B5%D1%88%D0%B5%D0%BD%D0%B8%D0%B5.pdf"
        in (shown.headers["content-disposition"])
    )
    assert shown.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert shown.headers["x-frame-options"] == "SAMEORIGIN"

    html = anna.get(base + sha(HTML_AS_PDF))
    assert html.status_code == 200
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment; filename=report.pdf.")
    assert html.headers["content-security-policy"] == "sandbox"
    assert html.headers["x-frame-options"] == "DENY"

    image = anna.get(base + sha(png()))
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-security-policy"] == "sandbox"

    # another submission's file, through this submission's address: not here
    assert anna.get(base + sha(pdf("Petrov"))).status_code == 404
    assert anna.get(f"/submissions/s{other}/files/{sha(pdf('Petrov'))}").status_code == 200
    raw_digest = anna.get(f"/submissions/s{sid}/raw").content
    assert anna.get(base + sha(raw_digest)).status_code == 404  # the raw message is no attachment
    for name in ("..%2F..%2Fetc%2Fpasswd", "a" * 63, sha(pdf()).upper() + "0", "x" * 64):
        assert anna.get(base + name).status_code == 404
    assert anna.get(f"/submissions/s999/files/{sha(pdf())}").status_code == 404
    outside = client_without_login.get(base + sha(pdf()), follow_redirects=False)
    assert outside.status_code == 303
    assert outside.headers["location"].startswith("/login?next=")


def test_the_raw_message_is_a_download_named_by_the_id(grading_app, anna, client_without_login):
    sid = deliver_mail(grading_app, f"Theory 1 - Иван {PAYLOAD}", ON_TIME)
    raw = anna.get(f"/submissions/s{sid}/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "message/rfc822"
    disposition = raw.headers["content-disposition"]
    assert disposition == f"attachment; filename=s{sid}.eml; filename*=UTF-8''s{sid}.eml"
    assert raw.headers["content-security-policy"] == "sandbox"
    assert b"Subject: " in raw.content
    assert b"Message-ID: " in raw.content
    outside = client_without_login.get(f"/submissions/s{sid}/raw", follow_redirects=False)
    assert outside.status_code == 303


def test_every_form_needs_the_csrf_token(grading_app, anna, run):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    for what, fields in [
        ("claim", {}),
        ("release", {}),
        ("grade", {"points": "5", "seen_grade": ""}),
    ]:
        for token in ({}, {"csrf_token": "forged"}):
            refused = anna.post(f"/submissions/s{sid}/{what}", data={**fields, **token})
            assert refused.status_code == 403
    assert anna.post("/next", data={}).status_code == 403
    assert grades_of(run, sid) == []
    assert "Not claimed." in page_of(anna, sid)


def test_claim_release_and_a_claim_held_by_another_grader(grading_app, anna, bob, run):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    claimed = post(anna, sid, "claim")
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/submissions/s{sid}?notice=claimed"
    page = page_of(anna, sid)
    assert "Claimed by you until" in page
    assert 'id="release"' in page

    held = post(bob, sid, "claim")
    assert held.status_code == 409
    assert f"s{sid} is claimed by anna until 2" in held.text
    assert "Traceback" not in held.text
    assert "Claimed by <strong>anna</strong> until" in held.text
    refused = post(bob, sid, "grade", points="7")
    assert refused.status_code == 409
    assert f"s{sid} is claimed by anna until" in refused.text
    assert 'value="7"' in refused.text  # bob's value is kept in the form
    assert post(bob, sid, "release").status_code == 409
    assert grades_of(run, sid) == []

    released = post(anna, sid, "release")
    assert released.headers["location"] == f"/submissions/s{sid}?notice=released"
    assert "Not claimed." in anna.get(released.headers["location"]).text
    assert post(bob, sid, "claim").status_code == 303


def test_a_grade_saved_since_the_page_was_opened_is_a_conflict_the_grader_resolves(
    grading_app, anna, run
):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    opened = page_of(anna, sid)
    assert seen_grade(opened) == ""
    assert run("grade", f"s{sid}", "-p", "7", "-m", "<b>bob</b> checked", "-g", "bob")[0] == 0
    stale = anna.post(
        f"/submissions/s{sid}/grade",
        data={"csrf_token": csrf_token(opened), "seen_grade": "", "points": "5", "extra": "1",
              "comment": "моё мнение"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "was graded by bob" in stale.text
    assert "Their grade: <strong>7</strong> + 0 extra" in stale.text
    assert "&lt;b&gt;bob&lt;/b&gt; checked" in stale.text
    assert 'value="5"' in stale.text
    assert ">моё мнение</textarea>" in stale.text
    assert grades_of(run, sid) == [(7.0, "bob", False)]
    # the re-rendered form carries bob's grade as seen: saving it again is a decision
    bobs = seen_grade(stale.text)
    assert bobs == str(json.loads(run("show", f"s{sid}", "--json")[1])["grades"][0]["id"])
    again = anna.post(
        f"/submissions/s{sid}/grade",
        data={"csrf_token": csrf_token(stale.text), "seen_grade": bobs, "points": "5",
              "extra": "1", "comment": "моё мнение"},
        follow_redirects=False,
    )  # fmt: skip
    assert again.status_code == 303
    assert grades_of(run, sid) == [(7.0, "bob", False), (5.0, "anna", False)]
    history = page_of(anna, sid)
    assert "<td>anna</td><td>5</td><td>1</td><td>моё мнение</td>" in history
    assert "<td>bob</td><td>7</td><td>0</td>" in history


def test_a_forced_grade_is_marked_in_the_history(grading_app, anna, run):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    assert post(anna, sid, "claim").status_code == 303
    assert run("grade", f"s{sid}", "-p", "6", "-g", "bob", "--force")[0] == 0
    assert "yes, over another's claim" in page_of(anna, sid)


@pytest.mark.parametrize(
    ("points", "extra", "message"),
    [
        ("11", "0", "points must be between 0 and 10 for theory-1, got 11"),
        ("-1", "0", "points must be between 0 and 10 for theory-1, got -1"),
        ("много", "0", "points must be a number, got &#39;много&#39;"),
        ("", "0", "points must be a number, got &#39;&#39;"),
        ("nan", "0", "points must be a finite number"),
        ("5", "-2", "extra points cannot be negative"),
    ],
)
def test_invalid_points_are_shown_on_the_page_and_change_nothing(
    grading_app, anna, run, points, extra, message
):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    refused = post(anna, sid, "grade", points=points, extra=extra)
    assert refused.status_code == 422
    assert message in refused.text
    assert "Traceback" not in refused.text
    assert grades_of(run, sid) == []


def test_a_comma_is_a_decimal_point(grading_app, anna, run):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    saved = post(anna, sid, "grade", points="7,5", extra="")
    assert saved.headers["location"] == f"/submissions/s{sid}?notice=saved"
    assert grades_of(run, sid) == [(7.5, "anna", False)]
    assert "Grade saved." in anna.get(saved.headers["location"]).text


def test_an_invalid_form_keeps_the_grade_the_grader_had_seen(grading_app, anna, run):
    sid = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    opened = page_of(anna, sid)
    assert run("grade", f"s{sid}", "-p", "7", "-g", "bob")[0] == 0
    refused = anna.post(
        f"/submissions/s{sid}/grade",
        data={"csrf_token": csrf_token(opened), "seen_grade": "", "points": "11"},
    )
    assert refused.status_code == 422
    assert seen_grade(refused.text) == ""  # not bob's grade, which it did not point out
    fixed = anna.post(
        f"/submissions/s{sid}/grade",
        data={"csrf_token": csrf_token(opened), "seen_grade": "", "points": "5"},
    )
    assert fixed.status_code == 409
    assert grades_of(run, sid) == [(7.0, "bob", False)]


def test_save_and_next_moves_through_one_assignment_then_back_to_the_queue(grading_app, anna, run):
    first = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    lab = deliver_mail(grading_app, "Lab 1 - Пётр Петров", ON_TIME + timedelta(hours=1),
                       "petr@example.org")  # fmt: skip
    second = deliver_mail(grading_app, "Theory 1 - Anna-Maria Ivanova-Petrova",
                          ON_TIME + timedelta(hours=2), "anna.m@example.org")  # fmt: skip
    assert post(anna, first, "claim").status_code == 303
    moved = post(anna, first, "grade", points="8", action="next")
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/submissions/s{second}?notice=saved"
    assert "Claimed by you until" in page_of(anna, second)
    done = post(anna, second, "grade", points="9", action="next")
    assert done.headers["location"] == "/?assignment=theory-1&notice=nothing-left"
    queue = anna.get(done.headers["location"]).text
    assert "Nothing is left to grade in that assignment." in queue
    assert grades_of(run, first) == [(8.0, "anna", False)]
    assert grades_of(run, second) == [(9.0, "anna", False)]
    assert "Not claimed." in page_of(anna, lab)  # another assignment: not taken

    taken = anna.post("/next", data={"csrf_token": csrf_token(queue)}, follow_redirects=False)
    assert taken.headers["location"] == f"/submissions/s{lab}?notice=claimed"
    assert post(anna, lab, "grade", points="10").status_code == 303
    empty = anna.post("/next", data={"csrf_token": csrf_token(queue)}, follow_redirects=False)
    assert empty.headers["location"] == "/?notice=queue-empty"


def test_my_next_item_from_the_queue_keeps_to_the_assignment_it_shows(grading_app, anna):
    older = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    lab = deliver_mail(grading_app, "Lab 1 - Пётр Петров", ON_TIME + timedelta(hours=1),
                       "petr@example.org")  # fmt: skip
    queue = anna.get("/?assignment=lab-1").text
    assert 'name="assignment" value="lab-1"' in queue  # the button asks for the shown one
    assert "My next item of lab-1" in queue
    token = csrf_token(queue)
    taken = anna.post("/next", data={"csrf_token": token, "assignment": "LAB-1"},
                      follow_redirects=False)  # fmt: skip
    assert taken.headers["location"] == f"/submissions/s{lab}?notice=claimed"
    assert "Not claimed." in page_of(anna, older)
    unknown = anna.post("/next", data={"csrf_token": token, "assignment": "lab-9"})
    assert unknown.status_code == 404
    assert "unknown assignment lab-9" in unknown.text
    refused = anna.post("/next", data={"assignment": "lab-1"})
    assert refused.status_code == 403


def test_previous_and_next_follow_the_queue_order_within_the_assignment(grading_app, anna, run):
    ids = [
        deliver_mail(grading_app, f"Theory 1 - {name}", ON_TIME + timedelta(hours=n), email)
        for n, (name, email) in enumerate(
            [("Иван Иванов", "ivan@example.org"), ("Пётр Петров", "petr@example.org"),
             ("John Smith", "john@example.org")]
        )
    ]  # fmt: skip
    # another assignment's item between them is not theirs to step to
    deliver_mail(grading_app, "Lab 1 - Дарья Смирнова", ON_TIME + timedelta(minutes=30),
                 "darya@example.org")  # fmt: skip
    first, middle, last = (page_of(anna, sid) for sid in ids)
    assert 'rel="prev"' not in first
    assert f'<a href="/submissions/s{ids[1]}" rel="next"' in first
    assert f'<a href="/submissions/s{ids[0]}" rel="prev"' in middle
    assert f'<a href="/submissions/s{ids[2]}" rel="next"' in middle
    assert 'rel="next"' not in last
    # graded, the middle one leaves the queue: its page still has both neighbours
    assert run("grade", f"s{ids[1]}", "-p", "5", "-g", "bob")[0] == 0
    assert f'<a href="/submissions/s{ids[2]}" rel="next"' in page_of(anna, ids[0])
    graded = page_of(anna, ids[1])
    assert f'<a href="/submissions/s{ids[0]}" rel="prev"' in graded
    assert f'<a href="/submissions/s{ids[2]}" rel="next"' in graded
    queue = anna.get("/").text
    assert f'<td><a href="/submissions/s{ids[0]}">s{ids[0]}</a></td>' in queue


def test_everything_from_the_mail_is_escaped(grading_app, anna):
    sid = deliver_mail(
        grading_app,
        f"Theory 1 - Иван {PAYLOAD}",
        ON_TIME,
        sender=f'"{PAYLOAD}" <ivan@example.org>',
        attachments=[(f"{PAYLOAD}.pdf", pdf()), (f"{PAYLOAD}.txt", b"text")],
        body=f"Решение: {PAYLOAD} https://example.org/a\"onmouseover='x'",
    )
    page = page_of(anna, sid)
    assert "<script>window.__pwned" not in page
    assert "onerror=" not in page.replace("onerror=&#34;", "")
    assert page.count(ESCAPED) >= 6  # subject, name, sender, two file names, text
    assert "onmouseover='x'" not in page
