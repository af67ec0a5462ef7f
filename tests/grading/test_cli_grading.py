"""The graders' commands as an admin scripts them: JSON fields, CSV, one-line refusals."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tdl_inbox.cli.main import main

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def run(grading_app, capsys):
    def _run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(grading_app.settings.source), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def test_queue_next_grade_show_and_grades(run, deliver, tmp_path):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME, attachments=[("../../evil.pdf", b"%PDF")])
    deliver("Theory 1 - =cmd|' /C calc'!A0", ON_TIME, "eve@example.org")

    code, out, _ = run("queue", "--json")
    items = json.loads(out)
    assert code == 0
    assert set(items[0]) >= {
        "id",
        "assignment",
        "student",
        "arrived_at",
        "late",
        "status",
        "claimed_by",
        "attachments",
    }
    assert items[0]["arrived_at"] == "2019-03-10T15:00:00+03:00"

    code, out, _ = run("next", "--grader", "alice", "--json")
    claimed = json.loads(out)
    assert (code, claimed["id"], claimed["claimed_by"]) == (0, sid, "alice")
    code, out, _ = run("next", "--grader", "alice", "--json")
    code, out, _ = run("next", "--grader", "bob", "--json")
    assert (code, out) == (0, "")  # nothing left: no output, exit 0

    code, _, err = run("grade", str(sid), "--points", "11", "--grader", "alice")
    assert code == 1
    assert err.strip() == "tdl-inbox: error: points must be between 0 and 10 for theory-1, got 11"
    code, out, _ = run("grade", str(sid), "--points", "9", "--extra", "2", "--grader", "alice")
    assert code == 0
    code, out, _ = run("grade", str(sid), "--points", "8", "--grader", "bob", "-m", "recheck")
    assert "was 9 + 2 extra by alice" in out

    code, out, _ = run("show", str(sid), "--json")
    details = json.loads(out)
    assert [g["points"] for g in details["grades"]] == [9, 8]
    assert details["attachments"][0]["filename"] == "../../evil.pdf"

    code, out, _ = run("submissions", "--json")
    assert {(s["version"], s["counts"]) for s in json.loads(out)} == {(1, True)}

    code, out, _ = run("grades", "--json")
    book = {row["student"]: row for row in json.loads(out)}
    assert book["Ivan Ivanov"]["points"] == {"theory-1": 8, "lab-1": 0, "theory-2": 0}
    assert book["Ivan Ivanov"]["p_hw"] == round(8 / 30, 4)

    code, out, _ = run("grades", "--format", "csv")
    assert out.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(out.lstrip("\ufeff"))))
    assert table[0][:4] == ["student", "student_id", "email", "group"]
    assert any(row[0].startswith("'=cmd") for row in table[1:])

    export_dir = tmp_path / "export"
    code, out, _ = run("export", "--assignment", "theory-1", str(export_dir))
    assert code == 0
    files = sorted(
        p.relative_to(export_dir).as_posix() for p in export_dir.rglob("*") if p.is_file()
    )
    assert f"s{sid} - Ivan Ivanov/_.._evil.pdf" in files
    assert all(".." not in part.split("/")[0] for part in files)
    code, _, err = run("export", "--assignment", "theory-1", str(export_dir))
    assert code == 1
    assert "not empty" in err


def test_grading_a_superseded_version_is_refused(run, deliver):
    old = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    new = deliver("Theory 1 - Ivan Ivanov", datetime(2019, 3, 11, tzinfo=UTC))
    code, _, err = run("grade", str(old), "--points", "5", "--grader", "alice")
    assert code == 1
    assert f"superseded by submission {new}" in err
    code, _, err = run("grade", "424242", "--points", "5", "--grader", "alice")
    assert (code, "no submission with id 424242" in err) == (1, True)


def test_roster_commands(run, deliver, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,mipt\nИван Иванов,ivan@example.org,yes\n", encoding="utf-8")
    assert run("roster", "import", str(roster))[0] == 0
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME, "other@example.org")
    code, out, _ = run("roster", "--json")
    assert json.loads(out)[0]["addresses"] == ["ivan@example.org"]
    code, out, _ = run("roster", "link", "other@example.org", "Иван Иванов")
    assert code == 0
    code, out, _ = run("roster", "--json")
    assert json.loads(out)[0]["addresses"] == ["ivan@example.org", "other@example.org"]
    code, out, _ = run("queue", "--json")
    assert json.loads(out)[0]["student"] == "Иван Иванов"
    assert run("exam", "set", "Ivan Ivanov", "7")[0] == 0
    code, out, _ = run("grades", "--json")
    assert json.loads(out)[0]["p_exam"] == 0.7
    assert sid
