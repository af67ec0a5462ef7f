"""CSV that opens cleanly in Google Sheets and Excel.

UTF-8 with a byte-order mark (so Excel detects UTF-8 and Cyrillic names survive), and text
cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
prefixed with an apostrophe. Numbers are written as numbers; with ``decimal=","`` (for the
``;``-separated CSV that spreadsheets in decimal-comma locales read) as ``0,5``.  A
``Decimal`` keeps the places it was made with (``Decimal("0.5000")``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: object, decimal: str) -> object:
    kind = type(value)
    if kind is str:  # most cells: the test ``neutralize`` makes, without its calls
        text = cast(str, value)
        return "'" + text if text.startswith(FORMULA_STARTS) else text
    if kind is int:
        return value
    if value is None:
        return ""
    if decimal != "." and isinstance(value, float | Decimal):
        return str(value).replace(".", decimal)
    return neutralize(value)


def render_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    decimal: str = ".",
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v, decimal) for v in row])
    return "\ufeff" + buffer.getvalue()
