"""A Jupyter notebook (nbformat 4 JSON) as a safe HTML fragment for the graders' workspace.

Everything in a notebook is the sender's and hostile.  What is shown, and how:

* markdown cells: rendered by ``markdown-it-py`` (CommonMark) with raw HTML off (``<script>``
  stays text), images off (``![x](url)`` would fetch from anywhere; it stays text), and links
  kept only for ``http``/``https`` URLs (a ``javascript:`` or relative link stays text); links
  get ``rel="noopener noreferrer nofollow"``;
* code cells: highlighted by Pygments in the notebook's language (plain text if unknown);
* outputs: ``stream`` text, ``text/plain`` and error tracebacks (terminal escapes removed by
  :func:`printable`) escaped in ``<pre>``; ``image/png`` and ``image/jpeg`` as ``data:`` images
  only when the base64 decodes and the bytes really are PNG/JPEG (re-encoded, so nothing else
  reaches the attribute); every other type (``text/html``, ``application/javascript``,
  ``image/svg+xml``, widgets, ...) shown as its escaped source in a ``<details>``, never run;
* raw cells: escaped text.

The only attributes written are fixed class names, the checked ``http(s)`` link targets and
the checked image data: no ``<script>``, no ``on*=`` handler, no ``javascript:`` URL.  The page
that embeds the fragment should allow ``img-src data:`` and style it with :data:`NOTEBOOK_CSS`.

Bounds, so a huge or crafted notebook cannot stall the server: a notebook over
:data:`MAX_NOTEBOOK_BYTES` is not parsed; at most :data:`MAX_CELLS` cells and
:data:`MAX_OUTPUTS` outputs per cell are shown; a cell's source is cut at
:data:`MAX_SOURCE_CHARS`, only the first :data:`MAX_RICH_CHARS` of source over the whole
notebook are highlighted or rendered (the rest is plain text), a text output is cut at
:data:`MAX_TEXT_CHARS`, and an image over :data:`MAX_IMAGE_BYTES` is left out.  Each cut is
said in the page.  A malformed notebook gives one escaped message, never an exception.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from tdl_inbox.domain.display import printable
from tdl_inbox.domain.file_types import safe_extension

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
"""Larger files are not parsed (plots make real lab notebooks a few MB at most)."""
MAX_CELLS = 500
MAX_OUTPUTS = 50
"""Outputs shown per code cell."""
MAX_SOURCE_CHARS = 100_000
"""Characters of one cell's source that are rendered or highlighted."""
MAX_RICH_CHARS = 300_000
"""Characters of source, over the whole notebook, that are highlighted or rendered as
Markdown (both run at a few hundred KB a second); later cells are shown as plain text."""
MAX_TEXT_CHARS = 50_000
"""Characters of one text output (stream, text/plain, traceback, shown-as-text source)."""
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Decoded bytes of one image output."""

_IMAGES = {"image/png": "png", "image/jpeg": "jpg"}
_FORMATTER = HtmlFormatter(cssclass="highlight")
NOTEBOOK_CSS: str = _FORMATTER.get_style_defs(".notebook .highlight")  # type: ignore[no-untyped-call]
"""The stylesheet for highlighted code, to put in the page's own CSS."""


def render_notebook(data: bytes) -> str:
    """The notebook in ``data`` as an HTML fragment (``<div class="notebook">``) that runs
    nothing; a clear message in the fragment if it is not a notebook."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return _problem(
            f"This notebook is {len(data) // (1024 * 1024)} MB, more than the "
            f"{MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB shown here: download it instead."
        )
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _problem("This file is not a Jupyter notebook (it is not valid UTF-8 JSON).")
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return _problem("This file is not a Jupyter notebook (it has no list of cells).")
    if notebook.get("nbformat") != 4:
        version = notebook.get("nbformat")
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
        return _problem(f"Only notebook format 4 is shown here; this one is format {shown}.")
    lexer = _lexer(notebook.get("metadata"))
    cells: list[Any] = notebook["cells"]
    parts = ['<div class="notebook">']
    budget = _Budget(MAX_RICH_CHARS)
    parts.extend(_cell(cell, lexer, budget) for cell in cells[:MAX_CELLS])
    if len(cells) > MAX_CELLS:
        parts.append(_note(f"{len(cells) - MAX_CELLS} more cells are not shown."))
    parts.append("</div>")
    return "\n".join(parts)


@dataclass
class _Budget:
    """Characters still allowed the slow renderers."""

    remaining: int

    def take(self, text: str) -> bool:
        if len(text) > self.remaining:
            self.remaining = 0  # and none after it: the cells stay in order of cost
            return False
        self.remaining -= len(text)
        return True


def _problem(message: str) -> str:
    return f'<div class="notebook"><p class="problem">{escape(message)}</p></div>'


def _note(message: str) -> str:
    return f'<p class="cut">{escape(message)}</p>'


def _lexer(metadata: object) -> Lexer:
    """The notebook's language from its metadata (Python when it says nothing)."""
    name: object = "python"
    if isinstance(metadata, dict):
        info, kernel = metadata.get("language_info"), metadata.get("kernelspec")
        if isinstance(info, dict) and isinstance(info.get("name"), str):
            name = info["name"]
        elif isinstance(kernel, dict) and isinstance(kernel.get("language"), str):
            name = kernel["language"]
    try:
        return get_lexer_by_name(str(name)[:40])
    except ClassNotFound:
        plain: Lexer = TextLexer()
        return plain


