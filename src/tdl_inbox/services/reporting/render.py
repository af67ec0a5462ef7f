"""Reports as documents: rich tables, CSV, Markdown, and one self-contained HTML page with a chart.

A report is a title and some tables of display-ready cells (the command builds them). This
module only lays them out, and escapes every cell on the way: cells carry names, subjects,
addresses, file names and ``Received:`` lines written by strangers. The HTML page is a single
file: inline CSS and inline SVG, no scripts, no fonts, no images, nothing fetched, and a
Content-Security-Policy that forbids all of it even if a browser were tempted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tdl_inbox.services.reporting.arrivals import BUCKETS, ON_TIME_BUCKETS, ArrivalBuckets
from tdl_inbox.services.reporting.formatting import short_time

Cell = str | int | float | bool | None
SHORT_BUCKETS = (">24 h", "24 h–1 h", "last hour", "last min", "1st min", "1st hour", "later")


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    numeric: frozenset[int] = frozenset()
    """Column indexes aligned right."""
    wrap: frozenset[int] = frozenset()
    """Column indexes whose text may wrap in HTML (the others stay on one line)."""
    highlight: int | None = None
    """A column whose true cells mark their row in HTML (e.g. delivery delay suspected)."""
    note: str = ""
    details: Sequence[str] | None = None
    """Per row, text shown folded under the row in HTML (e.g. raw headers); '' for none."""


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    tables: Sequence[Table]
    zone: ZoneInfo
    chart: Sequence[ArrivalBuckets] = ()


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---------------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md_escape(text: str) -> str:
    """Inert Markdown: no HTML, links, emphasis or table breaks from the text; lines -> <br>."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return "<br>".join(line.strip() for line in text.splitlines()) or ""


def render_markdown(report: Report) -> str:
    out = [f"# {md_escape(report.title)}", "", md_escape(report.subtitle), ""]
    for table in report.tables:
        out += [f"## {md_escape(table.title)}", ""]
        if table.note:
            out += [md_escape(table.note), ""]
        if not table.rows:
            out += ["_none_", ""]
            continue
        out.append("| " + " | ".join(md_escape(c) for c in table.columns) + " |")
        aligns = ["---:" if i in table.numeric else "---" for i in range(len(table.columns))]
        out.append("| " + " | ".join(aligns) + " |")
        for row in table.rows:
            out.append("| " + " | ".join(md_escape(cell_text(v)) for v in row) + " |")
        out.append("")
    if report.chart:
        out += ["## Arrivals around each deadline", ""]
        out.append("| assignment | " + " | ".join(BUCKETS) + " |")
        out.append("| --- |" + " ---: |" * len(BUCKETS))
        for entry in report.chart:
            counts = " | ".join(str(n) for n in entry.counts)
            out.append(f"| {md_escape(entry.assignment)} | {counts} |")
        out.append("")
    return "\n".join(out)


# -------------------------------------------------------------------------------------- HTML

CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--ok:#3f7cac;--late:#d64545;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;padding:24px 28px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px}
.sub,.note{color:var(--muted);margin:0 0 12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{border:1px solid var(--line);border-radius:8px;padding:8px;background:#fbfcfd}
.chart text{font-size:11px;fill:var(--muted)}.chart .count{fill:var(--ink);font-weight:600}
.chart .head{font-size:13px;fill:var(--ink);font-weight:600}
.bar.ok{fill:var(--ok)}.bar.late{fill:var(--late)}
.deadline{stroke:var(--ink);stroke-dasharray:4 3}
.legend span{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px}
table{border-collapse:collapse;margin:4px 0 8px;font-size:13px}
.scroll{overflow-x:auto}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;
white-space:nowrap}
th{background:#f5f7fa;font-weight:600}td.wrap{white-space:normal;min-width:10em}
tbody tr:nth-child(even){background:#fafbfc}tbody tr.mark{background:#fff4d6}
.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin-top:4px}summary{cursor:pointer;color:var(--muted)}
pre{white-space:pre-wrap;word-break:break-all;font-size:12px;margin:4px 0}
.empty{color:var(--muted);font-style:italic}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def esc(value: Cell) -> str:
    return html.escape(cell_text(value), quote=True)


def _multiline(value: Cell) -> str:
    return "<br>".join(esc(line) for line in cell_text(value).splitlines())


def html_table(table: Table) -> str:
    if not table.rows:
        return '<p class="empty">none</p>'
    kinds = [
        " class=num" if i in table.numeric else " class=wrap" if i in table.wrap else ""
        for i in range(len(table.columns))
    ]
    head = "".join(
        f"<th{' class=num' if i in table.numeric else ''}>{esc(c)}</th>"
        for i, c in enumerate(table.columns)
    )
    body = []
    for n, row in enumerate(table.rows):
        cells = [f"<td{kind}>{_multiline(v)}</td>" for kind, v in zip(kinds, row, strict=True)]
        extra = table.details[n] if table.details else ""
        if extra:
            cells[-1] = cells[-1].removesuffix("</td>") + (
                f"<details><summary>raw headers</summary><pre>{esc(extra)}</pre></details></td>"
            )
        marked = table.highlight is not None and row[table.highlight] is True
        body.append(("<tr class=mark>" if marked else "<tr>") + "".join(cells) + "</tr>")
    rows = "".join(body)
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return f"<div class=scroll>{table_html}</div>"


def svg_chart(entry: ArrivalBuckets, zone: ZoneInfo) -> str:
    """Bars of arrivals per bucket for one deadline, with a dashed line at the deadline."""
    width, height, top, bottom, slot = 420, 190, 40, 34, 57
    plot = height - top - bottom
    peak = max(entry.counts)
    head = f"{entry.assignment} · deadline {short_time(entry.deadline, zone)}"
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{esc("arrivals around the deadline of " + entry.assignment)}">',
        f'<text class="head" x="10" y="18">{esc(head)}</text>',
    ]
    for i, (count, label) in enumerate(zip(entry.counts, SHORT_BUCKETS, strict=True)):
        x = 10 + i * slot + 8
        h = round(plot * count / peak) if count else 0  # peak > 0 whenever count > 0
        kind = "ok" if i < ON_TIME_BUCKETS else "late"
        parts.append(
            f'<rect class="bar {kind}" x="{x}" y="{top + plot - h}" width="40" height="{max(h, 1)}"'
            f' rx="2"><title>{esc(f"{BUCKETS[i]}: {count}")}</title></rect>'
        )
        parts.append(
            f'<text class="count" x="{x + 20}" y="{top + plot - h - 4}" '
            f'text-anchor="middle">{count}</text>'
        )
        parts.append(
            f'<text class="label" x="{x + 20}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{esc(label)}</text>'
        )
    line_x = 10 + ON_TIME_BUCKETS * slot + 2
    parts.append(
        f'<line class="deadline" x1="{line_x}" y1="{top - 12}" x2="{line_x}" y2="{top + plot}"/>'
    )
    parts.append(f'<text x="{line_x + 4}" y="{top - 4}">deadline</text>')
    if not peak:
        parts.append(
            f'<text x="{10 + 2 * slot}" y="{top + plot // 2}" text-anchor="middle">none yet</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report) -> str:
    out = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{esc(report.title)}</h1><p class=sub>{esc(report.subtitle)}</p></header>",
    ]
    if report.chart:
        charts = "".join(svg_chart(entry, report.zone) for entry in report.chart)
        out.append(
            '<section id="arrivals"><h2>Arrivals around each deadline</h2>'
            '<p class="note legend">Versions per time window; the deadline minute counts as on'
            ' time.<span style="background:var(--ok)"></span>on time'
            '<span style="background:var(--late)"></span>late</p>'
            f'<div class="charts">{charts}</div></section>'
        )
    for table in report.tables:
        note = f"<p class=note>{esc(table.note)}</p>" if table.note else ""
        out.append(f"<section><h2>{esc(table.title)}</h2>{note}{html_table(table)}</section>")
    out.append("</body></html>\n")
    return "\n".join(out)


def csv_cell(value: Cell) -> object:
    """Numbers stay numbers; yes/no and text as everywhere else."""
    return (
        value
        if isinstance(value, int | float) and not isinstance(value, bool)
        else cell_text(value)
    )
