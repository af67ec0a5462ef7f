"""``backup`` and ``restore``: a consistent copy of the database and the store, and back."""

from __future__ import annotations

from pathlib import Path

import click

from tdl_inbox.cli.params import actor_option
from tdl_inbox.cli.state import CliState, pass_state


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_state
def backup(state: CliState, directory: Path) -> None:
    """Copy the database and the store into DIRECTORY (again: only what is new)."""
    from tdl_inbox.app import database_errors, utc_now
    from tdl_inbox.services.operations.backup import take_backup

    app = state.app(require_schema=False)  # a backup before `db upgrade` is the point
    with database_errors(app.settings):
        result = take_backup(app.install(), directory, utc_now())
    manifest, store = result.manifest, result.store
    click.echo(f"backup written to {directory} (schema {manifest.schema_revision})")
    if manifest.database_bytes is not None:
        click.echo(
            f"database: {manifest.database_file}, {_size(manifest.database_bytes)}, "
            f"sha256 {manifest.database_sha256}"
        )
    click.echo(
        f"store: {store.files} files ({_size(store.bytes)}), {store.copied_files} new "
        f"({_size(store.copied_bytes)}) copied"
    )
    if result.database_note:
        click.echo(f"note: {result.database_note}")


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@actor_option
@pass_state
def restore(state: CliState, directory: Path, actor: str) -> None:
    """Fill the configured (empty) database and store from the backup in DIRECTORY."""
    from tdl_inbox.app import database_errors, utc_now
    from tdl_inbox.services.operations.backup import restore_backup

    app = state.app(require_schema=False)  # the database is empty until restored
    with database_errors(app.settings):
        result = restore_backup(app.install(), directory, actor=actor, now=utc_now())
    manifest = result.manifest
    click.echo(
        f"restored the backup of {manifest.created_at} (tdl-inbox {manifest.tdl_inbox_version}, "
        f"schema {manifest.schema_revision}) from {directory}"
    )
    click.echo(f"store: {result.store.files} files ({_size(result.store.bytes)})")
    if result.upgraded_to is not None:
        click.echo(
            f"database upgraded from schema {manifest.schema_revision} to {result.upgraded_to}"
        )
    if result.database_note:
        click.echo(f"note: {result.database_note}")


COMMANDS = [backup, restore]
