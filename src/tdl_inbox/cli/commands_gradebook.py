"""The grade book: ``exam set``, ``exam``, ``grades``."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, formats_option, write_csv
from tdl_inbox.cli.params import finite
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.grading import Coefficients
from tdl_inbox.services.grading.gradebook import gradebook
from tdl_inbox.services.grading.grades import set_exam
from tdl_inbox.services.reporting.csv_text import render_csv


@click.group("exam")
def exam() -> None:
    """Exam results."""


@exam.command("set")
@click.argument("student")
@click.argument("points", type=float, callback=finite)
@pass_state
def exam_set(state: CliState, student: str, points: float) -> None:
    """Record STUDENT's exam POINTS (roster id, e-mail or name; the name without a roster)."""
    app = state.app()
    with app.sessions.begin() as session:
        name = set_exam(session, student, points, app.settings.grading.exam_max_points, utc_now())
    click.echo(f"exam: {name} {points:g} / {app.settings.grading.exam_max_points:g}")


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


@click.command("grades")
@formats_option(("table", "csv", "json"))
@pass_state
def grades(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """One row per student: points per assignment, extra, p_hw, p_exam, final grade."""
    app = state.app()
    g = app.settings.grading
    k = Coefficients(g.k_hw, g.k_exam, g.exam_max_points)
    with app.sessions.begin() as session:
        rows = gradebook(session, app.ctx.assignments, g.counting, k)
    keys = list(rows[0].points) if rows else sorted(app.ctx.assignments)
    fmt = chosen_format(fmt, as_json)
    if fmt == "json":
        emit_json(
            [
                {
                    "student": r.student,
                    "student_id": r.student_id,
                    "group": r.group,
                    "mipt": r.mipt,
                    "points": {key: _num(v) for key, v in r.points.items()},
                    "extra": _num(r.extra),
                    "exam": None if r.exam is None else _num(r.exam),
                    "p_hw": round(r.p_hw, 4),
                    "p_exam": round(r.p_exam, 4),
                    "grade": round(r.grade, 2),
                    "grade_rounded": r.grade_rounded,
                }
                for r in rows
            ],
            output,
        )
        return
    header = ["student", "group", *keys, "extra", "exam", "p_hw", "p_exam", "grade", "final"]
    body = [
        [
            r.student,
            r.group or "",
            *[_num(r.points[key]) for key in keys],
            _num(r.extra),
            "" if r.exam is None else _num(r.exam),
            round(r.p_hw, 4),
            round(r.p_exam, 4),
            round(r.grade, 2),
            r.grade_rounded,
        ]
        for r in rows
    ]
    if fmt == "csv":
        write_csv(render_csv(header, body), output)
        return
    emit_table(
        f"Grades (k_hw={g.k_hw:g}, k_exam={g.k_exam:g})",
        header,
        [[str(cell) for cell in row] for row in body],
        output,
    )


COMMANDS = [exam, grades]
