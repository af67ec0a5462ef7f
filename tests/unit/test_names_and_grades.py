"""Name matching keys, the grade formula by hand, CSV neutralisation, export names."""

from __future__ import annotations

import pytest

from tdl_inbox.domain.grading import Coefficients, final_grade
from tdl_inbox.domain.names import display_name, name_key
from tdl_inbox.services.grading.export import safe_name
from tdl_inbox.services.reporting.csv_text import neutralize, render_csv


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ivan Ivanov", "Иван Иванов"),
        ("Ivanov Ivan", "Иван Иванов"),
        ("IVAN   ivanov", "иван иванов"),
        ("Pyotr Petrov", "Пётр Петров"),
        ("Petr Petrov", "Петр Петров"),
        ("Артём", "Артем"),
        ("Dmitry", "Дмитрий"),
        ("Dmitrii", "Dmitriy"),
        ("Natalia", "Наталья"),
        ("Yuri", "Юрий"),
        ("Aleksei", "Alexey"),
        ("Anna-Maria Ivanova-Petrova", "Анна-Мария Иванова-Петрова"),
        ("Shchukin", "Щукин"),
    ],
)
def test_same_person_gets_the_same_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Ivan Ivanov", "Ivan Petrov"), ("Анна", "Инна")])
def test_different_people_get_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_display_name_is_nfc_and_collapsed():
    assert display_name("  Йоханнес \t Ку ") == "Йоханнес Ку"


K = Coefficients(k_hw=8, k_exam=4, exam_max_points=10)


def test_grade_formula_worked_example():
    # 4 assignments of 10 points; 7 + 8 + 0 + 10 = 25 points, 2 extra; exam 6 of 10.
    points = {"theory-1": 7, "theory-2": 8, "theory-3": 0, "lab-1": 10}
    result = final_grade(points, extra=2, possible=40, exam_points=6, k=K)
    assert result.p_hw == pytest.approx(27 / 40)
    assert result.p_exam == pytest.approx(0.6)
    assert result.grade == pytest.approx(27 / 40 * 8 + 0.6 * 4)  # 5.4 + 2.4 = 7.8
    assert result.rounded == 8


def test_extra_points_push_the_grade_to_the_cap():
    result = final_grade({"theory-1": 10, "lab-1": 10}, extra=6, possible=20, exam_points=9, k=K)
    assert result.p_hw == pytest.approx(1.3)
    assert result.grade == 10.0


def test_missing_exam_and_work_count_zero():
    result = final_grade({}, extra=0, possible=40, exam_points=None, k=K)
    assert (result.p_hw, result.p_exam, result.grade, result.rounded) == (0, 0, 0, 0)


def test_rounding_is_half_up():
    assert final_grade({"a": 15}, 0, 20, 5, K).rounded == 8  # 6.0 + 2.0
    assert final_grade({"a": 25}, 0, 40, 5, K).rounded == 7  # 5.0 + 2.0 = 7.0
    assert final_grade({"a": 65}, 0, 80, 0, K).rounded == 7  # 6.5 -> 7


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_are_neutralised(cell):
    assert neutralize(cell) == "'" + cell


def test_numbers_stay_numbers_and_csv_has_bom():
    text = render_csv(["student", "grade"], [["Иван", -1.5]])
    assert text.startswith("\ufeffstudent,grade\r\n")
    assert "Иван,-1.5" in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\x", "C_x"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("", "fallback"),
        ("   ", "fallback"),
        ("a\u202egpj.exe", "agpj.exe"),
    ],
)
def test_export_names_are_safe(name, expected):
    assert safe_name(name, "fallback") == expected


def test_long_export_names_keep_their_extension():
    name = safe_name("x" * 300 + ".pdf", "f")
    assert len(name.encode()) <= 200
    assert name.endswith(".pdf")
    cjk = safe_name("漢" * 100 + ".pdf", "f")
    assert len(cjk.encode()) <= 200
    assert cjk.endswith(".pdf")


def test_reply_ids_read_in_reply_to_then_references_without_repeats():
    from tdl_inbox.services.intake.batch_lookups import reply_ids

    assert reply_ids("<b@x>", "<a@x> <b@x>\r\n <c@x> junk <no spaces@x>") == [
        "<b@x>",
        "<a@x>",
        "<c@x>",
    ]
    assert reply_ids(None, None) == []
