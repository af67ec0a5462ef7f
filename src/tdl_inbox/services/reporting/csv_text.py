"""CSV that opens cleanly in Google Sheets and Excel.

UTF-8 with a byte-order mark (so Excel detects UTF-8 and Cyrillic names survive), and text
cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
prefixed with an apostrophe. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralize(v) for v in row])
    return "\ufeff" + buffer.getvalue()
