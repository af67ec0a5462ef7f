"""The grade book as the admin reads it: who each row is, sorted by name, numbers as promised."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tdl_inbox.services.grading.roster import import_roster

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
ROSTER = """name,email,group,mipt
Жуков Олег,zhukov@example.org,102,yes
Ёлкина Анна,yolkina@example.org,101,no
Дарья Лебедева,dasha@example.org,101,yes
Евдокимов Иван,evd@example.org,102,yes
bob Jones,bob@example.org,,no
Alice Smith,alice@example.org,,no
"""
ORDER = [
    "Alice Smith",
    "bob Jones",
    "Дарья Лебедева",
    "Дарья Лебедева",
    "Евдокимов Иван",
    "Ёлкина Анна",
    "Жуков Олег",
]


@pytest.fixture
def two_darias(grading_app, deliver, run):
    """Daria from the roster, graded 8 of 10 with exam 7, and a flagged submission under her
    name sent from Zhukov's address."""
    with grading_app.sessions.begin() as session:
        import_roster(session, ROSTER, actor="admin", now=ON_TIME)
    daria = deliver("Theory 1 - Дарья Лебедева", ON_TIME, "dasha@example.org")
    deliver("Lab 1 - Дарья Лебедева", ON_TIME, "zhukov@example.org")
    assert run("grade", str(daria), "--points", "8", "--grader", "ta")[0] == 0
    assert run("exam", "set", "dasha@example.org", "7")[0] == 0


def csv_rows(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def test_rows_say_who_they_are_and_sort_as_a_person_expects(run, two_darias):
    code, out, _ = run("grades", "--json")
    book = json.loads(out)
    assert code == 0
    assert [r["student"] for r in book] == ORDER
    roster_daria, flagged_daria = book[2], book[3]
    assert isinstance(roster_daria["student_id"], int)
    assert (roster_daria["email"], roster_daria["mipt"]) == ("dasha@example.org", True)
    # not on the roster: the address it was sent from, and no roster id or MIPT flag
    assert (flagged_daria["student_id"], flagged_daria["email"], flagged_daria["mipt"]) == (
        None,
        "zhukov@example.org",
        None,
    )

    code, out, _ = run("grades", "--format", "csv")
    rows = csv_rows(out)
    assert [r["student"] for r in rows] == ORDER
    assert [(r["student_id"], r["email"], r["mipt"]) for r in rows[2:4]] == [
        (str(roster_daria["student_id"]), "dasha@example.org", "yes"),
        ("", "zhukov@example.org", ""),
    ]
    assert rows[5]["mipt"] == "no"


def test_numbers_have_the_promised_decimals_in_table_and_csv(run, two_darias):
    # p_hw = 8/30 = 0.26666..., p_exam = 0.7, grade = 0.2666... * 8 + 0.7 * 4 = 4.9333...
    _, out, _ = run("grades", "--format", "csv")
    daria = csv_rows(out)[2]
    assert (daria["p_hw"], daria["p_exam"], daria["grade"], daria["final"]) == (
        "0.2667",
        "0.7000",
        "4.93",
        "5",
    )
    assert csv_rows(out)[0]["grade"] == "0.00"

    _, out, _ = run("grades")
    line = next(line for line in out.splitlines() if "dasha@example.org" in line)
    assert {"0.2667", "0.7000", "4.93"} <= set(line.split())

    _, out, _ = run("grades", "--json")
    daria_json = json.loads(out)[2]
    assert (daria_json["p_hw"], daria_json["p_exam"], daria_json["grade"]) == (0.2667, 0.7, 4.93)


def test_semicolon_delimiter_writes_decimal_commas(run, two_darias):
    code, out, _ = run("grades", "--format", "csv", "--delimiter", ";")
    assert code == 0
    rows = csv_rows(out, ";")
    daria = rows[2]
    assert (daria["p_hw"], daria["p_exam"], daria["grade"]) == ("0,2667", "0,7000", "4,93")
    assert daria["theory-1"] == "8"
    assert out.splitlines()[0].count(";") == len(rows[0]) - 1

    code, _, err = run("grades", "--delimiter", ";")
    assert code == 2
    assert "--delimiter" in err


def test_piped_tables_do_not_wrap(run, two_darias):
    _, out, _ = run("grades")
    lines = out.splitlines()
    assert max(len(line) for line in lines) > 80
    # one line per student: the flagged row is told apart by its address on the same line
    assert sum("Дарья Лебедева" in line for line in lines) == 2
    assert any("Дарья Лебедева" in line and "zhukov@example.org" in line for line in lines)
