"""Every reason and size a receipt shows exists in each language (no servers needed)."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from tdl_inbox.domain.rejections import Reason, ReasonCode
from tdl_inbox.services.mail.receipt_text import REASONS, TEXTS, Language, reason_text, size

PARAMS = {
    "length": 1234,
    "limit": 200,
    "kind": "Theory",
    "number": 1000,
    "head": "Theory 2",
    "found": "a - Ivan",
    "assignment": "theory-3",
    "limit_mb": 25,
    "error": "MIME nesting too deep for the parser",
}


@pytest.mark.parametrize("language", get_args(Language))
@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_is_written_in_every_language(language: Language, code: ReasonCode) -> None:
    names = set(re.findall(r"{(\w+)}", REASONS["en"][code]))
    why = Reason.of(code, **{name: PARAMS[name] for name in names})
    text = reason_text(why, language)
    assert text
    assert set(re.findall(r"{(\w+)}", REASONS[language][code])) == names
    if language == "ru":
        assert re.search("[а-я]", text)


def test_every_receipt_text_exists_in_every_language() -> None:
    assert {language: set(texts) for language, texts in TEXTS.items()} == {
        language: set(TEXTS["en"]) for language in TEXTS
    }


@pytest.mark.parametrize(
    ("n", "english", "russian"),
    [
        (1, "1 byte", "1 байт"),
        (3, "3 bytes", "3 байта"),
        (11, "11 bytes", "11 байт"),
        (21, "21 bytes", "21 байт"),
        (604, "604 bytes", "604 байта"),
        (1000, "1000 bytes", "1000 байт"),
        (1536, "1.5 KB", "1,5 КБ"),
        (5 * 1024 * 1024, "5.0 MB", "5,0 МБ"),
    ],
)
def test_sizes(n: int, english: str, russian: str) -> None:
    assert (size(n, "en"), size(n, "ru")) == (english, russian)
