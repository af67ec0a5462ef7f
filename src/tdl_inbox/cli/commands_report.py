"""The admin's reports: ``report late``, ``report missing``, ``report summary``.

Each takes ``--format table|csv|json|md|html`` (``--json``) and ``--output FILE``. What each
shows is ``services.reporting.documents``; how it is laid out, ``services.reporting.render``.
"""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, formats_option
from tdl_inbox.cli.report_output import emit_report
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.services.mail.notify import queue_report
from tdl_inbox.services.reporting.documents import (
    NO_ROSTER,
    late_document,
    late_json,
    missing_document,
    report_mail,
    summary_document,
    with_chart,
)
from tdl_inbox.services.reporting.formatting import to_jsonable
from tdl_inbox.services.reporting.reports import (
    has_roster,
    late_report,
    missing_report,
    summary_report,
)

FORMATS = ("table", "csv", "json", "md", "html")

assignment_option = click.option("--assignment", "-a", help="Only this assignment, e.g. theory-2.")


@click.group("report")
def report() -> None:
    """Late versions, missing students, and a per-assignment summary."""


@report.command("late")
@assignment_option
@click.option("--email", is_flag=True, help="Also e-mail this report to the admin now.")
@formats_option(FORMATS)
@pass_state
def late_cmd(
    state: CliState,
    assignment: str | None,
    email: bool,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Every late version with its evidence: arrival, deadline, Date: header, Received: hops.

    With --email the report goes by mail and only that is said (the report itself is written
    too only with --output)."""
    app = state.app_for_assignment(assignment)
    if email:
        subject, text, html = report_mail(app.report_scope(), assignment)
        with app.sessions.begin() as session:
            queued = queue_report(session, app.settings, subject, text, html, utc_now())
        flushed = app.flush_outbox()
        problem = f" ({flushed.error}; the daemon retries)" if flushed.error else ""
        whom = f"{queued} recipient{'' if queued == 1 else 's'}"
        click.echo(f"report queued for {whom}, {flushed.sent} sent{problem}")
        if output is None:
            return
    with app.sessions.begin() as session:
        rows = late_report(session, app.store, app.ctx.assignments, assignment)
    doc = late_document(rows, app.report_scope(), assignment)
    fmt = chosen_format(fmt, as_json)
    doc = with_chart(doc, app.report_scope(), assignment) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: late_json(rows, app.report_scope()))


@report.command("missing")
@assignment_option
@formats_option(FORMATS)
@pass_state
def missing_cmd(
    state: CliState, assignment: str | None, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Roster students with no on-time version of an assignment whose deadline has passed."""
    app = state.app_for_assignment(assignment)
    with app.sessions.begin() as session:
        roster = has_roster(session)
        rows = missing_report(session, app.ctx.assignments, utc_now(), assignment)
    if not roster:
        click.echo(f"tdl-inbox: {NO_ROSTER}", err=True)
    doc = missing_document(rows, app.report_scope(), roster)
    fmt = chosen_format(fmt, as_json)
    doc = with_chart(doc, app.report_scope(), assignment) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: to_jsonable(rows, app.settings.course.zone))


@report.command("summary")
@formats_option(FORMATS)
@pass_state
def summary_cmd(state: CliState, fmt: str, as_json: bool, output: Path | None) -> None:
    """Per assignment: students on time, late, missing; counting versions graded, pending."""
    app = state.app()
    with app.sessions.begin() as session:
        rows = summary_report(
            session, app.ctx.assignments, app.settings.grading.counting, utc_now()
        )
    doc = summary_document(rows, app.report_scope())
    fmt = chosen_format(fmt, as_json)
    doc = with_chart(doc, app.report_scope(), None) if fmt == "html" else doc
    emit_report(fmt, output, doc, lambda: to_jsonable(rows, app.settings.course.zone))


COMMANDS = [report]
