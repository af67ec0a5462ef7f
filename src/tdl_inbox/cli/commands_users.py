"""Web accounts: ``users add|list|remove|passwd|token``."""

from __future__ import annotations

import sys

import click

from tdl_inbox.cli.params import actor_option
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import TdlInboxError


def _read_password(from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The new password, and whether it was generated (then it is printed once)."""
    if from_stdin and generate:
        raise click.UsageError("--password-stdin and --generate exclude each other")
    if generate:
        from tdl_inbox.services.operations.accounts import generate_password

        return generate_password(), True
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise TdlInboxError("no password on standard input")
        return password, False
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password), False


@click.group("users")
def users_group() -> None:
    """Web workspace accounts (subcommands: add, list, remove, passwd, token)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["grader", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@actor_option
@pass_state
def add_cmd(
    state: CliState, name: str, role: str, password_stdin: bool, generate: bool, actor: str
) -> None:
    """Add web user NAME (the grader name --grader takes) with ROLE."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.operations import accounts

    password, generated = _read_password(password_stdin, generate)
    app = state.app()
    with app.sessions.begin() as session:
        chosen: accounts.Role = "admin" if role == "admin" else "grader"
        accounts.add(session, name, chosen, password, utc_now(), actor=actor)
    click.echo(f"web user {name} added ({role})")
    if generated:
        click.echo(f"password (shown only now): {password}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@pass_state
def list_cmd(state: CliState, as_json: bool) -> None:
    """List web users, their roles and whether they hold an API token."""
    from tdl_inbox.cli.output import emit_json, emit_table
    from tdl_inbox.services.operations import accounts
    from tdl_inbox.services.reporting.formatting import short_time

    app = state.app()
    with app.sessions.begin() as session:
        found = accounts.listing(session)
    zone = app.settings.course.zone
    if as_json:
        emit_json(
            [
                {
                    "name": a.name,
                    "role": a.role,
                    "created_at": a.created_at.isoformat(),
                    "token": a.has_token,
                    "token_created_at": a.token_created_at and a.token_created_at.isoformat(),
                }
                for a in found
            ],
            None,
        )
        return
    rows = [
        [
            a.name,
            a.role,
            short_time(a.created_at, zone),
            short_time(a.token_created_at, zone) if a.token_created_at else "-",
        ]
        for a in found
    ]
    emit_table(f"Web users: {len(found)}", ["name", "role", "added", "token since"], rows, None)


@users_group.command("remove")
@click.argument("name")
@actor_option
@pass_state
def remove_cmd(state: CliState, name: str, actor: str) -> None:
    """Remove web user NAME (their sessions and token stop working at once)."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.operations import accounts

    with state.app().sessions.begin() as session:
        accounts.remove(session, name, actor=actor, now=utc_now())
    click.echo(f"web user {name} removed")


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--generate", is_flag=True, help="Make a random password and print it once.")
@actor_option
@pass_state
def passwd_cmd(
    state: CliState, name: str, password_stdin: bool, generate: bool, actor: str
) -> None:
    """Set web user NAME's password."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.operations import accounts

    password, generated = _read_password(password_stdin, generate)
    with state.app().sessions.begin() as session:
        accounts.set_password(session, name, password, actor=actor, now=utc_now())
    click.echo(f"password of {name} changed")
    if generated:
        click.echo(f"password (shown only now): {password}")


@users_group.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Forget NAME's token instead.")
@actor_option
@pass_state
def token_cmd(state: CliState, name: str, revoke: bool, actor: str) -> None:
    """A new API token for NAME (replacing the old one), printed once on the last line."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.operations import accounts

    with state.app().sessions.begin() as session:
        if revoke:
            had = accounts.revoke_token(session, name, actor=actor, now=utc_now())
            click.echo(f"API token of {name} revoked" if had else f"{name} had no API token")
            return
        token = accounts.new_token(session, name, utc_now(), actor=actor)
    click.echo(f"API token for {name}; shown only now, send it as `Authorization: Bearer TOKEN`:")
    click.echo(token)


COMMANDS = [users_group]
