"""The roster and who submissions belong to: ``roster``, ``relink``, ``choose``."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.cli.output import chosen_format, emit_json, emit_table, format_options
from tdl_inbox.cli.params import submission_argument
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.domain.ids import Ref, submission_ref
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.grading.grades import choose_version, relink
from tdl_inbox.services.grading.refs import submission_id_of
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
    """List the roster (subcommands: import, link)."""
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
    """Add or update students from a CSV file (columns name, email; optional group, mipt)."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TdlInboxError(f"{csv_file} is not UTF-8 text; save the roster as CSV UTF-8") from None
    app = state.app()
    with app.sessions.begin() as session:
        added, updated = import_roster(session, text)
    click.echo(f"roster: {added} added, {updated} updated; submissions re-linked")


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
@submission_argument
@click.argument("student")
@pass_state
def relink_cmd(state: CliState, ref: Ref, student: str) -> None:
    """Attach submission ID (s18, or 18) to STUDENT, overriding automatic linking."""
    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        found = relink(session, submission_id, student)
    ref_text = submission_ref(submission_id)
    click.echo(f"submission {ref_text} now belongs to {found.name} (id {found.id})")


@click.command("choose")
@submission_argument
@pass_state
def choose_cmd(state: CliState, ref: Ref) -> None:
    """Make version ID (s18, or 18) the one that counts (e.g. accept a late resubmission)."""
    app = state.app()
    with app.sessions.begin() as session:
        submission_id = submission_id_of(session, ref)
        sub = choose_version(session, submission_id)
        line = f"now counts for {sub.assignment} of {sub.student}"
    click.echo(f"submission {submission_ref(submission_id)} {line}")


COMMANDS = [roster, relink_cmd, choose_cmd]
