"""The audit trail: every decision a person makes is appended to the history, with who made
it (``--grader``, ``--actor``/``$TDL_INBOX_ACTOR``, else the operating-system user), and
``history``/``show`` read it back. Real databases (SQLite, or PostgreSQL with
TDL_TEST_DATABASE=postgres), submissions recorded directly as ingest records them."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from support import UNUSED_PASSWORD, run_cli, submission
from tdl_inbox.adapters.db.models import HistoryEvent, Message, Submission
from tdl_inbox.app import App
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.grades import record_grade
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record
from tdl_inbox_dev.config import ASSIGNMENTS_2019, config_text, migrated_app

GRADING = """
[grading]
k_hw = 8
k_exam = 4
exam_max_points = 10
claim_minutes = 30
"""
THEORY_3 = """
[[assignment]]
kind = "theory"
number = 3
published = 2019-04-06
max_points = 10
deadline = 2019-04-27T23:59:00
"""
ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)  # theory-1 is due 2019-03-16 20:59 UTC
ROSTER = "name,email\nIvan Ivanov,ivan@example.org\nPetr Petrov,petr@example.org\n"
SRC = Path(__file__).resolve().parents[2] / "src"
_uids = itertools.count(1)

Run = Callable[..., tuple[int, str, str]]


def _config(database_url: str, assignments: str = ASSIGNMENTS_2019) -> str:
    return config_text(
        database_url=database_url,
        password_env=UNUSED_PASSWORD,
        assignments=assignments,
        extra=GRADING,
    )


@pytest.fixture(autouse=True)
def os_user(monkeypatch: pytest.MonkeyPatch) -> str:
    """The operating-system user getpass reports; no actor or grader from the environment."""
    for name in ("TDL_INBOX_ACTOR", "TDL_INBOX_GRADER", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", "os-user")
    return "os-user"


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[App]:
    built = migrated_app(tmp_path / "tdl-inbox.toml", _config(database_url))
    yield built
    built.close()


@pytest.fixture
def run(app: App, capsys: pytest.CaptureFixture[str]) -> Run:
    def _run(*argv: str, ok: bool = True) -> tuple[int, str, str]:
        code, out, err = run_cli(capsys, app, *argv)
        if ok:
            assert code == 0, err
        return code, out, err

    return _run


def deliver(app: App, subject: str, sender: str = "Ivan Ivanov <ivan@example.org>") -> int:
    """Record one message as ingest would: its submission id, or its message id if rejected."""
    raw = submission(subject, sender)
    incoming = Incoming(Location("INBOX", 1, next(_uids)), raw, len(raw), ON_TIME)
    with app.sessions.begin() as session:
        outcome = record(session, app.store, app.ctx, incoming, datetime.now(UTC))
        assert outcome in (Outcome.SUBMISSION, Outcome.REJECTED)
        session.flush()
        message = session.scalar(select(Message).where(Message.uid == incoming.location.uid))
        assert message is not None
        found = session.scalar(select(Submission.id).where(Submission.message_pk == message.id))
        return found if found is not None else message.id


def history(run: Run, *argv: str) -> list[dict]:
    return json.loads(run("history", *argv, "--json")[1])


def trail(events: list[dict]) -> list[tuple[str, str, str | None]]:
    return [(e["actor"], e["action"], e["submission_ref"]) for e in events]


def test_each_decision_is_recorded_with_who_made_it(
    app: App, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    run("roster", "import", str(roster), "--actor", "admin")
    s1 = deliver(app, "Theory 1 - Ivan Ivanov")
    s2 = deliver(app, "Lab 1 - Ivan Ivanov")
    run("claim", f"s{s1}", "--grader", "ann")
    run("release", f"s{s1}", "--grader", "bob", "--force")
    run("next", "--grader", "ann", "-a", "theory-1")
    run("grade", f"s{s1}", "--points", "7", "--grader", "ann")
    run("grade", f"s{s1}", "--points", "9", "--extra", "1", "-m", "recount", "--grader", "bob")
    monkeypatch.setenv("TDL_INBOX_ACTOR", "env-admin")
    run("choose", f"s{s1}")
    monkeypatch.delenv("TDL_INBOX_ACTOR")
    run("relink", f"s{s2}", "Petr Petrov")  # the operating-system user
    run("roster", "link", "other@example.org", "Ivan Ivanov", "--actor", "admin")
    run("roster", "add", "Anna Sidorova", "anna@example.org", "--actor", "admin")
    run("roster", "remove", "anna@example.org", "--actor", "admin")
    run("extend", "Ivan Ivanov", "theory-1", "--until", "2019-03-25T23:59", "--actor", "admin")
    run("extend", "Ivan Ivanov", "theory-1", "--revoke", "--actor", "admin")
    run("exam", "set", "Ivan Ivanov", "8", "--actor", "admin")
    exam = tmp_path / "exam.csv"
    exam.write_text("student,points\nPetr Petrov,6\n", encoding="utf-8")
    run("exam", "import", str(exam), "--actor", "admin")
    m = deliver(app, "homework")
    run("accept", f"m{m}", "-a", "theory-2", "--student", "Ivan Ivanov", "--actor", "admin")
    [accepted] = [e["submission_id"] for e in history(run) if e["action"] == "accept"]
    run("reject", f"s{accepted}", "--reason", "a question, not homework", "--actor", "admin")

    events = history(run)
    s1r, s2r, acc = f"s{s1}", f"s{s2}", f"s{accepted}"
    assert trail(events) == [
        ("admin", "roster import", None),
        ("ann", "claim", s1r),
        ("bob", "release", s1r),
        ("ann", "claim", s1r),
        ("ann", "grade", s1r),
        ("bob", "regrade", s1r),
        ("env-admin", "choose", s1r),
        ("os-user", "relink", s2r),
        ("admin", "roster link", None),
        ("admin", "roster add", None),
        ("admin", "roster remove", None),
        ("admin", "extension granted", None),
        ("admin", "extension revoked", None),
        ("admin", "exam", None),
        ("admin", "exam", None),
        ("admin", "exam import", None),
        ("admin", "accept", acc),
        ("admin", "reject", acc),
    ]
    details = {(e["action"], e["actor"]): e["details"] for e in events}
    assert details[("release", "bob")] == {"holder": "ann", "forced": True}
    assert details[("regrade", "bob")] == {
        "points": 9,
        "extra": 1,
        "comment": "recount",
        "forced": False,
        "old_points": 7,
        "old_extra": 0,
        "old_comment": None,
        "old_grader": "ann",
    }
    assert details[("roster import", "admin")] == {"added": 2, "updated": 0}
    assert details[("exam import", "admin")] == {"count": 1}
    assert details[("reject", "admin")]["reason"] == "a question, not homework"
    granted = next(e for e in events if e["action"] == "extension granted")["details"]
    assert granted["until"] == "2019-03-25T23:59:00+03:00"
    assert all(e["at"].endswith("+03:00") for e in events)  # course time

    # The rejected submission keeps its history; the message id is refused in one line.
    assert trail(history(run, acc)) == [("admin", "accept", acc), ("admin", "reject", acc)]
    code, _, err = run("history", f"m{m}", ok=False)
    assert code == 1
    assert err.count("\n") == 1
    assert f"m{m} is a rejected message, not a submission" in err
    code, _, err = run("history", "s999999", ok=False)
    assert (code, err) == (
        1,
        "tdl-inbox: error: no submission s999999 (see `tdl-inbox submissions`)\n",
    )


def test_history_of_one_submission_and_since_a_date_by_one_actor(app: App, run: Run):
    s1 = deliver(app, "Theory 1 - Ivan Ivanov")
    s2 = deliver(app, "Lab 1 - Petr Petrov", "petr@example.org")
    run("grade", f"s{s1}", "--points", "5", "--grader", "ann")
    run("grade", f"s{s2}", "--points", "6", "--grader", "bob")
    run("grade", f"s{s1}", "--points", "8", "--grader", "bob", "-m", "<b>fair</b>")

    assert trail(history(run, f"s{s1}")) == [
        ("ann", "grade", f"s{s1}"),
        ("bob", "regrade", f"s{s1}"),
    ]
    assert trail(history(run, str(s1), "--actor", "ann")) == [("ann", "grade", f"s{s1}")]
    today = datetime.now(app.settings.course.zone).date()
    by_bob = history(run, "--since", today.isoformat(), "--actor", "bob")
    assert trail(by_bob) == [("bob", "grade", f"s{s2}"), ("bob", "regrade", f"s{s1}")]
    assert history(run, "--since", (today + timedelta(days=1)).isoformat()) == []
    assert [e["id"] for e in by_bob] == sorted(e["id"] for e in by_bob)
    assert set(by_bob[0]) == {
        "id",
        "at",
        "actor",
        "action",
        "submission_id",
        "submission_ref",
        "details",
    }

    _, table, _ = run("history", f"s{s1}")
    assert "regrade" in table
    assert "old_points: 5" in table
    assert "comment: <b>fair</b>" in table
    assert f"History of s{s1}: 2 events" in table
    code, _, err = run("history", "--since", "yesterday", ok=False)
    assert code == 2
    assert "expected a date like 2019-03-20" in err

    shown = json.loads(run("show", f"s{s1}", "--json")[1])
    assert [e["action"] for e in shown["history"]] == ["grade", "regrade"]
    assert "History" in run("show", f"s{s1}")[1]


def test_a_claim_found_expired_is_recorded_with_its_holder(app: App):
    s1 = deliver(app, "Theory 1 - Ivan Ivanov")
    s2 = deliver(app, "Lab 1 - Ivan Ivanov")
    ttl, start = timedelta(minutes=30), datetime(2019, 3, 11, 9, 0, tzinfo=UTC)
    later = start + timedelta(minutes=31)
    end = later + 3 * ttl
    policy = app.settings.grading.counting
    with app.sessions.begin() as session:
        work.claim(session, s1, "ann", start, ttl)
        work.claim(session, s2, "ann", start, ttl)
    with app.sessions.begin() as session:
        work.claim(session, s1, "bob", later, ttl)  # takes over ann's expired claim
        assert work.release(session, s2, "carl", later) is None  # clears ann's expired claim
    with app.sessions.begin() as session:
        taken = work.claim_next(session, app.store, policy, "dan", later + ttl + ttl, ttl)
        assert taken is not None
        assert taken.id == s1
        work.claim(session, s2, "eve", later + ttl + ttl, ttl)
    with app.sessions.begin() as session:  # grading clears eve's expired claim
        record_grade(session, app.ctx.assignments, policy, s2, 5, 0, None, "fay", end)
        rows = [(e.actor, e.action, e.submission_id, e.details) for e in _all(session)]
    assert rows == [
        ("ann", "claim", s1, {"expires_at": (start + ttl).isoformat()}),
        ("ann", "claim", s2, {"expires_at": (start + ttl).isoformat()}),
        ("bob", "claim expired", s1, {"holder": "ann", "expired_at": (start + ttl).isoformat()}),
        ("bob", "claim", s1, {"expires_at": (later + ttl).isoformat()}),
        ("carl", "claim expired", s2, {"holder": "ann", "expired_at": (start + ttl).isoformat()}),
        ("dan", "claim expired", s1, {"holder": "bob", "expired_at": (later + ttl).isoformat()}),
        ("dan", "claim", s1, {"expires_at": (later + 3 * ttl).isoformat()}),
        ("eve", "claim", s2, {"expires_at": end.isoformat()}),
        ("fay", "claim expired", s2, {"holder": "eve", "expired_at": end.isoformat()}),
        ("fay", "grade", s2, {"points": 5, "extra": 0, "comment": None, "forced": False}),
    ]


def test_a_recheck_the_daemon_runs_after_a_reload_is_recorded_as_the_daemons(
    app: App, tmp_path: Path, database_url: str
):
    from tdl_inbox.daemon import Daemon

    deliver(app, "Theory 3 - Ivan Ivanov")  # no theory-3 yet: rejected
    widened = migrated_app(
        tmp_path / "theory-3.toml", _config(database_url, ASSIGNMENTS_2019 + THEORY_3)
    )
    try:
        Daemon(widened).on_assignments_changed()  # what a reload adding theory-3 runs
        with widened.sessions.begin() as session:
            rows = [(e.actor, e.action) for e in _all(session)]
    finally:
        widened.close()
    assert rows == [("daemon", "recheck")]


def _all(session) -> list:
    from tdl_inbox.services import audit

    return audit.events(session)


def test_recheck_is_recorded_with_the_admin_as_actor(
    app: App, tmp_path: Path, database_url: str, capsys, monkeypatch: pytest.MonkeyPatch
):
    message = deliver(app, "Theory 3 - Ivan Ivanov")  # no theory-3 yet: rejected
    widened = migrated_app(
        tmp_path / "theory-3.toml", _config(database_url, ASSIGNMENTS_2019 + THEORY_3)
    )
    try:
        monkeypatch.setenv("TDL_INBOX_ACTOR", "env-admin")
        code, _, err = run_cli(capsys, widened, "recheck")
        assert code == 0, err
        code, out, err = run_cli(capsys, widened, "history", "--json")
        assert code == 0, err
    finally:
        widened.close()
    [event] = json.loads(out)
    assert (event["actor"], event["action"]) == ("env-admin", "recheck")
    assert event["details"]["message_id"] == message
    assert event["details"]["assignment"] == "theory-3"


def test_restore_is_recorded_in_the_restored_database(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    """SQLite whatever TDL_TEST_DATABASE says: only a SQLite backup restores its database."""
    original = migrated_app(tmp_path / "a.toml", _config(f"sqlite:///{tmp_path}/a.db"))
    try:
        deliver(original, "Theory 1 - Ivan Ivanov")
        code, _, err = run_cli(capsys, original, "backup", str(tmp_path / "backup"))
        assert code == 0, err
    finally:
        original.close()
    target = tmp_path / "restored"
    target.mkdir()
    config = target / "tdl-inbox.toml"
    text = config_text(
        database_url=f"sqlite:///{target}/tdl-inbox.db",
        password_env=UNUSED_PASSWORD,
        store_dir=target / "store",
        extra=GRADING,
    )
    config.write_text(text, encoding="utf-8")
    code, _, err = run_cli(capsys, config, "restore", str(tmp_path / "backup"), "--actor", "root")
    assert code == 0, err
    code, out, err = run_cli(capsys, config, "history", "--json")
    assert code == 0, err
    [event] = json.loads(out)
    assert (event["actor"], event["action"]) == ("root", "restore")
    assert event["details"]["backup"] == str(tmp_path / "backup")


def test_history_rows_are_never_changed(app: App, run: Run):
    s1 = deliver(app, "Theory 1 - Ivan Ivanov")
    run("claim", f"s{s1}", "--grader", "ann")
    run("grade", f"s{s1}", "--points", "5", "--grader", "ann")
    before = _rows(app)
    run("grade", f"s{s1}", "--points", "6", "--grader", "bob", "--force")
    after = _rows(app)
    assert after[: len(before)] == before
    assert [row[3] for row in after[len(before) :]] == ["regrade"]

    # No code path updates or deletes a history row.
    mutation = re.compile(r"(update|delete)\(\s*HistoryEvent|session\.delete\(")
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(update|delete)\(\s*HistoryEvent", text), path
        if "HistoryEvent" in text:
            assert not mutation.search(text), path
            assert not re.search(r"\.(actor|action|details|at|submission_id)\s*=[^=]", text), path


def _rows(app: App) -> list[tuple]:
    with app.sessions.begin() as session:
        return [
            (r.id, r.at, r.actor, r.action, r.submission_id, r.details)
            for r in session.scalars(select(HistoryEvent).order_by(HistoryEvent.id))
        ]
