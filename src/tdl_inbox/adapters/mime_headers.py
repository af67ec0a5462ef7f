"""Header decoding for :mod:`tdl_inbox.adapters.mime`.

Turns raw header values (``str`` as the compat32 parser keeps them, 8-bit bytes surrogate-
escaped, or plain ``bytes``) into clean text: subjects, addresses, dates, ids and attachment
filenames.  Never raises: problems become lines in ``HeaderDecoder.defects``.

The stdlib ``decode_header``/``make_header`` pair is not used: it raises on unknown charsets,
mangles raw 8-bit text next to encoded words, and cannot retry a word whose declared charset
is wrong.
"""

from __future__ import annotations

import binascii
import codecs
import email.utils
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.message import Message
from functools import lru_cache
from typing import NamedTuple

MAX_FILENAME = 255
MAX_HEADER_CHARS = 8192
"""How much of one header value is decoded; the rest is dropped, so a header flood is cheap."""
MAX_ADDRESS = 320
"""The longest valid address (RFC 3696 erratum: 64 + 1 + 255); longer ones are not addresses."""
MAX_PROVIDER_ID = 255
"""Provider ids longer than this are stored as a digest of the id."""

_CHARSET_ALIASES = {
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "x-cp1251": "cp1251",
    "koi8r": "koi8-r",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-gbk": "gbk",
    "gb2312": "gb18030",  # senders label GBK/GB18030 text as gb2312
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
}
# Codecs that decode anything, or interpret escapes: never what a mail charset label means.
_REFUSED_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna"})
# The usual wrong defaults of old mailers: a body labelled like this says nothing about headers.
_WEAK_HINTS = frozenset({"ascii", "utf-8", "iso8859-1", "cp1252"})
BLANK_LINE = re.compile(rb"\n\r?\n|\r\r")
"""The blank line that ends a header block, with line breaks read as the stdlib parser reads
them (CRLF, LF or a lone CR). Both alternatives start with a line-break byte, so the regex
engine skips from line break to line break instead of trying every byte."""
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_CYRILLIC_RUN = re.compile("[\u0400-\u04ff]{2}")
_MIXED_SCRIPT = re.compile("[a-zA-Z](?=[\u0400-\u04ff])|[\u0400-\u04ff](?=[a-zA-Z])")
_LOWER_UPPER = re.compile("[а-яё][А-ЯЁ]")
# The most frequent Russian letters: a right decoding is full of them, a wrong one is not.
_FREQUENT = frozenset("оеаинтсрвлкмдпу")
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
# Control characters go; whitespace ones (a CR/LF smuggled into an encoded word) become spaces.
_CONTROL: dict[int, str | None] = {c: None for c in (*range(32), *range(127, 160))}
_CONTROL.update(dict.fromkeys((9, 10, 11, 12, 13), " "))
_ADDR_SPEC = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")
_BOUNCE_SENDER = re.compile(r"(?:^|[\s<\"])(?:mailer-daemon|postmaster)(?:@|$|[\s>\"])")
_MESSAGE_ID = re.compile(r"<[^<>]*>")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidi overrides could make "gpj.exe" display as "exe.jpg".
_BIDI = dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


class Sender(NamedTuple):
    address: str | None
    """Lowercased addr-spec, or ``None`` when no valid one was found."""
    name: str | None
    mailbox: str
    """Lowercased: the parsed mailbox even if invalid (``mailer-daemon``), else the raw text."""


@lru_cache(maxsize=256)
def codec_for(charset: str) -> str | None:
    """The Python codec name for a MIME charset label, or ``None`` if it names no text codec."""
    label = charset.strip().strip("\"'").split("*", 1)[0].lower()
    for candidate in (_CHARSET_ALIASES.get(label, label), label.replace("-", "")):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        # Private but stable since 3.4: bytes.decode() itself uses it to refuse rot13, zlib...
        if getattr(info, "_is_text_encoding", True) and info.name not in _REFUSED_CODECS:
            return info.name
    return None


