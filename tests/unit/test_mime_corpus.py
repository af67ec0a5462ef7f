"""parse_mail on the shared corpus of real-world mail (../shared/corpus/real, see SOURCES.md).

Every file is parsed as stored with bare LF and with CRLF line endings (IMAP delivers CRLF;
git-stored fixtures are mostly LF).  The corpus is outside the project and is not copied in.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import timedelta
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

from tdl_inbox.adapters.mime import ParsedMail, parse_mail

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "real"
FILES = sorted(CORPUS.glob("*.eml"))

MISSING = f"real-mail corpus not found at {CORPUS}"
if not FILES and os.environ.get("CI") != "true":
    pytest.skip(MISSING, allow_module_level=True)

ADDRESS = re.compile(r"[^\s@]+@[^\s@]+")
MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")

# Facts read off particular files (SOURCES.md describes them): the Cyrillic and hostile cases.
EXPECTED_NAMES = {
    "rspamd__spam.eml": "Список-Аудиоэнциклопедии.txt",
    "rspamd__next2last-doublebad.eml": "файл.scr.xz",
    "mimetools__russian.eml": "Список.doc",
    "mime4j__russian-headers.eml": "Список.doc",
    "spamassassin__nice_unicode1.eml": "документы для отдела кадров.pdf",
    "phpmimemail__m0124.eml": "1234/../../1234.txt",
    "ezcmail__various_attachment_with_slash.eml": "cam_data/photo067.jpg",
    "djmailbox__message_with_utf8_attachment.eml": "odpowiedź Burmistrza.jpg",
}
EXPECTED_SUBJECTS = {
    "ezcmail__various_test-mbox-russian.eml": "Re: Мне надо уйти на час",
    "rspamd__bad_message.eml": "Скидки до 36 процентов на насосы!",
    "webklex__mixed_filename.eml": "Свежий прайс-лист",
    "imaptools__messages_forwarded_message.eml": "статус",
    "spamscope__mail_test_6.eml": "Быстрее вкладывайте в золото!",
    "flanker__messages_bilingual-simple.eml": "Simple text. How are you? Как ты поживаешь?",
}


def variants(path: Path) -> dict[str, bytes]:
    lf = path.read_bytes().replace(b"\r\n", b"\n")
    return {"lf": lf, "crlf": lf.replace(b"\n", b"\r\n")}


def assert_clean_text(value: str | None) -> None:
    if value is not None:
        value.encode("utf-8")  # no lone surrogates left from undecoded bytes
        assert unicodedata.is_normalized("NFC", value)
        assert not any(unicodedata.category(c) == "Cc" for c in value), repr(value)


def check(parsed: ParsedMail, raw: bytes) -> None:
    assert isinstance(parsed, ParsedMail)
    assert parsed.error is None
    stdlib = message_from_bytes(raw, policy=compat32)
    assert (parsed.subject is None) == (stdlib["subject"] is None)
    for text in (parsed.subject, parsed.from_name, *(a.filename for a in parsed.attachments)):
        assert_clean_text(text)
    if parsed.from_address is not None:
        assert ADDRESS.fullmatch(parsed.from_address)
        assert parsed.from_address == parsed.from_address.lower()
    if parsed.sent_at is not None:
        assert parsed.sent_at.utcoffset() == timedelta(0)
    for attachment in parsed.attachments:
        assert isinstance(attachment.data, bytes)
        assert 0 < len(attachment.filename) <= 255
        assert MIME_TYPE.fullmatch(attachment.content_type), attachment.content_type
    assert len(parsed.defects) == len(set(parsed.defects))


def test_corpus_is_present() -> None:
    """Under CI the corpus is required: a missing one fails here instead of skipping."""
    assert FILES, MISSING


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_real_mail_parses_with_any_line_ending(path: Path) -> None:
    results = {}
    for name, raw in variants(path).items():
        results[name] = parsed = parse_mail(raw)
        check(parsed, raw)
    lf, crlf = results["lf"], results["crlf"]
    assert (lf.subject, lf.from_address, lf.sent_at) == (
        crlf.subject,
        crlf.from_address,
        crlf.sent_at,
    )
    assert [a.filename for a in lf.attachments] == [a.filename for a in crlf.attachments]


@pytest.mark.parametrize(
    ("name", "expected"), sorted(EXPECTED_NAMES.items()), ids=sorted(EXPECTED_NAMES)
)
def test_known_attachment_names(name: str, expected: str) -> None:
    parsed = parse_mail((CORPUS / name).read_bytes())
    assert expected in [a.filename for a in parsed.attachments]


@pytest.mark.parametrize(
    ("name", "expected"), sorted(EXPECTED_SUBJECTS.items()), ids=sorted(EXPECTED_SUBJECTS)
)
def test_known_subjects(name: str, expected: str) -> None:
    subject = parse_mail((CORPUS / name).read_bytes()).subject
    assert subject is not None
    assert subject.startswith(expected)


def test_corpus_summary() -> None:
    """No real message trips a guard, and defects stay a minority (they flag, not reject)."""
    parsed = [parse_mail(path.read_bytes()) for path in FILES]
    assert [p.error for p in parsed if p.error] == []
    assert sum(bool(p.defects) for p in parsed) < len(parsed) / 2
    assert sum(bool(p.attachments) for p in parsed) > len(parsed) / 4
