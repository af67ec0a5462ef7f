"""Start-up: what each command imports, run in a fresh interpreter, and the lazy command table."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tdl_inbox import __version__
from tdl_inbox.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
CLI_PACKAGE = ROOT / "src" / "tdl_inbox" / "cli"

# Runs the CLI's main in this fresh interpreter, then writes what it imported to argv[1].
RUNNER = """
import json, sys
from tdl_inbox.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

NOT_FOR_LISTING = ("alembic", "apscheduler", "imapclient", "tdl_inbox.adapters.smtp")
NOT_FOR_HELP = ("sqlalchemy", *NOT_FOR_LISTING)


def imported_by(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", RUNNER, str(out), *argv],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    return result["code"], set(result["modules"])


def heavy(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in banned or name in banned)


def table_source(table: dict[str, tuple[str, str]]) -> str:
    """``COMMAND_TABLE`` as Python source, to paste into cli/main.py when a command changes."""
    lines = ["COMMAND_TABLE: dict[str, tuple[str, str]] = {"]
    for name, (module, short_help) in sorted(table.items()):
        pieces = textwrap.wrap(short_help, 76, drop_whitespace=False, break_on_hyphens=False)
        text = " ".join(json.dumps(piece, ensure_ascii=False) for piece in pieces)
        lines.append(f'    "{name}": ("{module}", {text if len(pieces) == 1 else f"({text})"}),')
    return "\n".join([*lines, "}"])


def commands_in_modules() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(CLI_PACKAGE.glob("commands_*.py")):
        module = importlib.import_module(f"tdl_inbox.cli.{path.stem}")
        for command in module.COMMANDS:
            found[command.name] = (path.stem, command.get_short_help_str(limit=1000))
    return found


def test_command_table_lists_every_command_with_its_own_short_help():
    found = commands_in_modules()
    assert found == cli_main.COMMAND_TABLE, (
        "cli/main.py's COMMAND_TABLE is out of date (`ruff format` after pasting):\n"
        + table_source(found)
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config with [smtp] and a migrated SQLite database holding a few submissions."""
    sys.path.insert(0, str(ROOT))
    try:
        from bench.dbfill import migrated_engine, populate
        from bench.mail import assignments_toml
    finally:
        sys.path.remove(str(ROOT))
    directory = tmp_path_factory.mktemp("course")
    engine = migrated_engine(directory / "course.db")
    populate(engine, 60, 10)
    engine.dispose()
    config = directory / "tdl-inbox.toml"
    config.write_text(
        f"""
[mailbox]
host = "127.0.0.1"
username = "course"
password_env = "TDL_INBOX_TEST_UNUSED_PASSWORD"

[smtp]
host = "127.0.0.1"
from = "Course <course@example.org>"

[database]
url = "sqlite:///{directory / "course.db"}"

[storage]
dir = "{directory / "store"}"
{assignments_toml()}""",
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["parse-subject", "Theory 2 - Ivan Ivanov"],
        ["CONFIG", "parse-subject", "Re: Теория №2 — Иван Иванов", "--json"],
        ["CONFIG", "parse-subject", "=?KOI8-R?B?9MXP0snRIDIgLSDp18HOIOnXwc7P1w==?="],
    ],
    ids=["help", "version", "parse-subject", "parse-subject-configured", "parse-subject-encoded"],
)
def test_help_version_and_parse_subject_import_no_database_or_mail_library(tmp_path, course, argv):
    argv = ["--config", str(course), *argv[1:]] if argv[0] == "CONFIG" else argv
    code, modules = imported_by(tmp_path, *argv)
    assert code == 0
    assert heavy(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["queue"],
        ["queue", "--json"],
        ["show", "7"],
        ["next", "--grader", "anna"],
        ["grade", "7", "--points", "5", "--grader", "anna"],
        ["submissions"],
        ["grades"],
        ["report", "late"],
        ["report", "missing"],
        ["report", "summary"],
    ],
    ids=lambda argv: "-".join(argv),
)
def test_listing_and_grading_import_no_migrations_scheduler_or_mail(tmp_path, course, argv):
    code, modules = imported_by(tmp_path, "--config", str(course), *argv)
    assert code == 0
    assert "sqlalchemy" in modules  # it did reach the database
    assert heavy(modules, NOT_FOR_LISTING) == []


def test_version_names_the_schema_revision(capsys):
    from tdl_inbox.adapters.db.revision import expected_revision

    assert cli_main.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out == f"tdl-inbox {__version__} (database schema {expected_revision()})\n"
