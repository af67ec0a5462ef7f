"""Body text from raw mail, what is safe to print, which extension a file may be opened with,
and the order of names."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from tdl_inbox.adapters.mime_text import MAX_TEXT_CHARS, find_urls, mail_text
from tdl_inbox.domain.collation import name_order
from tdl_inbox.domain.display import printable
from tdl_inbox.domain.file_types import safe_extension


def message(body: str, subtype: str = "plain", charset: str = "utf-8") -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Theory 1 - Ivan Ivanov"
    msg.set_content(body, subtype=subtype, charset=charset)
    return msg.as_bytes()


def test_printable_removes_escapes_controls_and_bidi_overrides_only():
    attack = "a\x1b[31mb\x1b]8;;http://evil\x1b\\c\x07\x00d\u202ee\u2066f\x9b2Jg\r\nh\ti"
    assert printable(attack, multiline=True) == "abcdefg\nh i"
    assert printable(attack) == "abcdefg h i"
    assert printable("[bold]Пётр[/bold] שלום") == "[bold]Пётр[/bold] שלום"


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Решение: https://disk.yandex.ru/d/x1.", ["https://disk.yandex.ru/d/x1"]),
        ("(см. https://en.wikipedia.org/wiki/A_(b))", ["https://en.wikipedia.org/wiki/A_(b)"]),
        ("«https://x.org/a»,  http://y.org?q=1&r=2!", ["https://x.org/a", "http://y.org?q=1&r=2"]),
        ("ftp://x.org javascript:alert(1) file:///etc/passwd", []),
    ],
)
def test_urls_are_found_without_the_punctuation_around_them(text, urls):
    assert find_urls(text) == urls


def test_plain_text_is_preferred_and_html_links_are_kept():
    msg = EmailMessage()
    msg.set_content("Ссылка ниже.")
    msg.add_alternative("<p><a href='https://github.com/a/b'>тут</a></p>", subtype="html")
    result = mail_text(msg.as_bytes())
    assert (result.text, result.links) == ("Ссылка ниже.", ("https://github.com/a/b",))


def test_html_without_closing_tags_entities_and_hidden_parts():
    page = (
        "<style>x{}</style><div>A &amp; B&nbsp;C<br>D<script>var s = '<p>no</p>'"
        "</script><pre>  keep\n  lines</pre><a href='https://x.org'>https://x.org</a>"
        "<a href='  https://y.org/p  '>y</a><style>unclosed"
    )
    result = mail_text(message(page, "html"))
    assert result.text == "A & B\xa0C\nD\n  keep\n  lines\nhttps://x.org y (https://y.org/p)"
    assert result.links == ("https://x.org", "https://y.org/p")


def test_a_cp1251_body_and_an_unknown_charset_are_decoded():
    assert mail_text(message("Решение во вложении", charset="cp1251")).text == (
        "Решение во вложении"
    )
    raw = message("Решение").replace(b'charset="utf-8"', b'charset="x-unknown"')
    assert mail_text(raw).text == "Решение"


def test_text_in_attachments_and_forwarded_mail_is_not_the_body():
    inner = EmailMessage()
    inner["Subject"] = "old"
    inner.set_content("forwarded https://old.example.org")
    msg = EmailMessage()
    msg.set_content("мой текст")
    msg.add_attachment("notes https://notes.example.org", filename="notes.txt")
    msg.add_attachment(inner)
    result = mail_text(msg.as_bytes())
    assert (result.text, result.links) == ("мой текст", ())


def test_long_deep_or_broken_mail_is_bounded_and_never_raises():
    long = mail_text(message("слово " * 10_000))
    assert len(long.text) < MAX_TEXT_CHARS + 100
    assert long.text.endswith("the raw message has the rest]")
    deep = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + (
        b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 3000
    )
    assert mail_text(deep).text == ""
    assert mail_text(b"\xff\xfe\x00garbage").links == ()
    assert mail_text(b"").text == ""


@pytest.mark.parametrize(
    ("name", "head", "extension"),
    [
        ("solution", b"%PDF-1.5", "pdf"),
        ("report.PDF", b"%PDF-1.5", "pdf"),
        ("scan.pdf", b"\x89PNG\r\n\x1a\n", "png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe1", "jpg"),
        ("hw.docx", b"PK\x03\x04", "docx"),
        ("hw.pdf", b"PK\x03\x04", "zip"),
        ("hw.exe", b"PK\x03\x04", "zip"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc"),
        ("old.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "bin"),
        ("nb.ipynb", b'\n {"cells": []}', "ipynb"),
        ("nb.ipynb", b"not json", "txt"),
        ("main.py", "print('привет')".encode(), "py"),
        ("paper.tex", "\\documentclass{article} Привет".encode("cp1251"), "tex"),
        ("run.sh", b"#!/bin/sh\nrm -rf ~", "txt"),
        ("page.html", b"<script>alert(1)</script>", "txt"),
        ("evil.js", b"WScript.Shell", "txt"),
        ("prog.exe", b"MZ\x90\x00\x03\x00\x00\x00", "bin"),
        ("noext", b"\x00\x01\x02", "bin"),
        (".bashrc", b"alias x=y", "txt"),
        ("notes.TXT", b"", "txt"),
    ],
)
def test_safe_extension_needs_name_and_content_to_agree(name, head, extension):
    assert safe_extension(name, head) == extension


def test_names_sort_as_a_person_expects():
    names = ["Жуков", "ёлкин", "Ёжиков", "Евдокимов", "bob", "Alice", "Zoe", "Яковлев", "Иванов"]
    assert sorted(names, key=name_order) == [
        "Alice",
        "bob",
        "Zoe",
        "Евдокимов",
        "Ёжиков",
        "ёлкин",
        "Жуков",
        "Иванов",
        "Яковлев",
    ]
