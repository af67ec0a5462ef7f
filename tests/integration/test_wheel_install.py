"""The built wheel, installed into a fresh virtual environment outside the checkout, runs
``init``, ``db upgrade``, ``check``, ``poll`` and ``serve`` from another directory: the
migrations, the starter config and the web workspace's files travel inside it. Runs on the
suite's database (SQLite, or PostgreSQL under ``make test-postgres``) and its Dovecot.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servers.imap_fill import append
from support import ON_POSTGRES, submission, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVICE_LOCK = ROOT / "requirements" / "service.lock"
ON_TIME = datetime(2019, 3, 16, 20, 59, 59, tzinfo=UTC)  # theory-1 of the starter config


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``tdl-inbox`` script of a fresh venv holding the locked dependencies and the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # sdist, then the wheel from the unpacked sdist: both must carry the package data.
    run([sys.executable, "-m", "build", "--outdir", str(base / "dist"), str(ROOT)], base, env)
    wheels = list((base / "dist").glob("tdl_inbox-*.whl"))
    assert len(wheels) == 1
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], base, env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    run([*pip, "--require-hashes", "-r", str(SERVICE_LOCK)], base, env)
    run([*pip, "--no-deps", str(wheels[0])], base, env)
    return venv / "bin" / "tdl-inbox"


def test_wheel_installed_outside_the_checkout_sets_up_and_polls(
    installed_wheel, tmp_path, dovecot, imap_folder, database_url
):
    # SQLite: a path relative to the config file, which commands run elsewhere must honour.
    url = database_url if ON_POSTGRES else "sqlite:///course.db"
    work = tmp_path / "course"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TDL_INBOX_IMAP_PASSWORD"] = dovecot.password
    env.pop("TDL_INBOX_CONFIG", None)
    tdl = str(installed_wheel)

    out = run([tdl, "init"], work, env)
    assert "db upgrade" in out
    assert sorted(p.name for p in work.iterdir()) == ["tdl-inbox.toml"]

    config = work / "tdl-inbox.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in [
        ("port = 1143", f"port = {dovecot.port}"),
        ('# cafile = "bridge-cert.pem"', f'cafile = "{dovecot.cafile}"'),
        ('username = "tdl_course_mipt@protonmail.com"', f'username = "{dovecot.username}"'),
        ('folder = "INBOX"', f'folder = "{imap_folder}"'),
        ('url = "sqlite:///tdl-inbox.db"', f'url = "{url}"'),
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    config.write_text(text, encoding="utf-8")

    # Another directory from now on: the config is found through the environment.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env["TDL_INBOX_CONFIG"] = str(config)
    out = run([tdl, "db", "upgrade"], elsewhere, env)
    version = run([tdl, "--version"], elsewhere, env).split("(database schema ")[1].rstrip(")\n")
    assert f"database upgraded from empty to {version}" in out
    assert (work / "store").is_dir()
    assert (work / "course.db").exists() is not ON_POSTGRES

    out = run([tdl, "check"], elsewhere, env)
    assert f"is at revision {version}" in out

    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), ON_TIME)
    out = run([tdl, "poll"], elsewhere, env)
    assert "new submissions: 1" in out
    rows = json.loads(run([tdl, "submissions", "--json"], elsewhere, env))
    assert [(r["assignment"], r["student"], r["late"]) for r in rows] == [
        ("theory-1", "Ivan Ivanov", False)
    ]
    assert not list(elsewhere.iterdir())
    assert shutil.which("tdl-inbox", path=str(installed_wheel.parent)) is not None

    _serves_the_workspace(tdl, elsewhere, env)


def _serves_the_workspace(tdl: str, cwd: Path, env: dict[str, str]) -> None:
    """``serve`` from the wheel answers the login page and every static file of the checkout."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [tdl, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert server.poll() is None, f"serve exited: {server.communicate()[1]}"
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=5) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    try:
        wait_until(answers, 60, "serve to answer")
        with urllib.request.urlopen(f"{base}/login", timeout=5) as reply:
            assert 'name="csrf_token"' in reply.read().decode()
        for static in sorted((ROOT / "src" / "tdl_inbox" / "web" / "static").iterdir()):
            with urllib.request.urlopen(f"{base}/static/{static.name}", timeout=5) as reply:
                assert reply.read() == static.read_bytes(), static.name
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_the_wheel_carries_the_web_templates_and_static_files(installed_wheel, tmp_path):
    python = str(installed_wheel.parent / "python")
    probe = (
        "from importlib.resources import files; web = files('tdl_inbox.web'); "
        "print(sorted(p.name for p in web.joinpath('templates').iterdir())); "
        "print(sorted(p.name for p in web.joinpath('static').iterdir()))"
    )
    out = run([python, "-c", probe], tmp_path, {**os.environ})
    web = ROOT / "src" / "tdl_inbox" / "web"
    expected = [sorted(p.name for p in (web / part).iterdir()) for part in ("templates", "static")]
    assert out.splitlines() == [str(names) for names in expected]
