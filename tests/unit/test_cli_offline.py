"""Commands that need no server: contracts of their JSON, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "config.example.toml")


def test_parse_subject_json_contract(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "parse-subject", "Re: Theory 2 - Ivan Ivanov", "--json")
    assert code == 0
    assert json.loads(out) == {
        "ok": True,
        "assignment": "theory-2",
        "kind": "theory",
        "number": 2,
        "student": "Ivan Ivanov",
        "note": None,
    }


def test_parse_subject_shows_the_note(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "parse-subject", "Theory 2 Иван Иванов v2", "--json")
    assert code == 0
    assert (json.loads(out)["student"], json.loads(out)["note"]) == ("Иван Иванов", "v2")


def test_parse_subject_checks_configured_assignments(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "parse-subject", "Theory 7 - Ivan Ivanov", "--json")
    assert code == 1
    assert json.loads(out) == {"ok": False, "error": "unknown assignment theory-7"}


def test_parse_subject_without_config_only_parses(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TDL_INBOX_CONFIG", raising=False)
    code, out, _ = run_cli(
        capsys, None, "parse-subject", "Лаба 7 - Иван Иванов", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["assignment"] == "lab-7"


def test_assignments_json_contract(capsys):
    code, out, _ = run_cli(capsys, EXAMPLE, "assignments", "--json")
    assert code == 0
    items = {item["assignment"]: item for item in json.loads(out)}
    assert items["theory-1"] == {
        "assignment": "theory-1",
        "kind": "theory",
        "number": 1,
        "published": "2019-02-23",
        "deadline": "2019-03-16T23:59:00+03:00",
        "max_points": 10,
        "deadline_overridden": False,
        "extensions": [],
    }
    assert items["lab-1"]["deadline"] == "2019-03-30T23:59:00+03:00"
    assert items["lab-1"]["deadline_overridden"] is True
    assert not (ROOT / "tdl-inbox.db").exists()


def test_assignments_table_and_output_file(capsys, tmp_path):
    target = tmp_path / "out.txt"
    code, out, _ = run_cli(capsys, EXAMPLE, "assignments", "--output", str(target))
    assert code == 0
    assert out == ""
    text = target.read_text(encoding="utf-8")
    assert "theory-1" in text
    assert "2019-03-16 23:59:00 +0300" in text


@pytest.mark.parametrize(
    ("argv", "exit_code", "message"),
    [
        (["frobnicate"], 2, "No such command 'frobnicate'"),
        (
            ["--config", "/nonexistent/x.toml", "submissions"],
            1,
            "config file /nonexistent/x.toml not found",
        ),
        (["--config", EXAMPLE, "submissions", "--format", "xml"], 2, "'xml' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(capsys, argv, exit_code, message):
    code, _, err = run_cli(capsys, None, *argv)
    assert code == exit_code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_config_names_the_key(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[mailbox]\nusername = "u"\npassword_env = "X"\nfolderr = "INBOX"\n')
    code, _, err = run_cli(capsys, str(bad), "assignments")
    assert code == 1
    assert "mailbox.folderr: unknown key" in err


def test_empty_database_is_refused_with_what_to_run(capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[mailbox]\nusername = "u"\npassword_env = "X"\n')
    code, _, err = run_cli(capsys, str(config), "submissions")
    assert code == 1
    assert "run `tdl-inbox db upgrade`" in err


def test_init_writes_only_the_config_and_names_the_next_step(capsys, tmp_path):
    config = tmp_path / "tdl-inbox.toml"
    code, out, _ = run_cli(capsys, str(config), "init")
    assert code == 0
    assert config.read_text(encoding="utf-8") == Path(EXAMPLE).read_text(encoding="utf-8")
    # The database and the store go where the edited config says: nothing at the defaults yet.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tdl-inbox.toml"]
    assert f"then run `tdl-inbox --config {config} db upgrade`" in out
    code, out, _ = run_cli(capsys, str(config), "init")
    assert code == 0
    assert "keeping it" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["extend", "Ivan Ivanov", "theory-1"],
        ["extend", "Ivan Ivanov", "theory-1", "--until", "next friday"],
        ["roster", "link", "not-an-address", "Ivan Ivanov"],
    ],
    ids=["extend-without-until", "extend-bad-until", "link-bad-address"],
)
def test_a_bad_command_line_value_is_a_usage_error(capsys, tmp_path, argv):
    config = tmp_path / "tdl-inbox.toml"
    config.write_text(Path(EXAMPLE).read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run_cli(capsys, str(config), *argv)
    assert code == 2  # as click's own usage errors
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "see tdl-inbox --help" in err
    assert not (tmp_path / "tdl-inbox.db").exists()  # refused before opening anything


def test_db_upgrade_after_init_creates_the_database_and_the_store(capsys, tmp_path):
    config = tmp_path / "tdl-inbox.toml"
    assert run_cli(capsys, str(config), "init")[0] == 0
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("sqlite:///tdl-inbox.db", "sqlite:///course.db"), encoding="utf-8"
    )
    code, out, _ = run_cli(capsys, str(config), "db", "upgrade")
    assert code == 0
    assert "database upgraded from empty to" in out
    assert not (tmp_path / "tdl-inbox.db").exists()
    assert oct((tmp_path / "course.db").stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "store").stat().st_mode & 0o777) == "0o700"
    code, out, _ = run_cli(capsys, str(config), "submissions", "--json")
    assert (code, json.loads(out)) == (0, [])
