"""The roster and who submissions belong to: ``roster``, ``relink``, ``choose``."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.grades import choose_version, relink
from tdl_inbox.services.grading.roster import (
    addresses_of,
    find_student,
    import_roster,
    link_address,
    relink_all,
    students,
)


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
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "email": s.email,
                "group": s.group,
                "mipt": s.mipt,
                "addresses": addresses_of(session, s.id),
            }
            for s in students(session)
        ]
    if chosen_format(fmt, as_json) == "json":
        emit_json(rows, output)
        return
    table = [
        [
            str(r["id"]),
            str(r["name"]),
            str(r["email"] or ""),
            str(r["group"] or ""),
            "yes" if r["mipt"] else "best effort",
        ]
        for r in rows
    ]
    emit_table("Roster", ["id", "name", "email", "group", "MIPT"], table, output)


@roster.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def roster_import(state: CliState, csv_file: Path) -> None:
    """Add or update students from a CSV file (columns name, email; optional group, mipt).

    Comma, semicolon or tab separated (detected), UTF-8 with or without a BOM.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TdlInboxError(f"{csv_file} is not UTF-8 text; save the roster as CSV UTF-8") from None
    app = state.app()
    with app.sessions.begin() as session:
        added, updated = import_roster(session, text)
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
@pass_state
def roster_add(state: CliState, name: str, email: str, group: str | None, mipt: str) -> None:
    """Add one student NAME with address EMAIL (e.g. one who joined late)."""
    from tdl_inbox.services.grading.roster import add_student

    app = state.app()
    with app.sessions.begin() as session:
        student, linked = add_student(session, name, email, group, mipt == "yes")
        click.echo(f"roster: added {student.name} (id {student.id}); {linked} submissions linked")


@roster.command("remove")
@click.argument("student")
@click.option(
    "--force",
    is_flag=True,
    help="Also when the student has submissions, an exam result or extensions.",
)
@pass_state
def roster_remove(state: CliState, student: str, force: bool) -> None:
    """Remove STUDENT (roster id, e-mail or name) from the roster.

    Refused for a student with submissions, an exam result or extensions unless --force;
    then the submissions (with their grades) are keyed by the name in their subject again
    and the exam result and extensions are kept under the student's name.
    """
    from tdl_inbox.services.grading.roster import remove_student

    app = state.app()
    with app.sessions.begin() as session:
        removal = remove_student(session, student, force)
        click.echo(
            f"roster: removed {removal.student.name} (id {removal.student.id}); "
            f"{removal.submissions} submissions unlinked, {removal.kept} exam/extension "
            "records kept under the name"
        )


@roster.command("link")
@click.argument("email")
@click.argument("student")
@pass_state
def roster_link(state: CliState, email: str, student: str) -> None:
    """Record that EMAIL belongs to STUDENT (roster id, e-mail or name)."""
    if "@" not in email:
        raise TdlInboxError(f"{email!r} is not an e-mail address")
    app = state.app()
    with app.sessions.begin() as session:
        found = find_student(session, student)
        link_address(session, email, found)
        count = relink_all(session, sender=email)
    click.echo(f"{email} -> {found.name} (id {found.id}); {count} submissions re-linked")


@click.command("relink")
@click.argument("submission_id", type=int)
@click.argument("student")
@pass_state
def relink_cmd(state: CliState, submission_id: int, student: str) -> None:
    """Attach submission ID to STUDENT, overriding automatic linking."""
    app = state.app()
    with app.sessions.begin() as session:
        found = relink(session, submission_id, student)
    click.echo(f"submission {submission_id} now belongs to {found.name} (id {found.id})")


@click.command("choose")
@click.argument("submission_id", type=int)
@pass_state
def choose_cmd(state: CliState, submission_id: int) -> None:
    """Make version ID the one that counts (e.g. accept a late resubmission)."""
    app = state.app()
    with app.sessions.begin() as session:
        sub = choose_version(session, submission_id)
    click.echo(f"submission {submission_id} now counts for {sub.assignment} of {sub.student}")


COMMANDS = [roster, relink_cmd, choose_cmd]
