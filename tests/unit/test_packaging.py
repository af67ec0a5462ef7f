"""What the wheel is built from: every package, the migrations, the starter config."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_under_src_is_listed_for_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    src = ROOT / "src"
    found = {".".join(init.parent.relative_to(src).parts) for init in src.rglob("__init__.py")} | {
        "tdl_inbox.migrations",
        "tdl_inbox.migrations.versions",
    }
    assert sorted(setuptools["packages"]) == sorted(found)
    assert setuptools["package-dir"]["tdl_inbox.migrations"] == "migrations"


def test_migrations_and_starter_config_are_package_resources():
    migrations = files("tdl_inbox.migrations")
    assert migrations.joinpath("env.py").is_file()
    assert migrations.joinpath("script.py.mako").is_file()
    assert Path(str(migrations)).resolve() == ROOT / "migrations"
    starter = files("tdl_inbox").joinpath("config.example.toml")
    assert "[[assignment]]" in starter.read_text(encoding="utf-8")


def test_running_from_src_without_installing_is_one_clear_error(monkeypatch):
    from tdl_inbox.adapters.db import revision
    from tdl_inbox.errors import DatabaseError

    # What src/ on PYTHONPATH looks like: the mapped package does not exist.
    monkeypatch.setattr(revision, "MIGRATIONS_PACKAGE", "tdl_inbox.not_installed_migrations")
    with pytest.raises(DatabaseError, match="install tdl-inbox"):
        revision.migrations_root()
