"""Roster files from Russian-locale spreadsheets, one student at a time, the class's exam in
one file, and version notes that stay out of the student's name."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2019, 3, 11, 12, 0, tzinfo=UTC)


def roster_json(run) -> list[dict[str, object]]:
    code, out, _ = run("roster", "--json")
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\ufeffname;email;group\nИванов Иван;ivan@example.org;B05-123\n", id="bom"),
        pytest.param("name;email\r\nИванов Иван;ivan@example.org\r\n", id="semicolon-crlf"),
        pytest.param("name\temail\nИванов Иван\tivan@example.org\n", id="tab"),
        pytest.param('name;email\n"Иванов, Иван";ivan@example.org\n', id="comma-in-name"),
    ],
)
def test_roster_from_a_russian_spreadsheet(run, tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    code, _, err = run("roster", "import", str(path))
    assert (code, err) == (0, "")
    (student,) = roster_json(run)
    assert student["email"] == "ivan@example.org"
    assert "Иван" in str(student["name"])


def test_a_roster_without_a_column_says_which_it_has(run, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("ФИО;почта\nИванов Иван;ivan@example.org\n", encoding="utf-8")
    code, _, err = run("roster", "import", str(path))
    assert code == 1
    assert "missing: name, email; found columns: 'фио', 'почта'" in err
    assert roster_json(run) == []


def test_a_student_who_joined_late_is_added_and_can_get_exam_points(run, deliver):
    run("roster", "add", "Пётр Петров", "petr@example.org")
    early = deliver("Theory 1 - Anna Smirnova", ON_TIME, "anna@example.org")
    assert run("exam", "set", "Anna Smirnova", "6")[0] == 1  # not in the roster yet

    code, out, err = run("roster", "add", "Анна Смирнова", "ANNA@example.org", "--group", "B05")
    assert (code, err) == (0, "")
    assert "1 submissions linked" in out
    added = next(s for s in roster_json(run) if s["email"] == "anna@example.org")
    assert (added["group"], added["mipt"]) == ("B05", True)
    code, out, _ = run("show", str(early), "--json")
    assert json.loads(out)["student_id"] == added["id"]
    assert run("exam", "set", "Anna Smirnova", "6")[0] == 0
    assert run("extend", "Anna Smirnova", "theory-2", "--until", "2019-05-01T23:59")[0] == 0

    code, _, err = run("roster", "add", "Someone Else", "anna@example.org")
    assert code == 1
    assert "anna@example.org already belongs to Анна Смирнова" in err
    assert run("roster", "add", "Nobody", "not-an-address")[0] == 1
    assert run("roster", "add", "Foreign Student", "f@example.org", "--mipt", "no")[0] == 0
    assert next(s for s in roster_json(run) if s["email"] == "f@example.org")["mipt"] is False


def test_removing_a_student_keeps_what_was_recorded(run, deliver):
    run("roster", "add", "Анна Смирнова", "anna@example.org")
    run("roster", "add", "Пётр Петров", "petr@example.org")
    sid = deliver("Theory 1 - Анна Смирнова", ON_TIME, "anna@example.org")
    run("exam", "set", "anna@example.org", "7")
    run("grade", str(sid), "--points", "9", "--grader", "alice")

    code, _, err = run("roster", "remove", "Анна Смирнова")
    assert code == 1
    assert "has 1 submissions, an exam result: use --force" in err
    assert len(roster_json(run)) == 2

    code, out, _ = run("roster", "remove", "anna@example.org", "--force")
    assert code == 0
    assert "1 submissions unlinked" in out
    assert [s["name"] for s in roster_json(run)] == ["Пётр Петров"]
    code, out, _ = run("show", str(sid), "--json")
    details = json.loads(out)
    assert details["student_id"] is None
    assert [g["points"] for g in details["grades"]] == [9]
    code, out, _ = run("grades", "--json")
    anna = next(r for r in json.loads(out) if r["student"] == "Анна Смирнова")
    assert (anna["exam"], anna["points"]["theory-1"]) == (7, 9)

    assert run("roster", "remove", "Пётр Петров")[0] == 0  # nothing recorded: no --force
    assert roster_json(run) == []
    assert run("roster", "remove", "Nobody Atall")[0] == 1


def exam_file(tmp_path, text: str):
    path = tmp_path / "exam.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def grades_by_student(run) -> dict[str, object]:
    code, out, _ = run("grades", "--json")
    assert code == 0
    return {row["student"]: row["exam"] for row in json.loads(out)}


def test_exam_import_for_the_whole_class(run, tmp_path):
    run("roster", "add", "Иван Иванов", "ivan@example.org")
    run("roster", "add", "Пётр Петров", "petr@example.org")
    run("roster", "add", "Екатерина Васильева", "kate@example.org")
    text = "\ufeffstudent;points\nIvan Ivanov;7,5\npetr@example.org;10\nEkaterina Vasilieva;0,0\n"
    code, out, err = run("exam", "import", exam_file(tmp_path, text))
    assert (code, err) == (0, "")
    assert "3 results recorded" in out
    assert grades_by_student(run) == {
        "Иван Иванов": 7.5,
        "Пётр Петров": 10,
        "Екатерина Васильева": 0,
    }


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("Пётр Петров,nan", "line 3: points must be between 0 and 10, got nan"),
        ("Пётр Петров,inf", "line 3: points must be between 0 and 10, got inf"),
        ("Пётр Петров,-1", "line 3: points must be between 0 and 10, got -1"),
        ("Пётр Петров,10.5", "line 3: points must be between 0 and 10, got 10.5"),
        ("Пётр Петров,seven", "line 3: points 'seven' is not a number"),
        ("Nobody Atall,5", "line 3: no roster student matches 'Nobody Atall'"),
        ("Ivan Ivanov,5", "line 3: Иван Иванов is already on line 2"),
        (",5", "line 3: no student in column name"),
    ],
)
def test_exam_import_is_all_or_nothing(run, tmp_path, bad_line, message):
    run("roster", "add", "Иван Иванов", "ivan@example.org")
    run("roster", "add", "Пётр Петров", "petr@example.org")
    text = f"name,points\nИван Иванов,8\n{bad_line}\n"
    code, _, err = run("exam", "import", exam_file(tmp_path, text))
    assert code == 1
    assert f"tdl-inbox: error: exam CSV {message}" in err
    assert set(grades_by_student(run).values()) == {None}


def test_exam_import_names_the_missing_column(run, tmp_path):
    code, _, err = run("exam", "import", exam_file(tmp_path, "ФИО;баллы\nИван;5\n"))
    assert code == 1
    assert "missing: student or name or email, points; found columns: 'фио', 'баллы'" in err


def test_a_version_note_is_not_a_second_student(run, deliver):
    first = deliver("theory1-Мария Сидорова", ON_TIME, "m@example.org")
    second = deliver("theory1-Мария Сидорова (исправленная версия)", LATER, "m@example.org")

    code, out, _ = run("submissions", "--json")
    listed = {s["id"]: s for s in json.loads(out)}
    assert (listed[first]["student"], listed[first]["note"]) == ("Мария Сидорова", None)
    assert (listed[second]["student"], listed[second]["note"]) == (
        "Мария Сидорова",
        "исправленная версия",
    )
    assert (listed[first]["counts"], listed[second]["counts"]) == (False, True)
    code, out, _ = run("show", str(second), "--json")
    assert json.loads(out)["note"] == "исправленная версия"
    code, out, _ = run("show", str(second))
    assert code == 0
    assert "исправленная версия" in out
    code, out, _ = run("grades", "--json")
    assert [row["student"] for row in json.loads(out)] == ["Мария Сидорова"]


def test_exam_import_without_a_roster_goes_by_name(run, tmp_path, deliver):
    deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    code, _, err = run("exam", "import", exam_file(tmp_path, "name,points\nИван Иванов,6\n"))
    assert (code, err) == (0, "")
    assert grades_by_student(run) == {"Ivan Ivanov": 6}
    text = "email,points\nivan@example.org,6\n"
    code, _, err = run("exam", "import", exam_file(tmp_path, text))
    assert code == 1
    assert "line 2: ivan@example.org is an address, but without a roster" in err


def test_adding_a_student_imported_without_an_address_completes_them(run, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name,email\nИван Иванов,\n", encoding="utf-8")
    assert run("roster", "import", str(path))[0] == 0
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org", "--group", "B05")[0] == 0
    (student,) = roster_json(run)
    assert (student["name"], student["email"], student["group"]) == (
        "Ivan Ivanov",
        "ivan@example.org",
        "B05",
    )
