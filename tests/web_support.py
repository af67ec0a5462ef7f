"""Shared steps of the web workspace's HTTP tests: accounts, the CSRF token, logging in."""

from __future__ import annotations

import io
import re

import pytest
from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


def add_user(
    run, monkeypatch: pytest.MonkeyPatch, name: str = "anna", role: str = "grader",
    password: str = PASSWORD,
) -> str:  # fmt: skip
    """``users add NAME --role ROLE --password-stdin`` through the CLI."""
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code, out, err = run("users", "add", name, "--role", role, "--password-stdin")
    assert code == 0, err
    return str(out)


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def logged_in(client: TestClient, name: str = "anna", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
