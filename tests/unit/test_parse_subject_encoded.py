"""``parse-subject`` reads a subject pasted from a mail client's "show original" (RFC 2047
encoded words, folded) exactly as ingest reads the Subject header."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from support import run_cli
from tdl_inbox.adapters.mime import parse_mail

EXAMPLE = str(Path(__file__).resolve().parents[2] / "config.example.toml")
SUBJECT = "Теория 2 - Иван Иванов"


def b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def q_word(text: str, charset: str) -> str:
    data = "".join(
        chr(byte)
        if chr(byte).isascii() and chr(byte).isalnum()
        else "_"
        if byte == 32
        else f"={byte:02X}"
        for byte in text.encode(charset)
    )
    return f"=?{charset}?Q?{data}?="


def folded(text: str) -> str:
    """Two UTF-8 words on two lines, split inside a two-byte character."""
    data = text.encode("utf-8")
    cut = 5  # the middle of "е"
    words = [base64.b64encode(part).decode() for part in (data[:cut], data[cut:])]
    return f"=?UTF-8?B?{words[0]}?=\r\n =?UTF-8?B?{words[1]}?="


ENCODED = {
    "utf-8 B": b_word(SUBJECT, "UTF-8"),
    "utf-8 Q": q_word(SUBJECT, "utf-8"),
    "koi8-r B": b_word(SUBJECT, "KOI8-R"),
    "windows-1251 Q": q_word(SUBJECT, "windows-1251"),
    "folded multi-word": folded(SUBJECT),
    "mixed plain and encoded": "Re: " + b_word("Теория", "UTF-8") + " 2 - Ivan Ivanov",
}


@pytest.mark.parametrize("encoded", list(ENCODED.values()), ids=list(ENCODED))
def test_encoded_subject_reads_as_ingest_reads_it(capsys, encoded):
    code, out, err = run_cli(capsys, EXAMPLE, "parse-subject", encoded, "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    ingested = parse_mail(
        b"From: ivan@example.org\r\nSubject: " + encoded.encode("ascii") + b"\r\n\r\nhi\r\n"
    ).subject
    assert ingested is not None
    expected_student = ingested.rsplit(" - ", 1)[1]
    assert (result["assignment"], result["student"]) == ("theory-2", expected_student)
    assert expected_student in ("Иван Иванов", "Ivan Ivanov")


def test_a_refused_encoded_subject_names_the_decoded_reason(capsys):
    code, out, _ = run_cli(
        capsys, EXAMPLE, "parse-subject", b_word("Теория 9 - Иван Иванов", "UTF-8"), "--json"
    )
    assert code == 1
    assert json.loads(out) == {"ok": False, "error": "unknown assignment theory-9"}
