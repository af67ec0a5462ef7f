"""A notebook from a student is shown as HTML in which nothing from the notebook runs."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notebooks import ATTACKS, code, display, markdown, notebook, png
from tdl_inbox.services.grading.notebook import (
    MAX_CELLS,
    MAX_NOTEBOOK_BYTES,
    MAX_TEXT_CHARS,
    render_notebook,
)

ALLOWED_TAGS = {
    *("div", "section", "p", "pre", "span", "code", "a", "img", "details", "summary", "br"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "em", "strong", "blockquote", "hr"),
}
ALLOWED_ATTRIBUTES = {"class", "href", "rel", "src", "alt", "start", "title"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_inert(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """No element or attribute that could run or fetch anything: what a browser would build."""
    assert "<script" not in fragment.lower()
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES, (tag, name)
            assert not name.startswith("on")
            if name == "href":
                assert value is not None
                assert value.startswith(("http://", "https://")), value
            if name == "src":
                assert tag == "img"
                assert value is not None
                assert value.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
    return parser.tags


def test_a_lab_notebook_shows_markdown_highlighted_code_text_and_the_plot():
    plot = base64.encodebytes(png()).decode("ascii")  # with line breaks, as Jupyter writes it
    page = render_notebook(
        notebook(
            markdown(["# Лабораторная работа 1\n", "\n", "See [the docs](https://numpy.org)."]),
            code(
                "import numpy as np\nprint(np.arange(3))",
                {"output_type": "stream", "name": "stdout", "text": ["[0 1 2]\n"]},
            ),
            code(
                "plot()",
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"image/png": plot, "text/plain": ["<Figure size 640x480>"]},
                },
                count=2,
            ),
        )
    )
    tags = assert_inert(page)
    assert "<h1>Лабораторная работа 1</h1>" in page
    assert '<a href="https://numpy.org" rel="noopener noreferrer nofollow">the docs</a>' in page
    assert '<span class="kn">import</span>' in page  # highlighted as Python
    assert "In [2]:" in page
    assert '<pre class="output stdout">[0 1 2]\n</pre>' in page
    assert "&lt;Figure size 640x480&gt;" in page
    images = [dict(attrs) for tag, attrs in tags if tag == "img"]
    assert len(images) == 1
    src = images[0]["src"]
    assert src is not None
    assert base64.b64decode(src.removeprefix("data:image/png;base64,")) == png()


@pytest.mark.parametrize("cell", ATTACKS.values(), ids=ATTACKS.keys())
def test_attack_cells_render_as_text(cell):
    page = render_notebook(notebook(cell))
    assert_inert(page)
    assert "\x1b" not in page


def test_markdown_keeps_its_markup_as_text_and_drops_unsafe_links():
    page = render_notebook(notebook(markdown("*a* <b>b</b> [x](javascript:alert(1))")))
    assert "<em>a</em>" in page
    assert "&lt;b&gt;b&lt;/b&gt;" in page
    assert "[x](javascript:alert(1))" in page  # shown as written, not a link
    assert "<a " not in page


def test_html_and_svg_outputs_are_shown_as_their_source():
    page = render_notebook(
        notebook(code("df", display({"text/html": "<table onclick=x>", "text/plain": "df"})))
    )
    assert "text/html output, shown as text" in page
    assert "&lt;table onclick=x&gt;" in page
    assert '<pre class="output result">df</pre>' in page


def test_an_error_traceback_loses_its_terminal_colours():
    error = {
        "output_type": "error",
        "ename": "ZeroDivisionError",
        "evalue": "division by zero",
        "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
    }
    page = render_notebook(notebook(code("1/0", error)))
    assert '<pre class="output error">ZeroDivisionError: division by zero</pre>' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe not utf-8", "not valid UTF-8 JSON"),
        (b"{", "not valid UTF-8 JSON"),
        (b"[" * 100_000, "not valid UTF-8 JSON"),
        (b"[]", "no list of cells"),
        (b'{"cells": {}}', "no list of cells"),
        (b'{"cells": [], "nbformat": 3}', "format 3"),
        (b'{"cells": [], "nbformat": "<script>"}', "format ?"),
        (b"1" * 5000, "not valid UTF-8 JSON"),  # over Python's limit on integer digits
    ],
    ids=["latin-1", "cut", "deep", "list", "cells-object", "v3", "version-markup", "huge-int"],
)
def test_a_malformed_notebook_is_a_message_not_an_exception(data, message):
    page = render_notebook(data)
    assert message in page
    assert page.startswith('<div class="notebook"><p class="problem">')


def test_malformed_cells_and_outputs_are_said_not_shown():
    page = render_notebook(
        notebook(
            {"cell_type": "<script>", "source": "x"},
            {"cell_type": "code", "source": 5},
            "not a cell",  # type: ignore[arg-type]
            code("x", "not an output", {"output_type": "display_data", "data": []}),  # type: ignore[arg-type]
        )
    )
    assert_inert(page)
    assert page.count("A malformed cell is not shown.") == 3
    assert page.count("A malformed output is not shown.") == 2


def test_size_caps_are_said_in_the_page():
    too_big = b" " * (MAX_NOTEBOOK_BYTES + 1)
    assert "download it instead" in render_notebook(too_big)

    many = render_notebook(notebook(*[markdown("x")] * (MAX_CELLS + 3)))
    assert many.count('<section class="cell markdown">') == MAX_CELLS
    assert "3 more cells are not shown." in many

    long = render_notebook(
        notebook(code("x", {"output_type": "stream", "name": "stdout", "text": "y" * 60_000}))
    )
    assert f"{60_000 - MAX_TEXT_CHARS} more characters are not shown." in long


HOSTILE = st.sampled_from(
    [
        "<script>window.__pwned=1</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        '" onmouseover="alert(1)',
        "</pre></div></section><script>",
        "<svg onload=alert(1)>",
        "<a href='javascript:x'>y</a>",
        "\x1b[31m",
        "<!--",
        "]]>",
        "&lt;script&gt;",
        "`<script>`",
        "```html\n<script>\n```",
    ]
)
KEY = HOSTILE | st.text(max_size=30)
TEXT = KEY | st.lists(HOSTILE | st.text(max_size=10))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=8,
)
MIME = st.sampled_from(
    [
        *("text/plain", "text/html", "image/png", "image/jpeg", "image/svg+xml", "text/markdown"),
        *("application/javascript", "application/vnd.jupyter.widget-view+json"),
    ]
)
OUTPUT = st.fixed_dictionaries(
    {
        "output_type": st.sampled_from(["stream", "display_data", "execute_result", "error"]),
        "name": st.sampled_from(["stdout", "stderr"]) | TEXT,
        "text": TEXT | JSONISH,
        "data": st.dictionaries(MIME | KEY, TEXT | JSONISH, max_size=3),
        "traceback": st.lists(TEXT, max_size=3) | JSONISH,
        "ename": TEXT,
    }
)
CELL = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["markdown", "code", "raw"]) | TEXT,
        "source": TEXT | JSONISH,
        "execution_count": st.none() | st.integers() | TEXT,
        "outputs": st.lists(OUTPUT, max_size=3) | JSONISH,
    }
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(CELL | JSONISH, max_size=5),
    metadata=st.none() | st.fixed_dictionaries({"language_info": st.dictionaries(KEY, TEXT)}),
)
def test_no_active_content_survives_any_notebookish_json(cells, metadata):
    page = render_notebook(
        json.dumps({"nbformat": 4, "metadata": metadata, "cells": cells}).encode()
    )
    assert_inert(page)
