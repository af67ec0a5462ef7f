"""The roster and who submissions belong to: ``roster``, ``relink``, ``choose``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from tdl_inbox.app import utc_now
from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import actor_option, submission_argument
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, submission_ref
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.grades import choose_version, relink
from tdl_inbox.services.grading.refs import submission_id_of
from tdl_inbox.services.grading.roster import import_roster, link_sender, roster_entries


@click.group(invoke_without_command=True)
@format_options
@pass_state
@click.pass_context
def roster(
    ctx: click.Context, state: CliState, fmt: str, as_json: bool, output: Path | None
) -> None:
    """List the roster (subcommands: import, add, remove, link)."""
    if ctx.invoked_subcommand is not None:
        return
    app = state.app()
    with app.sessions.begin() as session:
        rows = roster_entries(session)
    if chosen_format(fmt, as_json) == "json":
        emit_json([asdict(r) for r in rows], output)
        return
    table = [
        [str(r.id), r.name, r.email or "", r.group or "", "yes" if r.mipt else "best effort"]
        for r in rows
    ]
    emit_table("Roster", ["id", "name", "email", "group", "MIPT"], table, output)


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@pass_state
def roster_import(state: CliState, csv_file: Path, actor: str) -> None:
    """Add or update students from a CSV file (columns name, email; optional group, mipt).

    Comma, semicolon or tab separated (detected), UTF-8 with or without a BOM.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TdlInboxError(f"{csv_file} is not UTF-8 text; save the roster as CSV UTF-8") from None
    app = state.app()
    with app.sessions.begin() as session:
        added, updated = import_roster(session, text, actor=actor, now=utc_now())
    click.echo(f"roster: {added} added, {updated} updated; submissions re-linked")


@roster.command("add")
@click.argument("name")
@click.argument("email")
@click.option("--group", default=None, help="Study group, e.g. B05-123.")
@click.option(
    "--mipt",
    type=click.Choice(["yes", "no"]),
    default="yes",
    show_default=True,
    help="no: not an MIPT student (graded on a best-effort basis).",
)
@actor_option
@pass_state
def roster_add(
    state: CliState, name: str, email: str, group: str | None, mipt: str, actor: str
) -> None:
    """Add one student NAME with address EMAIL (e.g. one who joined late)."""
    from tdl_inbox.services.grading.roster import add_student

    app = state.app()
    with app.sessions.begin() as session:
        student, linked = add_student(
            session, name, email, group, mipt == "yes", actor=actor, now=utc_now()
        )
        click.echo(f"roster: added {student.name} (id {student.id}); {linked} submissions linked")


@roster.command("remove")
@click.argument("student")
@click.option(
    "--force",
    is_flag=True,
    help="Also when the student has submissions, an exam result or extensions.",
)
@actor_option
@pass_state
def roster_remove(state: CliState, student: str, force: bool, actor: str) -> None:
    """Remove STUDENT (roster id, e-mail or name) from the roster.

    Refused for a student with submissions, an exam result or extensions unless --force;
    then the submissions (with their grades) are keyed by the name in their subject again
    and the exam result and extensions are kept under the student's name.
    """
    from tdl_inbox.services.grading.roster import remove_student

    app = state.app()
    with app.sessions.begin() as session:
        removal = remove_student(session, student, force, actor=actor, now=utc_now())
        click.echo(
            f"roster: removed {removal.student.name} (id {removal.student.id}); "
            f"{removal.submissions} submissions unlinked, {removal.kept} exam/extension "
            "records kept under the name"
        )


@roster.command("link")
@click.argument("email")
@click.argument("student")
@actor_option
@pass_state
def roster_link(state: CliState, email: str, student: str, actor: str) -> None:
    """Record that EMAIL belongs to STUDENT (roster id, e-mail or name)."""
    if "@" not in email:
        raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="EMAIL")
    app = state.app()
    with app.sessions.begin() as session:
        linked = link_sender(session, email, student, actor=actor, now=utc_now())
    click.echo(
        f"{email} -> {linked.student} (id {linked.student_id}); "
        f"{linked.relinked} submissions re-linked"
    )


@click.command("relink")
@submission_argument
@click.argument("student")
@actor_option
@pass_state
def relink_cmd(state: CliState, ref: Ref, student: str, actor: str) -> None:
    """Attach submission ID (s18, or 18) to STUDENT, overriding automatic linking."""
    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        found = relink(session, submission_id, student, actor=actor, now=utc_now())
    ref_text = submission_ref(submission_id)
    click.echo(f"submission {ref_text} now belongs to {found.name} (id {found.id})")


@click.command("choose")
@submission_argument
@actor_option
@pass_state
def choose_cmd(state: CliState, ref: Ref, actor: str) -> None:
    """Make version ID (s18, or 18) the one that counts (e.g. accept a late resubmission)."""
    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        sub = choose_version(session, submission_id, actor=actor, now=utc_now())
        line = f"now counts for {sub.assignment} of {sub.student}"
    click.echo(f"submission {submission_ref(submission_id)} {line}")


COMMANDS = [roster, relink_cmd, choose_cmd]
