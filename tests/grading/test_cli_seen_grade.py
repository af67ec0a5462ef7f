"""``grade --seen GRADE_ID|none``: the CLI refuses a grade saved since the grader looked, as the
workspace does; ``show`` prints the grade ids to pass."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def _grade_ids(run, ref: str) -> list[int]:
    code, out, _ = run("show", ref, "--json")
    assert code == 0
    return [g["id"] for g in json.loads(out)["grades"]]


def test_show_prints_each_grade_id_in_the_table_and_the_json(run, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    assert run("grade", f"s{sid}", "-p", "7", "-g", "alice")[0] == 0
    assert run("grade", f"s{sid}", "-p", "8", "-g", "bob")[0] == 0
    first, second = _grade_ids(run, f"s{sid}")
    assert first < second
    code, out, _ = run("show", f"s{sid}")
    assert code == 0
    history = out[out.index("Grade history") :]
    assert re.search(rf"│ {first} +│ [^│]+│ alice +│ 7 ", history)
    assert re.search(rf"│ {second} +│ [^│]+│ bob +│ 8 ", history)


def test_a_grade_saved_since_the_grader_looked_is_refused_in_course_time(run, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    # alice and bob both looked while it had no grade; alice saves first
    code, _, err = run("grade", f"s{sid}", "-p", "7", "-g", "alice", "--seen", "none")
    assert (code, err) == (0, "")
    code, out, err = run("grade", f"s{sid}", "-p", "3", "-g", "bob", "--seen", "none")
    assert code == 1
    assert out == ""
    assert err.startswith(f"tdl-inbox: error: s{sid} was graded by alice at 20")
    assert "+0300 (7 + 0 extra) after you opened it; nothing changed" in err
    assert len(err.strip().splitlines()) == 1
    (alices,) = _grade_ids(run, f"s{sid}")
    # bob has now seen alice's grade and replaces it on purpose
    code, out, _ = run("grade", f"s{sid}", "-p", "3", "-g", "bob", "--seen", str(alices))
    assert code == 0
    assert "was 7 + 0 extra by alice" in out
    code, out, _ = run("show", f"s{sid}", "--json")
    assert [(g["grader"], g["points"]) for g in json.loads(out)["grades"]] == [
        ("alice", 7),
        ("bob", 3),
    ]
    # the id alice's grade had is no longer the latest
    code, _, err = run("grade", f"s{sid}", "-p", "9", "-g", "alice", "--seen", str(alices))
    assert code == 1
    assert "was graded by bob" in err
    assert len(_grade_ids(run, f"s{sid}")) == 2


def test_seen_takes_a_grade_id_or_none_and_nothing_else(run, deliver):
    sid = deliver("Theory 1 - Ivan Ivanov", ON_TIME)
    for bad in ["g1", "-1", "1.5", "²", ""]:
        code, _, err = run("grade", f"s{sid}", "-p", "7", "-g", "alice", "--seen", bad)
        assert code == 2, bad
        assert "Invalid value for '--seen'" in err
        assert "or none" in err
    assert _grade_ids(run, f"s{sid}") == []
    code, _, _ = run("grade", f"s{sid}", "-p", "7", "-g", "alice", "--seen", "NONE")
    assert code == 0
