"""A report document on standard output or in a file, in the format the admin asked for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tdl_inbox.cli.output import emit_json, emit_table, write_csv, write_text
from tdl_inbox.services.reporting.csv_text import render_csv
from tdl_inbox.services.reporting.render import (
    Report,
    cell_text,
    csv_cell,
    render_html,
    render_markdown,
)


def emit_report(fmt: str, output: Path | None, doc: Report, data: Callable[[], Any]) -> None:
    """Write ``doc`` as a table, CSV (its first table), Markdown or HTML; JSON is ``data()``."""
    if fmt == "json":
        emit_json(data(), output)
    elif fmt == "csv":
        table = doc.tables[0]
        rows = [[csv_cell(v) for v in row] for row in table.rows]
        write_csv(render_csv(table.columns, rows), output)
    elif fmt == "md":
        write_text(render_markdown(doc), output)
    elif fmt == "html":
        write_text(render_html(doc), output)
    else:
        for n, table in enumerate(doc.tables):
            cells = [[cell_text(v) for v in row] for row in table.rows]
            emit_table(table.title, table.columns, cells, output, append=n > 0)
