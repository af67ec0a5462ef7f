"""Attachments are served by what their bytes are, never by what the sender called them."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tdl_inbox.services.grading.attachments import serving

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
GIF = b"GIF89a\x01\x00\x01\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
HTML = b"<!doctype html><script>window.__pwned = 1</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
XML = b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'


@pytest.mark.parametrize(
    ("head", "name", "content_type", "shown"),
    [
        (PDF, "report.pdf", "application/pdf", "report.pdf"),
        (PDF, "report", "application/pdf", "report.pdf"),  # the type is from the bytes
        (PNG, "plot.png", "image/png", "plot.png"),
        (PNG, "plot.svg", "image/png", "plot.svg.png"),
        (JPEG, "photo.jpeg", "image/jpeg", "photo.jpeg"),
        (GIF, "a.gif", "image/gif", "a.gif"),
        (WEBP, "a.webp", "image/webp", "a.webp"),
    ],
)
def test_pdfs_and_images_are_inline_with_their_own_type(head, name, content_type, shown):
    served = serving(head, name)
    assert (served.content_type, served.disposition) == (content_type, "inline")
    assert served.headers["Content-Type"] == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith(f"inline; filename={shown};")
    assert served.filename == shown


def test_a_pdf_is_not_sandboxed_because_chromiums_viewer_refuses_to_run_there():
    assert "Content-Security-Policy" not in serving(PDF, "a.pdf").headers
    assert serving(PNG, "a.png").headers["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    ("head", "name", "shown"),
    [
        (HTML, "page.html", "page.html.txt"),
        (HTML, "lab.pdf", "lab.pdf.txt"),  # HTML called .pdf is not a PDF
        (HTML, "photo.png", "photo.png.txt"),
        (SVG, "plot.svg", "plot.svg.txt"),  # SVG can carry script: never an inline image
        (XML, "data.xml", "data.xml.txt"),
        (b"print('hi')\n", "lab.py", "lab.py"),
        (b'{"cells": []}', "lab.ipynb", "lab.ipynb"),
        (b"PK\x03\x04rest", "report.docx", "report.docx"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe", "setup.exe.bin"),
        (b"", "empty.pdf", "empty.pdf.txt"),
    ],
)
def test_everything_else_is_a_sandboxed_download(head, name, shown):
    served = serving(head, name)
    assert (served.content_type, served.disposition) == ("application/octet-stream", "attachment")
    assert served.headers == {
        "Content-Type": "application/octet-stream",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"attachment; filename={shown}; filename*=UTF-8''{shown}",
        "Content-Security-Policy": "sandbox",
    }


def test_a_cyrillic_name_has_an_ascii_fallback_and_the_utf8_name():
    header = serving(PDF, "Отчёт Иванов.pdf").headers["Content-Disposition"]
    match = re.fullmatch(r"inline; filename=(\S+); filename\*=UTF-8''(\S+)", header)
    assert match is not None
    fallback, encoded = match.groups()
    assert fallback.isascii()
    assert fallback.endswith(".pdf")
    assert "Ivanov" in fallback
    assert unquote(encoded) == "Отчёт Иванов.pdf"


@pytest.mark.parametrize(
    "name",
    [
        '../../etc/passwd"; filename=evil.html',
        "a\r\nSet-Cookie: x=1.pdf",
        "C:\\Windows\\evil.pdf;x=y",
        "\u202egpj.exe",
        "\x1b[31mred.pdf",
        "",
        "...",
    ],
)
def test_hostile_names_inject_nothing_into_the_header(name):
    header = serving(PDF, name).headers["Content-Disposition"]
    parameters = header.split("; ")
    assert parameters[0] == "inline"
    assert [p.split("=", 1)[0] for p in parameters[1:]] == ["filename", "filename*"]
    fallback = parameters[1].removeprefix("filename=")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback)
    assert fallback.endswith(".pdf")
    decoded = unquote(parameters[2].removeprefix("filename*=UTF-8''"))
    assert not set(decoded) & set('/\\"\r\n\x1b\u202e')


@given(name=st.text(max_size=80), head=st.binary(max_size=64))
def test_headers_are_always_one_line_of_ascii_and_nosniff(name, head):
    served = serving(head, name)
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    for value in served.headers.values():
        assert value.isascii()
        assert not set(value) & set('\r\n\x00"')
    disposition = served.headers["Content-Disposition"]
    assert disposition.count(";") == 2  # the name adds none
    inline = served.content_type in {"application/pdf", "image/png", "image/jpeg", "image/gif"}
    assert (served.disposition == "inline") == (inline or served.content_type == "image/webp")
    if served.content_type != "application/pdf":
        assert served.headers["Content-Security-Policy"] == "sandbox"
