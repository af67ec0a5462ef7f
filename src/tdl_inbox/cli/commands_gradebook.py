"""The grade book: ``exam set``, ``exam import``, ``grades``."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, formats_option, write_csv
from tdl_inbox.cli.params import actor_option, finite
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.gradebook import gradebook, gradebook_json
from tdl_inbox.services.grading.gradebook_output import (
    DELIMITERS,
    UNPUBLISHED,
    assignment_keys,
    gradebook_cells,
    gradebook_csv,
)
from tdl_inbox.services.grading.grades import set_exam


@click.group("exam")
def exam() -> None:
    """Exam results."""


@exam.command("set")
@click.argument("student")
@click.argument("points", type=float, callback=finite)
@actor_option
@pass_state
def exam_set(state: CliState, student: str, points: float, actor: str) -> None:
    """Record STUDENT's exam POINTS (roster id, e-mail or name; the name without a roster)."""
    app = state.app()
    with app.sessions.begin() as session:
        name = set_exam(
            session,
            student,
            points,
            app.settings.grading.exam_max_points,
            utc_now(),
            actor=actor,
        )
    click.echo(f"exam: {name} {points:g} / {app.settings.grading.exam_max_points:g}")


@exam.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@pass_state
def exam_import(state: CliState, csv_file: Path, actor: str) -> None:
    """Record the whole class's exam points from a CSV file, all or nothing.

    Columns: student (or name, or email: a roster id, e-mail or name) and points. Comma,
    semicolon or tab separated; a decimal comma is fine. A bad line is refused with its number
    and nothing is recorded.
    """
    from tdl_inbox.services.grading.exam_import import import_exam

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TdlInboxError(f"{csv_file} is not UTF-8 text; save it as CSV UTF-8") from None
    app = state.app()
    max_points = app.settings.grading.exam_max_points
    with app.sessions.begin() as session:
        count = import_exam(session, text, max_points, utc_now(), actor=actor)
    click.echo(f"exam: {count} results recorded (out of {max_points:g})")


@click.command("grades")
@formats_option(("table", "csv", "json"))
@click.option(
    "--delimiter",
    type=click.Choice(list(DELIMITERS)),
    help="CSV field separator; with ';' numbers get a decimal comma (default ',').",
)
@pass_state
def grades(
    state: CliState, fmt: str, as_json: bool, output: Path | None, delimiter: str | None
) -> None:
    """One row per student: who (roster id, e-mail), points per assignment, extra, p_hw,
    p_exam, final grade."""
    fmt = chosen_format(fmt, as_json)
    if delimiter is not None and fmt != "csv":
        raise click.UsageError("--delimiter applies to --format csv only")
    app = state.app()
    g = app.settings.grading
    with app.sessions.begin() as session:
        rows = gradebook(session, app.ctx.assignments, g.counting, app.coefficients())
    keys = assignment_keys(rows, app.ctx.assignments)
    if fmt == "json":
        emit_json(gradebook_json(rows), output)
        return
    if fmt == "csv":
        write_csv(gradebook_csv(rows, keys, delimiter or ","), output)
        return
    columns, cells = gradebook_cells(rows, keys)
    emit_table(
        f"Grades (k_hw={g.k_hw:g}, k_exam={g.k_exam:g}; {UNPUBLISHED} not published yet)",
        columns,
        cells,
        output,
    )


COMMANDS = [exam, grades]
