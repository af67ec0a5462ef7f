"""Roster linking, flags, exam and the grade book."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tdl_inbox.domain.grading import Coefficients
from tdl_inbox.errors import NotFound, TdlInboxError
from tdl_inbox.services.grading.gradebook import gradebook
from tdl_inbox.services.grading.grades import record_grade, relink, set_exam
from tdl_inbox.services.grading.listing import submission_rows
from tdl_inbox.services.grading.roster import find_student, import_roster

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
NOW = datetime(2019, 6, 1, tzinfo=UTC)
K = Coefficients(k_hw=8, k_exam=4, exam_max_points=10)

ROSTER = """name,email,group,mipt
Иван Иванов,ivan@example.org,B05-123,yes
Пётр Петров,petr@example.org,B05-123,yes
Anna-Maria Ivanova-Petrova,anna@example.org,,no
"""


def rows(app):
    with app.sessions.begin() as session:
        return {
            r.id: r
            for r in submission_rows(
                session, app.store, app.ctx.assignments, policy=app.settings.grading.counting
            )
        }


def test_roster_links_by_address_then_by_name_in_any_spelling(grading_app, deliver):
    with grading_app.sessions.begin() as session:
        assert import_roster(session, ROSTER, actor="admin", now=NOW) == (3, 0)
    by_address = deliver("Theory 1 - Vanya", ON_TIME, "ivan@example.org")
    latin = deliver("Theory 1 - Pyotr Petrov", ON_TIME, "other@example.org")
    swapped = deliver("Lab 1 - Петров Петр", ON_TIME, "x@example.org")
    listed = rows(grading_app)
    assert listed[by_address].student == "Иван Иванов"
    assert listed[latin].student == "Пётр Петров"
    assert listed[swapped].student == "Пётр Петров"
    assert all(listed[i].link_flag is None for i in (by_address, latin, swapped))


def test_disagreeing_or_unknown_students_are_flagged_not_guessed(grading_app, deliver):
    with grading_app.sessions.begin() as session:
        import_roster(session, ROSTER, actor="admin", now=NOW)
    mismatch = deliver("Theory 1 - Пётр Петров", ON_TIME, "ivan@example.org")
    stranger = deliver("Theory 1 - Oleg Olegov", ON_TIME, "oleg@example.org")
    listed = rows(grading_app)
    assert listed[mismatch].student_id is None
    assert "is Иван Иванов but the subject names Пётр Петров" in listed[mismatch].link_flag
    assert listed[stranger].student_id is None
    assert "is in the roster" in listed[stranger].link_flag
    with grading_app.sessions.begin() as session:
        relink(session, mismatch, "petr@example.org", actor="admin", now=NOW)
    assert rows(grading_app)[mismatch].student == "Пётр Петров"
    assert rows(grading_app)[mismatch].link_flag is None


def test_without_roster_submissions_are_keyed_by_normalised_name(grading_app, deliver):
    a = deliver("Theory 1 - Ivan Ivanov", ON_TIME, "one@example.org")
    b = deliver("Theory 1 - ivanov  ivan", datetime(2019, 3, 11, tzinfo=UTC), "two@example.org")
    listed = rows(grading_app)
    assert (listed[a].counts, listed[b].counts) == (False, True)  # versions of one student
    assert listed[a].link_flag is None


def test_roster_import_is_an_update_and_rejects_bad_files(grading_app):
    with grading_app.sessions.begin() as session:
        import_roster(session, ROSTER, actor="admin", now=NOW)
        assert import_roster(
            session, ROSTER.replace("B05-123", "B05-999"), actor="admin", now=NOW
        ) == (0, 3)
        assert find_student(session, "Ivan Ivanov").group == "B05-999"
        assert find_student(session, "anna@example.org").mipt is False
    with (
        grading_app.sessions.begin() as session,
        pytest.raises(TdlInboxError, match="missing: email"),
    ):
        import_roster(session, "name,mail\nX,y@example.org\n", actor="admin", now=NOW)
    with grading_app.sessions.begin() as session, pytest.raises(NotFound):
        find_student(session, "Nobody Atall")


def test_grade_book_formula_with_extra_points_and_cap(grading_app, deliver):
    with grading_app.sessions.begin() as session:
        import_roster(session, ROSTER, actor="admin", now=NOW)
    ivan_t1 = deliver("Theory 1 - Иван Иванов", ON_TIME, "ivan@example.org")
    ivan_lab = deliver("Lab 1 - Иван Иванов", ON_TIME, "ivan@example.org")
    ivan_t2 = deliver(
        "Theory 2 - Иван Иванов", datetime(2019, 4, 1, tzinfo=UTC), "ivan@example.org"
    )
    petr_t1 = deliver("Theory 1 - Пётр Петров", ON_TIME, "petr@example.org")
    with grading_app.sessions.begin() as session:
        for sid, points, extra in [
            (ivan_t1, 10, 5),
            (ivan_lab, 10, 0),
            (ivan_t2, 9, 0),
            (petr_t1, 6, 1),
        ]:
            record_grade(
                session,
                grading_app.ctx.assignments,
                "latest_on_time",
                sid,
                points,
                extra,
                None,
                "ta",
                NOW,
            )
        set_exam(session, "Иван Иванов", 10, 10, NOW, actor="admin")
        set_exam(session, "petr@example.org", 5, 10, NOW, actor="admin")
        book = {
            r.student: r
            for r in gradebook(session, grading_app.ctx.assignments, "latest_on_time", K)
        }

    ivan, petr, anna = book["Иван Иванов"], book["Пётр Петров"], book["Anna-Maria Ivanova-Petrova"]
    # Ivan: (10 + 10 + 9 + 5 extra) / 30 = 34/30; 34/30 * 8 + 1.0 * 4 = 13.07 -> capped at 10.
    assert ivan.p_hw == pytest.approx(34 / 30)
    assert (ivan.grade, ivan.grade_rounded) == (10.0, 10)
    # Petr: (6 + 1) / 30 * 8 + 0.5 * 4 = 1.8667 + 2 = 3.8667 -> 4.
    assert petr.points == {"theory-1": 6, "lab-1": 0, "theory-2": 0}
    assert petr.grade == pytest.approx(7 / 30 * 8 + 2)
    assert petr.grade_rounded == 4
    # Anna sent nothing and sat no exam: zeros, still listed.
    assert (anna.p_hw, anna.p_exam, anna.grade, anna.mipt) == (0, 0, 0, False)


def test_exam_points_are_validated(grading_app):
    with (
        grading_app.sessions.begin() as session,
        pytest.raises(TdlInboxError, match="between 0 and 10"),
    ):
        set_exam(session, "Ivan Ivanov", 11, 10, NOW, actor="admin")
