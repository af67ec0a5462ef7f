"""The built wheel, installed into a fresh virtual environment outside the checkout, runs
``init``, ``db upgrade``, ``check`` and ``poll`` from another directory: the migrations and the
starter config travel inside it. Runs on the suite's database (SQLite, or PostgreSQL under
``make test-postgres``) and its Dovecot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servers.imap_fill import append
from support import ON_POSTGRES, submission

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


def test_the_wheel_carries_the_web_templates_and_styles(installed_wheel, tmp_path):
    python = str(installed_wheel.parent / "python")
    probe = (
        "from importlib.resources import files; web = files('tdl_inbox.web'); "
        "print(sorted(p.name for p in web.joinpath('templates').iterdir()), "
        "web.joinpath('static', 'style.css').is_file())"
    )
    out = run([python, "-c", probe], tmp_path, {**os.environ})
    assert out.strip() == "['base.html', 'login.html', 'queue.html'] True"
