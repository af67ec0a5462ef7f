"""Reading a CSV table the admin exported from a spreadsheet.

A Russian-locale spreadsheet saves "CSV" with semicolons (its decimal separator is the comma),
others with commas or tabs, often with a byte-order mark: the delimiter is detected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from tdl_inbox.errors import TdlInboxError

DELIMITERS = ",;\t"
_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class CsvTable:
    columns: tuple[str, ...]
    """Header names, stripped and lower-cased."""
    rows: tuple[tuple[int, dict[str, str]], ...]
    """(line number in the file, cells by column) of each non-blank row."""


def detect_delimiter(text: str) -> str:
    sample = text[:_SAMPLE]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or too few lines to tell: the header line decides.
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_table(text: str, what: str, required: Sequence[Sequence[str]]) -> CsvTable:
    """Parse ``text``; each entry of ``required`` lists the names one needed column may have.
    A missing column is refused with the columns the file does have."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    header = next(reader, [])
    columns = tuple(c.strip().lstrip("\ufeff").lower() for c in header)
    missing = [names for names in required if not set(names) & set(columns)]
    if missing:
        needed = " and ".join(" or ".join(names) for names in required)
        wanted = ", ".join(" or ".join(names) for names in missing)
        found = ", ".join(repr(c) for c in columns if c) or "none"
        raise TdlInboxError(
            f"{what} CSV needs columns {needed}; missing: {wanted}; found columns: {found}"
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if any(cell.strip() for cell in cells):
            cells_by_column = zip(columns, cells, strict=False)
            rows.append((reader.line_num, {c: v.strip() for c, v in cells_by_column if c}))
    return CsvTable(columns, tuple(rows))
