"""Feedback to students: ``publish``, ``resolve``, ``regrades``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import (
    ACTOR_ENV,
    actor_option,
    assignment_key,
    os_user,
    submission_argument,
)
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, submission_ref, with_ref

GRADER_ENV = "TDL_INBOX_GRADER"
STATE_NAMES = {"open": "open", "regraded": "resolved by regrade", "kept": "kept"}


@click.command("publish")
@click.argument("assignment", callback=assignment_key)
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@actor_option
@pass_state
def publish_cmd(state: CliState, assignment: str, dry_run: bool, as_json: bool, actor: str) -> None:
    """Mail each graded student of ASSIGNMENT their grade, once (a regrade: one update)."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.mail.feedback import publish

    app = state.app_for_assignment(assignment)
    policy = app.feedback_policy()
    with app.sessions.begin() as session:
        results = publish(
            session,
            policy,
            app.ctx.assignments,
            assignment,
            utc_now(),
            actor,
            dry_run=dry_run,
        )
        if dry_run:
            session.rollback()
    queued = [r for r in results if r.kind != "skipped"]
    sent = None if dry_run or not queued else app.flush_outbox()
    if as_json:
        emit_json(
            {
                "assignment": assignment,
                "dry_run": dry_run,
                "mails": [
                    {
                        "submission_id": r.submission_id,
                        "submission_ref": submission_ref(r.submission_id),
                        "student": r.student,
                        "kind": r.kind,
                        "to": r.to_addr,
                        "points": r.points,
                        "previous_points": r.previous_points,
                        "reason": r.reason,
                        "subject": r.subject or None,
                        "body": r.body or None,
                    }
                    for r in results
                ],
                "sent": None if sent is None else sent.sent,
                "send_error": None if sent is None else sent.error,
            },
            None,
        )
        return
    rows = [
        [
            submission_ref(r.submission_id),
            r.student,
            r.kind,
            r.to_addr or "",
            f"{r.points:g}"
            + ("" if r.previous_points is None else f" (was {r.previous_points:g})"),
            r.reason or "",
        ]
        for r in results
    ]
    verb = "would send" if dry_run else "queued"
    emit_table(
        f"{assignment}: {verb} {len(queued)} grade mail{'' if len(queued) == 1 else 's'}",
        ["id", "student", "mail", "to", "points", "skipped because"],
        rows,
        None,
    )
    if dry_run:
        for r in queued:
            click.echo(f"\n--- To: {r.to_addr}\n--- Subject: {r.subject}\n{r.body}")
        return
    if sent is not None:
        line = f"sent {sent.sent}"
        if sent.error:
            line += f"; the rest wait in the outbox ({sent.error})"
        click.echo(line)


@click.command("resolve")
@submission_argument
@click.option("--comment", "-m", required=True, help="Why the grade stands (told the student).")
@click.option("--grader", "-g", envvar=GRADER_ENV, help="Your name ($TDL_INBOX_GRADER).")
@pass_state
def resolve_cmd(state: CliState, ref: Ref, comment: str, grader: str | None) -> None:
    """Keep the grade of submission ID (s18): its open regrade request is answered with COMMENT
    at the next publish."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.grading.refs import submission_id_of
    from tdl_inbox.services.grading.regrades import resolve

    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        count = resolve(
            session,
            submission_id,
            comment,
            grader or os.environ.get(ACTOR_ENV) or os_user(),
            utc_now(),
        )
    click.echo(
        f"submission {submission_ref(submission_id)}: grade kept ({count} request"
        f"{'' if count == 1 else 's'}); the student hears it at the next publish"
    )


def regrade_json(row: Any, zone: Any) -> dict[str, Any]:
    from tdl_inbox.services.reporting.formatting import to_jsonable

    data: dict[str, Any] = to_jsonable(row, zone)
    return with_ref(
        data, submission_ref(row.submission_id), after="submission_id", key="submission_ref"
    )


@click.command("regrades")
@click.option("--state", "state_filter", type=click.Choice(["open", "regraded", "kept"]))
@click.option("--assignment", "-a", callback=assignment_key, help="Only this assignment.")
@format_options
@pass_state
def regrades_cmd(
    state: CliState,
    state_filter: str | None,
    assignment: str | None,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """List students' regrade requests and their state (open, resolved by regrade, kept)."""
    from tdl_inbox.services.grading.regrades import regrade_rows
    from tdl_inbox.services.reporting.formatting import short_time

    app = state.app_for_assignment(assignment)
    zone = app.settings.course.zone
    with app.sessions.begin() as session:
        rows = regrade_rows(session, state=state_filter, assignment=assignment)
    if chosen_format(fmt, as_json) == "json":
        emit_json([regrade_json(row, zone) for row in rows], output)
        return
    table = [
        [
            submission_ref(r.submission_id),
            r.assignment,
            r.student,
            short_time(r.requested_at, zone),
            r.routed_to or "",
            STATE_NAMES.get(r.state, r.state)
            + (" (answered)" if r.answered_at is not None else ""),
            r.text,
            r.resolution or "",
        ]
        for r in rows
    ]
    emit_table(
        f"Regrade requests: {len(rows)}",
        ["id", "assignment", "student", "requested", "grader", "state", "text", "answer"],
        table,
        output,
    )


COMMANDS = [publish_cmd, resolve_cmd, regrades_cmd]
