"""What a trial term showed: ids of two kinds, non-finite points, other graders' claims, a
grader's own claims, chosen late versions in the queue, assignment keys in any case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tdl_inbox.adapters.db.models import Grade, Submission
from tdl_inbox.cli.output import emit_json
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.grades import InvalidGrade, record_grade, set_exam

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LATE = datetime(2019, 3, 20, 12, 0, tzinfo=UTC)


def strict_json(text: str):
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def grade_rows(app) -> list[tuple[int, float, float, str, bool]]:
    with app.sessions.begin() as session:
        rows = session.execute(
            select(Grade.submission_id, Grade.points, Grade.extra, Grade.grader, Grade.forced)
        )
        return [tuple(row) for row in rows]


def message_of(app, submission_id: int) -> int:
    with app.sessions.begin() as session:
        found = session.scalar(select(Submission.message_pk).where(Submission.id == submission_id))
        assert found is not None
        return found


# 1. ids whose kind is visible


@pytest.fixture
def colliding(deliver):
    """A rejected message and another student's submission with the same number."""
    rejected = deliver("hello, here is my homework", ON_TIME, "petr@example.org")
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    assert rejected == sid == 1  # message 1 is rejected; message 2 is submission 1
    return sid


def test_listings_print_the_kind_of_every_id(run, colliding):
    code, out, _ = run("rejected", "--json")
    assert code == 0
    assert [(r["id"], r["ref"]) for r in strict_json(out)] == [(1, "m1")]
    assert list(strict_json(out)[0])[:2] == ["id", "ref"]
    code, out, _ = run("rejected")
    assert "m1" in out
    code, out, _ = run("submissions", "--json")
    assert [(r["id"], r["ref"]) for r in strict_json(out)] == [(1, "s1")]
    code, out, _ = run("submissions")
    assert "s1" in out
    code, out, _ = run("queue", "--json")
    assert [(r["id"], r["ref"]) for r in strict_json(out)] == [(1, "s1")]
    code, out, _ = run("queue")
    assert "s1" in out
    code, out, _ = run("show", "s1", "--json")
    details = strict_json(out)
    assert (details["ref"], details["versions"][0]["ref"]) == ("s1", "s1")
    code, out, _ = run("show", "s1")
    assert "Submission s1" in out
    code, out, _ = run("grade", "s1", "--points", "5", "--grader", "alice")
    assert (code, out.strip()) == (0, "submission s1: 5 points")


def test_a_message_id_is_refused_where_a_submission_is_expected(run, colliding, grading_app):
    code, _, err = run("grade", "m1", "--points", "5", "--grader", "bob")
    assert code == 1
    assert err.startswith("tdl-inbox: error: m1 is a rejected message, not a submission")
    assert len(err.strip().splitlines()) == 1
    assert grade_rows(grading_app) == []
    for argv in (
        ("show", "m1"),
        ("claim", "m1", "--grader", "bob"),
        ("release", "m1", "--grader", "bob"),
        ("choose", "m1"),
        ("relink", "m1", "Ivan Ivanov"),
    ):
        code, _, err = run(*argv)
        assert (code, "m1 is a rejected message, not a submission" in err) == (1, True), argv

    message = message_of(grading_app, colliding)
    code, _, err = run("grade", f"m{message}", "--points", "5", "--grader", "bob")
    assert code == 1
    assert f"m{message} is a message, not a submission: its submission is s1" in err
    code, _, err = run("grade", "x1", "--points", "5", "--grader", "bob")
    assert code == 2
    assert "expected s18 (a submission), m18 (a message)" in err
    assert grade_rows(grading_app) == []


def test_a_bare_number_is_still_a_submission(run, colliding, grading_app):
    code, out, _ = run("grade", "1", "--points", "5", "--grader", "alice")
    assert (code, out.strip()) == (0, "submission s1: 5 points")
    code, out, _ = run("grade", "S1", "--points", "6", "--grader", "alice")
    assert code == 0
    assert [row[:2] for row in grade_rows(grading_app)] == [(1, 5.0), (1, 6.0)]


# 2. non-finite numbers


