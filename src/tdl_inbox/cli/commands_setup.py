"""Setting up: ``init``, ``db upgrade``, ``check``."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import upgrade
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.app import database_errors, health_targets
from tdl_inbox.cli.state import CliState, pass_state
from tdl_inbox.config.loading import load_config
from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError, TdlInboxError
from tdl_inbox.services.operations.health import check_all

EXAMPLE_CONFIG = Path(__file__).resolve().parents[3] / "config.example.toml"


def _migrate(settings: Settings) -> tuple[str | None, str | None]:
    engine = make_engine(settings.database.url)
    try:
        with database_errors(settings):
            return upgrade(engine)
    finally:
        engine.dispose()


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_state
def init(state: CliState, force: bool) -> None:
    """Write a starter config (if none exists) and create the database."""
    path = state.config_path
    if path.exists() and not force:
        click.echo(f"{path} exists; keeping it (use --force to overwrite)")
    else:
        try:
            template = EXAMPLE_CONFIG.read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(
                f"starter config {EXAMPLE_CONFIG} is missing from this install"
            ) from None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template, encoding="utf-8")
        click.echo(f"wrote starter config {path}: edit [mailbox] and [[assignment]]")
    settings = load_config(path)
    _, after = _migrate(settings)
    assert settings.storage.dir is not None
    BlobStore(settings.storage.dir).ensure()
    click.echo(f"database ready at revision {after}; store at {settings.storage.dir}")
    click.echo("next: set the password variable, then run `tdl-inbox check`")


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: CliState) -> None:
    """Apply pending schema migrations."""
    before, after = _migrate(state.settings())
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


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
