"""Notebooks for the tests: a real PNG made here, small nbformat 4 builders, and attack cells."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG: grey pixels, made here so the test needs no image library."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def notebook(*cells: dict[str, Any], metadata: dict[str, Any] | None = None) -> bytes:
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": metadata if metadata is not None else {"language_info": {"name": "python"}},
        "cells": list(cells),
    }
    return json.dumps(document).encode("utf-8")


def code(source: str | list[str], *outputs: dict[str, Any], count: int = 1) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "source": source,
        "outputs": list(outputs),
    }


def markdown(source: str | list[str]) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


ATTACKS = {
    "markdown script": markdown("<script>window.__pwned = 1</script>"),
    "markdown onerror": markdown('<img src=x onerror="window.__pwned = 1">'),
    "markdown javascript link": markdown("[x](javascript:window.__pwned=1)"),
    "markdown autolink": markdown("<javascript:alert(1)> [y](JaVaScRiPt:alert(1))"),
    "markdown data link": markdown("[z](data:text/html,<script>alert(1)</script>)"),
    "markdown image": markdown('![i](http://127.0.0.1:9/x.png "t")'),
    "markdown list source": markdown(["<scr", "ipt>alert(1)</scr", "ipt>"]),
    "code closing pre": code("x = '</pre><script>window.__pwned = 1</script>'"),
    "code list source": code(["</pre>", "<script>alert(1)</script>"]),
    "html output": code("x", display({"text/html": ["<script>window.__pwned = 1</script>"]})),
    "svg output": code("x", display({"image/svg+xml": "<svg onload='window.__pwned=1'/>"})),
    "js output": code("x", display({"application/javascript": "window.__pwned = 1"})),
    "widget output": code(
        "x", display({"application/vnd.jupyter.widget-view+json": {"model_id": "<script>"}})
    ),
    "fake png": code("x", display({"image/png": base64.b64encode(b"<script>x</script>").decode()})),
    "png quote": code("x", display({"image/png": 'iVBORw0KGgo=" onerror="alert(1)'})),
    "stream": code("x", {"output_type": "stream", "name": "<x>", "text": "</pre><script>"}),
    "error": code(
        "x",
        {
            "output_type": "error",
            "ename": "<script>",
            "evalue": "x",
            "traceback": ["\x1b[0;31m<script>alert(1)</script>\x1b[0m", "\x1b]8;;javascript:x\x07"],
        },
    ),
    "raw": {"cell_type": "raw", "metadata": {}, "source": "<script>alert(1)</script>"},
}
