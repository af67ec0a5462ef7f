"""Setting up: ``init``, ``db upgrade``, ``check``."""

from __future__ import annotations

import shlex

import click

from tdl_inbox.app import database_errors, health_targets
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.operations.health import check_all
from tdl_inbox.services.operations.setup import starter_config, upgrade_install


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_state
def init(state: CliState, force: bool) -> None:
    """Write a starter config to edit before `tdl-inbox db upgrade`."""
    # Only the config: the database and the store go where the edited config says, so they
    # are created by `db upgrade`, not here at the starter config's paths.
    path = state.config_path
    if path.exists() and not force:
        click.echo(f"{path} exists; keeping it (use --force to overwrite)")
    else:
        template = starter_config()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template, encoding="utf-8")
        click.echo(f"wrote starter config {path}")
    config = "" if state.config_option is None else f" --config {shlex.quote(str(path))}"
    click.echo(
        f"next: edit {path} ([mailbox], [database], [storage], [[assignment]]), "
        f"then run `tdl-inbox{config} db upgrade` to create the database and the store"
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: CliState) -> None:
    """Create the database and the store, or apply pending schema migrations."""
    settings = state.settings()
    assert settings.storage.dir is not None
    with database_errors(settings):
        before, after = upgrade_install(settings.database.url, settings.storage.dir)
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")
    click.echo(f"store at {settings.storage.dir}")


@click.command()
@pass_state
def check(state: CliState) -> None:
    """Validate the config, log in to the mailbox, open the database."""
    results = check_all(health_targets(state.settings()))
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.part}: {result.detail}", err=not result.ok)
    failed = [r for r in results if not r.ok]
    if failed:
        raise TdlInboxError(f"{len(failed)} of {len(results)} checks failed")


COMMANDS = [init, db, check]
