"""Entry point: ``tdl-inbox [--config FILE] COMMAND``.

Every expected failure is a ``TdlInboxError`` and becomes one line on standard error with a
non-zero exit; unexpected ones too, unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from tdl_inbox import __version__
from tdl_inbox.cli import (
    commands_data,
    commands_extensions,
    commands_gradebook,
    commands_grading,
    commands_mail,
    commands_outbox,
    commands_report,
    commands_roster,
    commands_setup,
    commands_status,
)
from tdl_inbox.cli.state import CliState
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.logs import configure_logging

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $TDL_INBOX_CONFIG, else ./tdl-inbox.toml).",
)
@click.option("--verbose", "-v", is_flag=True, help="Log debug details.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(__version__, prog_name="tdl-inbox")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool, debug: bool) -> None:
    """Record homework submissions from the course mailbox."""
    configure_logging(verbose)
    ctx.obj = CliState(config_option=config, debug=debug)
    ctx.call_on_close(ctx.obj.close)


for module in (
    commands_setup,
    commands_mail,
    commands_data,
    commands_roster,
    commands_grading,
    commands_gradebook,
    commands_extensions,
    commands_outbox,
    commands_status,
    commands_report,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result = cli.main(args=argv, prog_name="tdl-inbox", standalone_mode=False)
    except TdlInboxError as exc:
        click.echo(f"tdl-inbox: error: {exc}", err=True)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("tdl-inbox: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        hint = " (see tdl-inbox --help)" if isinstance(exc, click.UsageError) else ""
        click.echo(f"tdl-inbox: error: {exc.format_message()}{hint}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("tdl-inbox: interrupted", err=True)
        return 130
    except Exception as exc:
        if debug:
            raise
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        click.echo(
            f"tdl-inbox: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            err=True,
        )
        return EXIT_INTERNAL
    # Without standalone mode click returns the code of an ``Exit`` raised by a command.
    return result if isinstance(result, int) else 0