def _plausible_cyrillic(text: str) -> bool:
    # Russian text is almost all Cyrillic letters once ASCII is set aside, in words of their
    # own; CJK or Latin-1 bytes read as cp1251/koi8-r give symbols, box-drawing characters
    # and Cyrillic letters glued to Latin ones ("Formaзгo").
    non_ascii = sum(not c.isascii() for c in text)
    letters = len(_CYRILLIC.findall(text))
    mixed = len(_MIXED_SCRIPT.findall(text))
    return bool(_CYRILLIC_RUN.search(text)) and letters >= 0.8 * non_ascii and 4 * mixed < letters


def _cyrillic_score(text: str) -> int:
    # Frequent Russian letters score 2, other Russian letters 1; symbols (box drawing from
    # koi8-r, "Ј" from cp1251) and capitals inside words are what wrong decodings look like.
    score = -2 * len(_LOWER_UPPER.findall(text))
    for c in text.lower():
        if c in _FREQUENT:
            score += 2
        elif c in _RUSSIAN:
            score += 1
        elif not c.isascii():
            score -= 3
    return score


def guess_decode(data: bytes, hint: str | None = None) -> tuple[str, str]:
    """Decode bytes of unknown charset; returns the text and the codec used.

    Tries ASCII, UTF-8 (also when mostly valid, e.g. cut mid-character), the ``hint`` charset
    (e.g. the body's), the likelier of cp1251/koi8-r when the result looks like Russian,
    and finally latin-1, which decodes anything.
    """
    if data.isascii():
        return data.decode("ascii"), "ascii"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
    # Mostly valid UTF-8 (a name cut mid-character, one stray byte) is UTF-8: cp1251 and
    # latin-1 text almost never contains even one valid multi-byte sequence.
    bad = text.count("\ufffd")
    if sum(not c.isascii() for c in text) >= 5 * bad:
        if bad == 1 and text.endswith("\ufffd"):
            return text[:-1], "utf-8 (last character cut off)"
        return text, "utf-8 (with invalid bytes)"
    hint_codec = codec_for(hint) if hint else None
    if hint_codec and hint_codec not in _WEAK_HINTS:
        try:
            return data.decode(hint_codec), hint_codec
        except (UnicodeError, ValueError):
            pass
    candidates: list[tuple[int, str, str]] = []
    for codec in ("cp1251", "koi8-r"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _plausible_cyrillic(text):
            candidates.append((_cyrillic_score(text), text, codec))
    if candidates:
        # max() keeps the first of equal scores, so cp1251 (the commoner today) wins ties.
        _, text, codec = max(candidates, key=lambda c: c[0])
        return text, codec
    return data.decode("latin-1"), "latin-1"


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    if encoding in "qQ":
        return binascii.a2b_qp(payload.encode("utf-8"), header=True)
    data = payload.rstrip("=")
    if len(data) % 4 == 1 or not data.isascii():
        return None
    try:
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except binascii.Error:
        return None


class HeaderDecoder:
    """Decodes the headers of one message, collecting what was wrong in ``defects``.

    ``hint`` lazily names the message's body charset: senders that put raw 8-bit text in
    headers usually use the same charset there.
    """

    def __init__(self, hint: Callable[[], str | None] | None = None) -> None:
        self.defects: list[str] = []
        self._hint = hint
        self._hint_value: str | None = None

    def _guess(self, data: bytes) -> tuple[str, str]:
        if self._hint is not None:
            self._hint_value, self._hint = self._hint(), None
        return guess_decode(data, self._hint_value)

    def decode_bytes(self, data: bytes, charset: str | None, what: str) -> str:
        """Decode ``data`` declared as ``charset``; guess when the label is unknown or lies."""
        if not charset:
            return self._guess(data)[0]
        codec = codec_for(charset)
        if codec is not None:
            try:
                return data.decode(codec)
            except (UnicodeError, ValueError):
                problem = f"not valid {charset!r}"
        else:
            problem = f"unknown charset {charset!r}"
        text, used = self._guess(data)
        self.defects.append(f"{what}: {problem}, decoded as {used}")
        return text

    def _unescape(self, value: str, what: str) -> str:
        """Turn the parser's surrogate-escaped 8-bit bytes back into real text."""
        if not _ESCAPED_BYTE.search(value):
            return value
        try:
            data = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # lone surrogates that are not escaped bytes
            data = value.encode("utf-8", "replace")
        text, used = self._guess(data)
        if used != "utf-8":
            self.defects.append(f"{what}: raw 8-bit text decoded as {used}")
        return text

    def _decode_words(self, text: str, what: str) -> str:
        """RFC 2047: decode encoded words, dropping the whitespace between adjacent ones.

        Adjacent words in one charset are joined before decoding, so a UTF-8 character
        split across two words survives.
        """
        out: list[str] = []
        pending = bytearray()
        pending_charset = ""
        pos = 0
        after_word = False

        def flush() -> None:
            if pending:
                out.append(self.decode_bytes(bytes(pending), pending_charset, what))
                pending.clear()

        for match in _ENCODED_WORD.finditer(text):
            gap = text[pos : match.start()]
            pos = match.end()
            data = _word_bytes(match.group(2), match.group(3))
            if data is None or not after_word or not (gap == "" or gap.isspace()):
                flush()
                out.append(gap)
            if data is None:
                self.defects.append(f"{what}: malformed encoded word {match.group(0)[:40]!r}")
                out.append(match.group(0))
                after_word = False
                continue
            charset = match.group(1).split("*", 1)[0].lower()
            if charset != pending_charset:
                flush()
                pending_charset = charset
            pending += data
            after_word = True
        flush()
        out.append(text[pos:])
        return "".join(out)

    def text(
        self,
        value: str | bytes,
        what: str,
        max_chars: int = MAX_HEADER_CHARS,
        *,
        encoded_words: bool = True,
    ) -> str:
        """Unfold, cap at ``max_chars``, decode 8-bit and RFC 2047, drop controls, NFC."""
        if isinstance(value, bytes):
            value = value[: 2 * max_chars].decode("ascii", "surrogateescape")
        text = _FOLD.sub("", value[: 2 * max_chars])
        if len(text) > max_chars:
            # Cut at a space so the last encoded word is not split in half.
            cut = text.rfind(" ", max_chars * 3 // 4, max_chars)
            text = text[: cut if cut > 0 else max_chars]
            self.defects.append(f"{what}: longer than {max_chars} characters, truncated")
        text = self._unescape(text, what)
        if encoded_words and "=?" in text:
            text = self._decode_words(text, what)
        cleaned = text.translate(_CONTROL)
        if len(cleaned) < len(text):
            self.defects.append(f"{what}: control characters removed")
        if _SURROGATE.search(cleaned):
            # A charset such as UTF-7 can decode to lone surrogates, which no database
            # driver can encode: join the pairs, replace what is left with U+FFFD.
            cleaned = cleaned.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            self.defects.append(f"{what}: invalid characters replaced")
        text = cleaned.strip()
        if unicodedata.is_normalized("NFC", text):
            return text
        return unicodedata.normalize("NFC", text)

    def sender(self, value: str) -> Sender:
        """The first mailbox of a From header.  Addresses are parsed before encoded words are
        decoded, so a comma or ``<`` hidden in an encoded display name changes nothing."""
        text = self.text(value, "From", 4096, encoded_words=False)
        try:
            # Since the CVE-2023-27043 fix, parseaddr answers ("", "") for ambiguous input.
            name, addr = email.utils.parseaddr(text)
        except Exception:  # the stdlib address parser has a history of crashing on odd input
            name, addr = "", ""
        mailbox = addr.strip().lower()
        display = self.text(name, "From name") or None
        if len(mailbox) > MAX_ADDRESS:
            self.defects.append(f"From: address longer than {MAX_ADDRESS} characters")
            return Sender(None, display, mailbox[:MAX_ADDRESS])
        if _ADDR_SPEC.fullmatch(mailbox):
            return Sender(mailbox, display, mailbox)
        if text:
            self.defects.append(f"From: no valid address in {text[:80]!r}")
        return Sender(None, display, mailbox or text.lower())

    def date(self, value: str) -> datetime | None:
        """The Date header in UTC; ``None`` if unparseable or without a time zone.

        ``-0000`` means "UTC, sender's zone unknown" (RFC 5322 3.3), so it counts as UTC.
        """
        text = self.text(value, "Date", 256)
        try:
            sent = email.utils.parsedate_to_datetime(text)
            if sent.tzinfo is None:
                if "-0000" not in text:
                    self.defects.append(f"Date: no time zone in {text[:80]!r}")
                    return None
                sent = sent.replace(tzinfo=UTC)
            return sent.astimezone(UTC)
        except (ValueError, TypeError, OverflowError, IndexError):
            self.defects.append(f"Date: unparseable {text[:80]!r}")
            return None

    def message_id(self, value: str) -> str | None:
        """The first ``<...>`` token of a Message-ID-like header, else the whole value."""
        text = self.text(value, "Message-ID", 998, encoded_words=False)
        found = _MESSAGE_ID.search(text)
        return (found.group(0) if found else text) or None

    def id_list(self, value: str) -> str | None:
        """In-Reply-To / References with folding and runs of whitespace collapsed."""
        return " ".join(self.text(value, "References", 65536, encoded_words=False).split()) or None

    def filename(self, part: Message) -> str:
        """The sender's filename: Content-Disposition ``filename``, else Content-Type ``name``;
        RFC 2231 (with continuations), RFC 2047 even inside quotes, or raw 8-bit text."""
        for param, header in (("filename", "content-disposition"), ("name", "content-type")):
            try:
                value = part.get_param(param, None, header)
            except Exception:  # malformed parameters have crashed the stdlib (cpython #151857)
                self.defects.append(f"malformed {header} parameters")
                continue
            if isinstance(value, tuple):  # RFC 2231: (charset, language, text as latin-1)
                data = str(value[2]).encode("latin-1", "surrogateescape")
                text = self.decode_bytes(data, value[0], "attachment filename")
                name = self.text(text, "attachment filename", encoded_words=False)
            elif value:
                name = self.text(value, "attachment filename")
            else:
                continue
            name = name.translate(_BIDI).strip()
            if len(name) > MAX_FILENAME:  # keep the extension: it is what a grader looks at
                stem, dot, ext = name.rpartition(".")
                keep = dot + ext if stem and len(ext) < 16 else ""
                name = name[: MAX_FILENAME - len(keep)] + keep
            if name:
                return name
        return ""


def provider_key(prefix: str, text: str) -> str | None:
    """``prefix + text`` (e.g. ``pm:`` + the X-Pm-Internal-Id), or ``prefix + "sha256:"`` + the
    digest of ``text`` when the id is too long to store; ``None`` for an empty id."""
    text = text.strip()
    if not text:
        return None
    key = prefix + text
    if len(key) > MAX_PROVIDER_ID:
        key = prefix + "sha256:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    return key


def decode_header_text(value: str | bytes, *, max_chars: int = MAX_HEADER_CHARS) -> str:
    """Decode a raw header value to clean text; never raises.

    Unfolds, decodes RFC 2047 encoded words (unknown or lying charsets fall back to
    UTF-8 / cp1251 / koi8-r / latin-1), decodes raw 8-bit text the same way, turns control
    characters into spaces or drops them, strips, and NFC-normalises.  Only the first
    ``max_chars`` characters are decoded.
    """
    return HeaderDecoder().text(value, "header", max_chars)


def is_auto_submitted(headers: Mapping[str, Sequence[str]], sender: Sender) -> bool:
    """RFC 3834 and de facto signals that no human wrote this message.

    Auto-Submitted other than "no"; Precedence bulk/junk/list; any List-* header; an empty
    Return-Path (``<>``, used by bounces); a MAILER-DAEMON or postmaster sender; the
    X-Autoreply/X-Autorespond headers of vacation responders; a multipart/report body (DSN).
    """

    def first(name: str) -> str:
        values = headers.get(name)
        return " ".join(values[0].split()).lower() if values else ""

    auto = first("auto-submitted").split(";", 1)[0].strip()
    return (
        auto not in ("", "no")
        or first("precedence") in ("bulk", "junk", "list")
        or any(name.startswith("list-") for name in headers)
        or first("return-path").replace(" ", "") == "<>"
        or bool(_BOUNCE_SENDER.search(sender.mailbox))
        or "x-autoreply" in headers
        or "x-autorespond" in headers
        or first("content-type").startswith("multipart/report")
    )
