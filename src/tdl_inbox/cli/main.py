"""Entry point: ``tdl-inbox [--config FILE] COMMAND``.

Every expected failure is a ``TdlInboxError`` and becomes one line on standard error with a
non-zero exit; unexpected ones too, unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import click

from tdl_inbox import __version__
from tdl_inbox.cli.state import CliState
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.logs import configure_logging

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

# name -> (module, short help). ``--help`` lists the commands from this table, so it imports no
# command module; a command's module (and what it needs) is imported only when it runs.
# tests/unit/test_startup.py checks the table against the modules' ``COMMANDS``.
COMMAND_TABLE: dict[str, tuple[str, str]] = {
    "accept": (
        "commands_mending",
        ("Record rejected message ID (m18) as STUDENT's submission of ASSIGNMENT, with a receipt."),
    ),
    "assignments": (
        "commands_data",
        "List configured assignments, their deadlines, overrides and extensions.",
    ),
    "backup": (
        "commands_backup",
        "Copy the database and the store into DIRECTORY (again: only what is new).",
    ),
    "check": ("commands_setup", "Validate the config, log in to the mailbox, open the database."),
    "choose": (
        "commands_roster",
        ("Make version ID (s18, or 18) the one that counts (e.g. accept a late resubmission)."),
    ),
    "claim": ("commands_grading", "Claim submission ID (s18, or 18) for GRADER."),
    "db": ("commands_setup", "Database maintenance."),
    "exam": ("commands_gradebook", "Exam results."),
    "export": (
        "commands_grading",
        (
            "Copy the counting versions' files into DIRECTORY/s<id> - <student>/, listed "
            "in DIRECTORY/manifest.csv."
        ),
    ),
    "extend": (
        "commands_extensions",
        ("Give STUDENT a later deadline for ASSIGNMENT; verdicts are recomputed at once."),
    ),
    "extensions": ("commands_extensions", "List granted extensions."),
    "grade": (
        "commands_grading",
        "Record a grade for submission ID (s18, or 18); a regrade keeps the history.",
    ),
    "history": (
        "commands_history",
        "Who decided what and when: submission ID's history, or the course's (--since DATE).",
    ),
    "grades": (
        "commands_gradebook",
        (
            "One row per student: who (roster id, e-mail), points per assignment, extra, "
            "p_hw, p_exam, final grade."
        ),
    ),
    "init": ("commands_setup", "Write a starter config to edit before `tdl-inbox db upgrade`."),
    "next": (
        "commands_grading",
        ("GRADER's oldest live claim, else the oldest unclaimed submission, claimed: show it."),
    ),
    "outbox": ("commands_outbox", "Show pending and failed outgoing mail (subcommand: send)."),
    "parse-subject": (
        "commands_data",
        ("Show how a subject line is read (checked against the config's assignments if found)."),
    ),
    "poll": ("commands_mail", "Run one poll cycle and print what it recorded."),
    "publish": (
        "commands_feedback",
        "Mail each graded student of ASSIGNMENT their grade, once (a regrade: one update).",
    ),
    "queue": (
        "commands_grading",
        (
            "Counting versions that still need a grade, oldest first (late ones only with"
            " --all, unless the admin chose them), then open regrade requests."
        ),
    ),
    "receipt": ("commands_outbox", "Look up what a student's receipt code refers to."),
    "recheck": (
        "commands_mending",
        (
            "Read messages rejected for their subject again against the config; record "
            "those that are now submissions (each student gets a follow-up receipt)."
        ),
    ),
    "regrades": (
        "commands_feedback",
        "List students' regrade requests and their state (open, resolved by regrade, kept).",
    ),
    "reject": (
        "commands_mending",
        ("Take submission ID (s42) out of the queue: its message becomes rejected with REASON."),
    ),
    "rejected": ("commands_data", "List messages that are not submissions, with the reason."),
    "release": (
        "commands_grading",
        ("Return submission ID to the queue; another grader's live claim only with --force."),
    ),
    "relink": (
        "commands_roster",
        "Attach submission ID (s18, or 18) to STUDENT, overriding automatic linking.",
    ),
    "report": ("commands_report", "Late versions, missing students, and a per-assignment summary."),
    "resolve": (
        "commands_feedback",
        (
            "Keep the grade of submission ID (s18): its open regrade request is answered "
            "with COMMENT at the next publish."
        ),
    ),
    "restore": (
        "commands_backup",
        "Fill the configured (empty) database and store from the backup in DIRECTORY.",
    ),
    "roster": ("commands_roster", "List the roster (subcommands: import, add, remove, link)."),
    "run": ("commands_mail", "Poll the mailbox every mailbox.poll_interval_seconds until stopped."),
    "serve": (
        "commands_web",
        "Serve the graders' web workspace on web.host:web.port until stopped.",
    ),
    "show": (
        "commands_grading",
        (
            "Everything about one submission: student, times, verdict, files (each with a"
            " path ending in its type's extension), the links and text of the mail, "
            "versions, grades."
        ),
    ),
    "status": (
        "commands_status",
        ("Last successful poll, last new message, today's count, outbox backlog, daemon pid."),
    ),
    "submissions": ("commands_data", "List every recorded submission with its verdict."),
    "users": (
        "commands_users",
        "Web workspace accounts (subcommands: add, list, remove, passwd, token).",
    ),
}


class LazyGroup(click.Group):
    """Commands imported on demand (click's "lazily loaded subcommands")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_TABLE)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMAND_TABLE.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"tdl_inbox.cli.{entry[0]}")
        for command in module.COMMANDS:
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        raise LookupError(f"{entry[0]} defines no command {cmd_name}")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # As click's own listing: each short help cut to fit one line.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (name, click.Command(name, help=COMMAND_TABLE[name][1]).get_short_help_str(limit))
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from tdl_inbox.services.operations.setup import schema_head

    click.echo(f"tdl-inbox {__version__} (database schema {schema_head()})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: $TDL_INBOX_CONFIG, else ./tdl-inbox.toml).",
)
@click.option("--verbose", "-v", is_flag=True, help="Log debug details.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the database schema revision it needs, and exit.",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool, debug: bool) -> None:
    """Record homework submissions from the course mailbox."""
    configure_logging(verbose)
    ctx.obj = CliState(config_option=config, debug=debug)
    ctx.call_on_close(ctx.obj.close)


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
