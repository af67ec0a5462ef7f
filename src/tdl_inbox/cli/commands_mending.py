"""Mending mistakes: ``recheck``, ``accept``, ``reject``.

Heavy modules (the application, SQLAlchemy, the services) are imported inside each command,
so ``--help`` and the other commands do not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options, write_text
from tdl_inbox.cli.params import actor_option, assignment_option, submission_argument
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, message_ref, submission_ref

if TYPE_CHECKING:
    from tdl_inbox.app import App
    from tdl_inbox.services.intake.recheck import Change


def _verdict(change: Change) -> str:
    from tdl_inbox.services.reporting.formatting import verdict_text

    return verdict_text(change.late, change.late_by_seconds, change.delivery_delay_suspected)


def _json(change: Change) -> dict[str, Any]:
    """Both ids as elsewhere (``receipt``): the number and its ref; the submission's are
    null on a dry run."""
    sid = change.submission_id
    return {
        "message_id": change.message_id,
        "message_ref": message_ref(change.message_id),
        "submission_id": sid,
        "submission_ref": None if sid is None else submission_ref(sid),
        "assignment": change.assignment,
        "student": change.student,
        "verdict": _verdict(change),
        "late": change.late,
    }


def _emit(title: str, changes: list[Change], fmt: str, as_json: bool, output: Path | None) -> None:
    if chosen_format(fmt, as_json) == "json":
        emit_json([_json(c) for c in changes], output)
        return
    rows = [
        [
            message_ref(c.message_id),
            "-" if c.submission_id is None else submission_ref(c.submission_id),
            c.assignment,
            c.student,
            _verdict(c),
        ]
        for c in changes
    ]
    emit_table(title, ["message", "submission", "assignment", "student", "verdict"], rows, output)


def _send(app: App) -> None:
    """Send the receipts just queued, as ``poll`` does (nothing without [smtp])."""
    report = app.flush_outbox()
    if report.sent or report.deferred or report.failed:
        click.echo(
            f"mail sent: {report.sent}, waiting: {report.deferred}, failed: {report.failed}",
            err=True,
        )


def _message_id(ctx: click.Context, param: click.Parameter, value: str) -> Ref:
    """``m18`` as ``rejected`` prints it; a submission id is refused by the service, in one
    line naming what was expected."""
    from tdl_inbox.domain.ids import BadId, parse_ref

    try:
        return parse_ref(value)
    except BadId as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@actor_option
@format_options
@pass_state
def recheck(
    state: CliState, dry_run: bool, actor: str, fmt: str, as_json: bool, output: Path | None
) -> None:
    """Read messages rejected for their subject again against the config; record those that
    are now submissions (each student gets a follow-up receipt)."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.intake.recheck import recheck as recheck_mail

    app = state.app()
    changes = recheck_mail(app.sessions, app.store, app.ctx, utc_now, actor=actor, dry_run=dry_run)
    if not changes and chosen_format(fmt, as_json) == "table":
        write_text("no rejected message is a submission under the current config\n", output)
        return
    title = "Would become submissions (dry run)" if dry_run else "Now submissions"
    _emit(title, changes, fmt, as_json, output)
    if changes and not dry_run:
        _send(app)


@click.command()
@click.argument("ref", metavar="ID", callback=_message_id)
@assignment_option(required=True, help="The assignment it is, e.g. theory-2.")
@click.option("--student", required=True, help="The student's name, as on the roster.")
@actor_option
@format_options
@pass_state
def accept(
    state: CliState,
    ref: Ref,
    assignment: str,
    student: str,
    actor: str,
    fmt: str,
    as_json: bool,
    output: Path | None,
) -> None:
    """Record rejected message ID (m18) as STUDENT's submission of ASSIGNMENT, with a
    receipt."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.intake.by_hand import accept as accept_message

    app = state.app()
    with app.sessions.begin() as session:
        change = accept_message(
            session, app.store, app.ctx, ref, assignment, student, utc_now(), actor=actor
        )
    _emit("Accepted", [change], fmt, as_json, output)
    _send(app)


@click.command()
@submission_argument
@click.option("--reason", required=True, help="Why it is not a submission (kept with it).")
@click.option("--force", is_flag=True, help="Even if it is graded: its grades are deleted.")
@actor_option
@pass_state
def reject(state: CliState, ref: Ref, reason: str, force: bool, actor: str) -> None:
    """Take submission ID (s42) out of the queue: its message becomes rejected with REASON."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.intake.by_hand import reject as reject_submission

    app = state.app()
    with app.sessions.begin() as session:
        done = reject_submission(session, ref, reason, force=force, actor=actor, now=utc_now())
    line = (
        f"submission {submission_ref(done.submission_id)} removed: message "
        f"{message_ref(done.message_id)} is rejected ({done.reason})"
    )
    if done.grades_removed:
        line += f"; {done.grades_removed} grade(s) deleted"
    click.echo(line)


COMMANDS = [recheck, accept, reject]