def _text(value: object) -> str | None:
    """nbformat's multiline string: a string or a list of strings; None if neither."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return None


def _cut(text: str, limit: int) -> tuple[str, str]:
    """``text`` cut to ``limit`` characters, and the note saying so (``""`` if whole)."""
    if len(text) <= limit:
        return text, ""
    return text[:limit], _note(f"Cut: {len(text) - limit} more characters are not shown.")


def _pre(text: str, css: str) -> str:
    shown, note = _cut(printable(text, multiline=True), MAX_TEXT_CHARS)
    return f'<pre class="{css}">{escape(shown)}</pre>{note}'


def _cell(cell: object, lexer: Lexer, budget: _Budget) -> str:
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    source = _text(cell.get("source")) if isinstance(cell, dict) else None
    if not isinstance(cell, dict) or kind not in ("markdown", "code", "raw") or source is None:
        return f'<section class="cell broken">{_note("A malformed cell is not shown.")}</section>'
    source, note = _cut(source, MAX_SOURCE_CHARS)
    if kind != "raw" and not budget.take(source):
        note += _note("Shown as plain text: this notebook is too long to render in full.")
        kind = "raw"
    if kind == "markdown":
        return f'<section class="cell markdown">{_markdown(source)}{note}</section>'
    if kind == "raw":
        return f'<section class="cell raw">{_pre(source, "raw")}{note}</section>'
    count = cell.get("execution_count")
    shown = count if isinstance(count, int) and not isinstance(count, bool) else " "
    parts = [
        '<section class="cell code">',
        f'<div class="prompt">In [{escape(str(shown))}]:</div>',
        highlight(source, lexer, _FORMATTER),
        note,
    ]
    outputs = cell.get("outputs")
    if isinstance(outputs, list) and outputs:
        parts.append('<div class="outputs">')
        parts.extend(_output(output) for output in outputs[:MAX_OUTPUTS])
        if len(outputs) > MAX_OUTPUTS:
            parts.append(_note(f"{len(outputs) - MAX_OUTPUTS} more outputs are not shown."))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _output(output: object) -> str:
    kind = output.get("output_type") if isinstance(output, dict) else None
    if not isinstance(output, dict):
        return _note("A malformed output is not shown.")
    if kind == "stream":
        text = _text(output.get("text"))
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return _pre(text, f"output {name}") if text is not None else _note("Malformed output.")
    if kind == "error":
        lines = output.get("traceback")
        trace = _text(lines if not isinstance(lines, list) else "\n".join(map(str, lines)))
        if not trace:
            trace = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return _pre(str(trace), "output error")
    if kind in ("execute_result", "display_data"):
        bundle = output.get("data")
        if isinstance(bundle, dict):
            return "".join(_mime(str(mime), value) for mime, value in bundle.items())
    return _note("A malformed output is not shown.")


def _mime(mime: str, value: object) -> str:
    if mime in _IMAGES:
        return _image(mime, value)
    text = _text(value)
    if text is None:  # JSON outputs (widgets, application/json) are objects
        text = json.dumps(value, ensure_ascii=False, indent=1)[: MAX_TEXT_CHARS + 1]
    if mime == "text/plain":
        return _pre(text, "output result")
    return (
        f'<details class="output source"><summary>{escape(printable(mime)[:100])} output, '
        f"shown as text</summary>{_pre(text, 'output source')}</details>"
    )


def _image(mime: str, value: object) -> str:
    encoded = _text(value)
    if encoded is None or len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 1024:
        return _note(f"An {mime} output is too large or malformed and is not shown.")
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        return _note(f"An {mime} output is not valid base64 and is not shown.")
    if safe_extension("", raw[:64]) != _IMAGES[mime]:
        return _note(f"An output that says it is {mime} is not one and is not shown.")
    clean = base64.b64encode(raw).decode("ascii")
    return f'<img class="output image" alt="output image" src="data:{mime};base64,{clean}">'


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://"))


def _link_open(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderToken(tokens, idx, options, env)


def _markdown_renderer() -> Callable[[str], str]:
    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md.render


_markdown = _markdown_renderer()
