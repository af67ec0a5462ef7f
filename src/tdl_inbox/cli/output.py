"""Render rows as tables or JSON, to standard output or a file.

Table cells often hold text from mail, so each is shown as plain text (never as rich markup:
``[red]`` in a subject stays ``[red]``) with escape sequences and control characters removed.
A table only wraps to the width of a terminal; piped or written to a file it keeps its
natural width, so each row stays on one line for ``grep`` and friends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from tdl_inbox.domain.display import printable
from tdl_inbox.errors import TdlInboxError

FORMATS = ("table", "json")
# Wide enough for any row; rich sizes a table to its content, never to the console's width.
UNWRAPPED_WIDTH = 1_000_000


def format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format table|json``, ``--json`` (= ``--format json``) and ``--output FILE``."""
    return formats_option(FORMATS)(func)


def formats_option(formats: Sequence[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like ``format_options`` for a command with more output formats."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
        )(func)
        func = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(func)
        return click.option(
            "--format", "fmt", type=click.Choice(list(formats)), default="table", show_default=True
        )(func)

    return decorate


def chosen_format(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt


def emit_json(data: Any, output: Path | None) -> None:
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    except ValueError:  # NaN and Infinity are not JSON: refuse rather than break the reader
        raise TdlInboxError(
            "the output holds a number that is not finite; nothing written"
        ) from None
    write_text(text, output)


def write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def emit_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    output: Path | None,
    *,
    append: bool = False,
) -> None:
    # Imported here: rich is a good part of a command's start-up, and JSON output needs none.
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(printable(title)), show_lines=False)
    for column in columns:
        table.add_column(Text(printable(column)), overflow="fold")
    for row in rows:
        table.add_row(*(Text(printable(cell, multiline=True)) for cell in row))
    if output is None:
        if sys.stdout.isatty():
            Console(soft_wrap=False).print(table)
        else:
            Console(file=sys.stdout, width=UNWRAPPED_WIDTH, no_color=True).print(table)
        return
    with output.open("a" if append else "w", encoding="utf-8") as handle:
        Console(file=handle, width=UNWRAPPED_WIDTH, no_color=True).print(table)


def write_csv(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
