"""``users add/remove/passwd/token`` are in the history, never with the password or token."""

from __future__ import annotations

import io
import json

from tdl_inbox.cli.params import os_user
from web_support import PASSWORD, add_user

NEW_PASSWORD = "another long password"


def _user_events(run) -> list[tuple[str, str, dict[str, object]]]:  # type: ignore[no-untyped-def]
    code, out, err = run("history", "--json")
    assert code == 0, err
    return [
        (e["actor"], e["action"], e["details"])
        for e in json.loads(out)
        if e["action"].startswith("user")
    ]


def test_every_account_change_is_recorded_with_its_actor(run, monkeypatch):
    monkeypatch.delenv("TDL_INBOX_ACTOR", raising=False)
    add_user(run, monkeypatch, "anna", "grader")
    code, out, _ = run("users", "add", "boss", "--role", "admin", "--generate", "--actor", "dean")
    assert code == 0
    generated = out.strip().rsplit(" ", 1)[-1]
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert run("users", "passwd", "anna", "--password-stdin", "--actor", "dean")[0] == 0
    monkeypatch.setenv("TDL_INBOX_ACTOR", "head-ta")
    code, out, _ = run("users", "token", "anna")
    token = out.strip().splitlines()[-1]
    replacement = run("users", "token", "anna")[1].strip().splitlines()[-1]
    assert run("users", "token", "anna", "--revoke")[0] == 0
    assert run("users", "token", "anna", "--revoke")[0] == 0  # nothing left: nothing recorded
    assert run("users", "remove", "boss", "--actor", "dean")[0] == 0

    assert _user_events(run) == [
        (os_user(), "user add", {"name": "anna", "role": "grader"}),
        ("dean", "user add", {"name": "boss", "role": "admin"}),
        ("dean", "user password", {"name": "anna"}),
        ("head-ta", "user token", {"name": "anna", "replaced": False}),
        ("head-ta", "user token", {"name": "anna", "replaced": True}),
        ("head-ta", "user token revoked", {"name": "anna"}),
        ("dean", "user remove", {"name": "boss", "role": "admin"}),
    ]
    code, table, _ = run("history")
    assert code == 0
    assert "user add" in table
    assert "name: boss; role: admin" in table
    for shown in (table, run("history", "--json")[1]):
        for secret in (PASSWORD, NEW_PASSWORD, generated, token, replacement):
            assert secret not in shown


def test_a_refused_change_records_nothing(run, monkeypatch):
    add_user(run, monkeypatch, "anna", "grader")
    assert run("users", "remove", "nobody")[0] != 0
    assert run("users", "token", "nobody")[0] != 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert run("users", "passwd", "anna", "--password-stdin")[0] != 0
    assert [action for _, action, _ in _user_events(run)] == ["user add"]