@pytest.mark.parametrize("option", ["--points", "--extra"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_non_finite_points_are_refused(run, deliver, grading_app, option, value):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    argv = {"--points": "5", "--extra": "0", option: value}
    flat = [item for pair in argv.items() for item in pair]
    code, _, err = run("grade", str(sid), *flat, "--grader", "alice")
    assert code == 2
    assert "is not a finite number" in err
    assert grade_rows(grading_app) == []
    code, out, _ = run("grades", "--json")
    assert all(row["grade"] == 0 for row in strict_json(out))


def test_non_finite_exam_points_are_refused(run, grading_app):
    code, _, err = run("exam", "set", "Ivan Ivanov", "inf")
    assert (code, "is not a finite number" in err) == (2, True)
    code, out, _ = run("grades", "--json")
    assert strict_json(out) == []


def test_services_refuse_non_finite_numbers(deliver, grading_app):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    now = datetime.now(UTC)
    app = grading_app
    for points, extra in ((5.0, float("inf")), (float("nan"), 0.0), (5.0, float("nan"))):
        refused = pytest.raises(InvalidGrade, match="must be a finite number")
        with refused, app.sessions.begin() as session:
            record_grade(
                session, app.ctx.assignments, "latest_on_time", sid, points, extra, None,
                "alice", now,
            )  # fmt: skip
    for points in (float("nan"), float("inf")):
        refused = pytest.raises(InvalidGrade, match="exam points must be a finite number")
        with refused, app.sessions.begin() as session:
            set_exam(session, "Ivan Ivanov", points, 10, now, actor="admin")
    assert grade_rows(app) == []


def test_json_output_refuses_non_finite_numbers(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(TdlInboxError, match="not finite"):
        emit_json({"grade": float("inf")}, target)
    assert not target.exists()


# 3. another grader's live claim


def test_grading_another_graders_claim_needs_force(run, deliver, grading_app):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    assert run("next", "--grader", "alice")[0] == 0
    code, _, err = run("grade", f"s{sid}", "--points", "5", "--grader", "bob")
    assert code == 1
    line = err.strip()
    assert line.startswith(f"tdl-inbox: error: s{sid} is claimed by alice until 20")
    assert "--force" in line
    assert len(err.strip().splitlines()) == 1
    assert grade_rows(grading_app) == []
    code, out, _ = run("queue", "--json")
    assert strict_json(out)[0]["claimed_by"] == "alice"

    code, out, _ = run("grade", f"s{sid}", "--points", "5", "--grader", "bob", "--force")
    assert code == 0
    assert "forced" in out
    code, out, _ = run("show", f"s{sid}", "--json")
    assert [(g["grader"], g["forced"]) for g in strict_json(out)["grades"]] == [("bob", True)]
    code, out, _ = run("show", f"s{sid}")
    assert "bob (forced)" in out


def test_the_holder_grades_without_force_and_is_not_recorded_as_forced(run, deliver, grading_app):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    run("claim", str(sid), "--grader", "alice")
    code, _, _ = run("grade", str(sid), "--points", "5", "--grader", "alice")
    assert code == 0
    code, _, _ = run("grade", str(sid), "--points", "6", "--grader", "bob")  # claim gone
    assert code == 0
    assert [(row[3], row[4]) for row in grade_rows(grading_app)] == [
        ("alice", False),
        ("bob", False),
    ]


def test_releasing_another_graders_claim_needs_force(run, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    run("claim", str(sid), "--grader", "alice")
    code, _, err = run("release", str(sid), "--grader", "bob")
    assert code == 1
    assert f"s{sid} is claimed by alice until" in err
    code, out, _ = run("queue", "--json")
    assert strict_json(out)[0]["claimed_by"] == "alice"
    code, out, _ = run("release", str(sid), "--grader", "bob", "--force")
    assert (code, out.strip()) == (0, f"submission s{sid} released (it was alice's claim: forced)")
    code, out, _ = run("queue", "--json")
    assert strict_json(out)[0]["claimed_by"] is None
    code, out, _ = run("release", str(sid), "--grader", "bob")
    assert (code, out.strip()) == (0, f"submission s{sid} was not claimed")
    run("claim", str(sid), "--grader", "bob")
    code, out, _ = run("release", str(sid), "--grader", "bob")
    assert (code, out.strip()) == (0, f"submission s{sid} released")


def test_unknown_ids_exit_non_zero(run, deliver):
    deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    for argv in (
        ("release", "9999", "--grader", "bob"),
        ("release", "s9999", "--grader", "bob"),
        ("claim", "9999", "--grader", "bob"),
        ("grade", "9999", "--points", "1", "--grader", "bob"),
        ("show", "9999"),
        ("choose", "9999"),
    ):
        code, _, err = run(*argv)
        assert (code, "no submission s9999" in err) == (1, True), argv


def test_claiming_another_graders_claim_names_them(run, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    run("claim", str(sid), "--grader", "alice")
    code, _, err = run("claim", str(sid), "--grader", "bob")
    assert code == 1
    assert f"s{sid} is claimed by alice until" in err


# 4. a grader's own claims


def test_queue_mine_and_next_hand_back_the_graders_own_claims(run, deliver):
    first = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    second = deliver("Theory 1 - Petr Petrov", ON_TIME + timedelta(hours=1), "petr@example.org")
    third = deliver("Theory 1 - Anna Smirnova", ON_TIME + timedelta(hours=2), "anna@example.org")
    run("claim", str(third), "--grader", "alice")
    run("claim", str(second), "--grader", "alice")
    run("claim", str(first), "--grader", "bob")

    code, out, _ = run("queue", "--mine", "--grader", "alice", "--json")
    assert code == 0
    assert [item["id"] for item in strict_json(out)] == [second, third]
    code, out, _ = run("queue", "--mine", "--grader", "alice")
    assert f"s{second}" in out
    assert f"s{first}" not in out

    code, out, _ = run("next", "--grader", "alice", "--json")
    assert strict_json(out)["id"] == second  # her oldest claim, not new work
    code, out, _ = run("next", "--grader", "alice", "--json")
    assert strict_json(out)["id"] == second
    code, out, _ = run("next", "--grader", "carol", "--json")
    assert (code, out) == (0, "")  # everything is claimed


def test_queue_mine_reads_the_grader_from_the_environment(run, deliver, monkeypatch):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    run("claim", str(sid), "--grader", "alice")
    monkeypatch.setenv("TDL_INBOX_GRADER", "alice")
    code, out, _ = run("queue", "--mine", "--json")
    assert [item["id"] for item in strict_json(out)] == [sid]
    monkeypatch.setenv("TDL_INBOX_GRADER", "bob")
    code, out, _ = run("queue", "--mine", "--json")
    assert strict_json(out) == []
    monkeypatch.delenv("TDL_INBOX_GRADER")
    code, _, err = run("queue", "--mine")
    assert (code, "--mine needs --grader" in err) == (2, True)


def test_a_late_claim_is_handed_back_by_next(run, deliver):
    late = deliver("Theory 1 - Ivan Ivanov", LATE)
    run("claim", str(late), "--grader", "alice")
    _, out, _ = run("queue", "--mine", "--grader", "alice", "--json")
    assert [item["id"] for item in strict_json(out)] == [late]
    _, out, _ = run("next", "--grader", "alice", "--json")
    assert strict_json(out)["id"] == late


# 5. a chosen late version is in the queue


def test_a_chosen_late_version_comes_out_of_next(run, deliver, tmp_path):
    on_time = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    late = deliver("Theory 1 - Ivan Ivanov", LATE)
    _, out, _ = run("queue", "--json")
    assert [item["id"] for item in strict_json(out)] == [on_time]
    assert run("choose", f"s{late}")[0] == 0
    _, out, _ = run("queue", "--json")
    items = strict_json(out)
    assert [(item["id"], item["late"], item["chosen"]) for item in items] == [(late, True, True)]
    run("queue", "--output", str(tmp_path / "queue.txt"))  # a file: no terminal wrapping
    assert "LATE, chosen" in (tmp_path / "queue.txt").read_text(encoding="utf-8")
    _, out, _ = run("next", "--grader", "alice", "--json")
    assert strict_json(out)["id"] == late


def test_a_chosen_lone_late_version_is_in_the_queue(run, deliver):
    late = deliver("Theory 1 - Ivan Ivanov", LATE)
    _, out, _ = run("queue", "--json")
    assert strict_json(out) == []
    run("choose", str(late))
    _, out, _ = run("queue", "--json")
    assert [item["id"] for item in strict_json(out)] == [late]


# 6. assignment keys in any case


@pytest.mark.parametrize("key", ["Theory-1", "THEORY-1", " theory-1 "])
def test_assignment_keys_are_case_insensitive(run, deliver, tmp_path, key):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    late = deliver("Theory 1 - Petr Petrov", LATE, "petr@example.org")
    code, out, err = run("queue", "-a", key, "--json")
    assert (code, [item["id"] for item in strict_json(out)]) == (0, [sid]), err
    code, out, _ = run("submissions", "--assignment", key, "--json")
    assert {item["id"] for item in strict_json(out)} == {sid, late}
    code, out, _ = run("next", "-a", key, "--grader", "alice", "--json")
    assert strict_json(out)["id"] == sid
    code, out, _ = run("report", "late", "-a", key, "--json")
    assert [(row["id"], row["ref"]) for row in strict_json(out)] == [(late, f"s{late}")]
    code, _, _ = run("export", "-a", key, str(tmp_path / "export"))
    assert code == 0
    code, out, err = run("extend", "Petr Petrov", key, "--until", "2019-03-25T23:59")
    assert (code, out.strip()) == (0, "Petr Petrov: theory-1 due 2019-03-25 23:59:00 +0300"), err


def test_an_id_beyond_any_row_is_not_found(run, deliver):
    deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    code, _, err = run("show", "s99999999999")
    assert (code, "no submission s99999999999" in err) == (1, True), err
    code, _, err = run("grade", "m99999999999", "--points", "1", "--grader", "bob")
    assert (code, "no message m99999999999" in err) == (1, True), err
