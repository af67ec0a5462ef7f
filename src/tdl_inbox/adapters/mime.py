"""Raw message bytes -> :class:`ParsedMail`, a summary that ingest can trust; never raises.

Structure is parsed with the stdlib ``compat32`` parser (several times faster than
``email.policy.default``, which also crashes on real mail), or, for the common shapes of mail,
read into the same tree by :mod:`tdl_inbox.adapters.mime_structure` at a fraction of the cost;
headers are decoded by :mod:`tdl_inbox.adapters.mime_headers`.  Whatever is wrong with a
message becomes a line in ``ParsedMail.defects``; what makes its structure unusable sets
``ParsedMail.error``.

Attachment policy:

* a leaf part is an attachment if it has a filename (Content-Disposition ``filename`` or
  Content-Type ``name``), or ``Content-Disposition: attachment``, or is not text
  (``application/*``, ``image/*``, ...); unnamed ones are called ``attachment-<n>.<ext>``.
  Unnamed text/plain and text/html parts are the body, not attachments.
* a forwarded ``message/rfc822`` (or ``message/global``, ``message/news``) part is **one**
  attachment holding the whole forwarded message, named by its filename, else by its subject
  plus ``.eml``, else ``forwarded.eml``.  We do not descend into it: a submission is what
  the student attached, not what was attached to a mail they forwarded.  Other ``message/*``
  parts (delivery reports) are attachments only if they have a filename.

Guards: a header block over ``max_header_bytes`` or MIME nesting over ``max_depth`` sets
``error``, and then only the headers are read.  Nesting is estimated from the raw bytes
before parsing, because the stdlib parser costs O(depth) per line and recurses per level.
"""

from __future__ import annotations

import binascii
import dataclasses
import heapq
import io
import re
from collections.abc import Iterator
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from tdl_inbox.adapters.mime_headers import (
    BLANK_LINE,
    HeaderDecoder,
    decode_header_text,
    is_auto_submitted,
    provider_key,
)
from tdl_inbox.adapters.mime_structure import Part, clean_base64_size, read_structure

__all__ = ["MailAttachment", "ParsedMail", "decode_header_text", "parse_mail"]


@dataclasses.dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    """Display name as the sender wrote it (decoded, NFC, no control characters, at most 255
    characters) or a generated ``attachment-<n>.<ext>``.  Never use it as a path."""
    content_type: str
    data: bytes
    """The decoded payload."""


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedMail:
    subject: str | None
    from_address: str | None
    from_name: str | None
    sent_at: datetime | None
    """From the Date header, in UTC; ``None`` if missing, unparseable or without a zone."""
    message_id: str | None
    provider_id: str | None
    """``pm:<X-Pm-Internal-Id>`` (Proton Mail Bridge) or ``gm:<X-GM-MSGID>``."""
    in_reply_to: str | None
    references: str | None
    auto_submitted: bool
    attachments: tuple[MailAttachment, ...]
    defects: tuple[str, ...]
    error: str | None
    """Why the structure could not be read; attachments are then incomplete or empty."""


class _RawHeaders(Compat32):
    """compat32, but header values come back as stored (8-bit bytes surrogate-escaped) rather
    than as ``Header`` objects that turn them into U+FFFD: we decode them ourselves."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


class _Generator(BytesGenerator):
    def _handle_multipart(self, msg: Message) -> None:
        # A multipart whose boundary was never found keeps its body as text; the stock
        # generator writes it through get_payload(), which turns 8-bit bytes into U+FFFD.
        if msg.is_multipart():
            super()._handle_multipart(msg)  # type: ignore[misc]
        else:
            self._handle_text(msg)  # type: ignore[attr-defined]


_POLICY = _RawHeaders()
_OUTPUT_POLICY = _RawHeaders(linesep="\r\n", max_line_length=0)
_MAX_DEFECTS = 100
_FEED_BYTES = 1 << 20
_MAX_CONTENT_TYPE = 255  # the attachment.content_type column
_FORWARDS = frozenset({"message/rfc822", "message/global", "message/news"})
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "text/plain": ".txt",
    "text/html": ".html",
}
# Wording for the stdlib's defect classes; any other is described by its docstring.
_DEFECT_TEXT = {
    "CloseBoundaryNotFoundDefect": "missing closing MIME boundary",
    "StartBoundaryNotFoundDefect": "MIME boundary never found",
    "NoBoundaryInMultipartDefect": "multipart without a boundary parameter",
    "MultipartInvariantViolationDefect": "multipart without subparts",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "misplaced envelope 'From ' line",
    "MissingHeaderBodySeparatorDefect": "header line without a colon; later headers lost",
    "InvalidMultipartContentTransferEncodingDefect": "multipart with a transfer encoding",
    "InvalidBase64PaddingDefect": "invalid base64 padding",
    "InvalidBase64CharactersDefect": "invalid base64 characters",
    "InvalidBase64LengthDefect": "invalid base64 length; payload kept undecoded",
}
# Three patterns with literal prefixes, not one alternation: the regex engine then skips
# ahead at memchr speed instead of trying every byte.
_DECLARATION = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]+))')
_DELIMITER = re.compile(rb"\n--([^\r\n]*)")
_MESSAGE_TYPE = re.compile(rb"\ncontent-type:[ \t]*message/")
_MIME_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")


def parse_mail(
    raw: bytes, *, max_header_bytes: int = 256 * 1024, max_depth: int = 50
) -> ParsedMail:
    """Summarise one raw message; never raises (except MemoryError and KeyboardInterrupt)."""
    return _parse_safely(raw, max_header_bytes, max_depth, fast=True)


def _parse_with_stdlib(
    raw: bytes, *, max_header_bytes: int = 256 * 1024, max_depth: int = 50
) -> ParsedMail:
    """``parse_mail`` without the fast structure reader: the reference it is tested against."""
    return _parse_safely(raw, max_header_bytes, max_depth, fast=False)


def _parse_safely(raw: bytes, max_header_bytes: int, max_depth: int, *, fast: bool) -> ParsedMail:
    try:
        return _parse(bytes(raw), max_header_bytes, max_depth, fast=fast)
    except MemoryError:
        raise
    except Exception as exc:  # a parser bug on one message must not stop ingest
        error = f"parser failure: {exc!r}"[:500]
        return ParsedMail(None, None, None, None, None, None, None, None, False, (), (), error)


def _parse(raw: bytes, max_header_bytes: int, max_depth: int, *, fast: bool) -> ParsedMail:
    error: str | None = None
    blank = BLANK_LINE.search(raw, 0, max_header_bytes + 3)
    header_end = 0 if raw[:1] in (b"\n", b"\r") else blank.start() if blank else len(raw)
    msg: Message | None = None
    if header_end > max_header_bytes:
        error = f"header block larger than {max_header_bytes} bytes"
    else:
        msg, error = message_tree(raw, max_depth, fast=fast)
    if msg is None:  # only the headers are read, and cheaply: the header block is capped
        cut = min(header_end, max_header_bytes)
        msg = BytesParser(policy=_POLICY).parsebytes(raw[:cut], headersonly=True)
    parsed = msg
    decoder = HeaderDecoder(lambda: _charset_hint(parsed))
    attachments: list[MailAttachment] = []
    if error is None:
        error = _collect(parsed, max_depth, decoder, attachments)
    return _summarise(parsed, decoder, attachments, error)


def message_tree(
    raw: bytes, max_depth: int, *, fast: bool = True
) -> tuple[Message | None, str | None]:
    """The parsed tree of ``raw`` (read straight from the bytes where the fast path applies),
    or None and why: nested deeper than ``max_depth``, or too deep for the parser."""
    structure = read_structure(raw, _POLICY) if fast else None
    marks = None if structure is None else structure.nesting_marks
    if _too_deep(raw, max_depth, marks):
        return None, f"MIME nesting deeper than {max_depth} levels"
    if structure is not None:
        return structure.root, None
    try:
        return _parse_bytes(raw), None
    except RecursionError:
        return None, "MIME nesting too deep for the parser"


def _parse_bytes(raw: bytes) -> Message:
    """``BytesParser.parsebytes`` without its two whole-message copies: it decodes the message
    into one str and reads that through a ``StringIO``, which holds 4 bytes per character
    (5x the message size in all). Feeding slices builds the same tree: the parser reads its
    input in 8 KB pieces anyway."""
    parser = BytesFeedParser(policy=_POLICY)
    for start in range(0, len(raw), _FEED_BYTES):
        parser.feed(raw[start : start + _FEED_BYTES])
    return parser.close()


def _summarise(
    msg: Message, decoder: HeaderDecoder, attachments: list[MailAttachment], error: str | None
) -> ParsedMail:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.strip().lower(), []).append(value)
    for name in ("subject", "from", "date", "message-id"):
        if len(headers.get(name, ())) > 1:
            decoder.defects.append(f"{len(headers[name])} {name} headers; the first is used")

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    subject, date, message_id = first("subject"), first("date"), first("message-id")
    in_reply_to, references = first("in-reply-to"), first("references")
    sender = decoder.sender(first("from") or "")
    provider_id = None
    for name, prefix in (("x-pm-internal-id", "pm:"), ("x-gm-msgid", "gm:")):
        raw_id = first(name)
        if raw_id is not None and raw_id.strip():
            provider_id = provider_key(prefix, decoder.text(raw_id, name, encoded_words=False))
            break
    summary = ParsedMail(
        subject=None if subject is None else decoder.text(subject, "Subject"),
        from_address=sender.address,
        from_name=sender.name,
        sent_at=None if date is None else decoder.date(date),
        message_id=None if message_id is None else decoder.message_id(message_id),
        provider_id=provider_id,
        in_reply_to=None if in_reply_to is None else decoder.id_list(in_reply_to),
        references=None if references is None else decoder.id_list(references),
        auto_submitted=is_auto_submitted(headers, sender),
        attachments=tuple(attachments),
        defects=(),
        error=error,
    )
    defects = list(dict.fromkeys(decoder.defects))
    if len(defects) > _MAX_DEFECTS:
        defects[_MAX_DEFECTS:] = [f"{len(defects) - _MAX_DEFECTS} more defects not listed"]
    return dataclasses.replace(summary, defects=tuple(defects))


def _too_deep(raw: bytes, max_depth: int, marks: int | None = None) -> bool:
    """Whether parts nest deeper than ``max_depth`` (the top level is 1), judged from the
    raw bytes before parsing.

    Each level below the top needs a ``boundary=`` (a digest's parts count twice) or a
    ``message/`` type, so a message mentioning those few times is shallow: the common case,
    settled by two counts.  Otherwise replay the delimiter lines against a stack of open
    boundaries, as the parser does.  Each level the replay opens takes a ``\\n--`` line or a
    ``content-type: message/`` header, so ``marks``, a bound on how many of those there are
    (``Structure.nesting_marks``), settles it too, without reading the whole message again.
    """
    if marks is not None and 1 + marks <= max_depth:
        return False
    lowered = raw.lower()
    if 1 + 2 * lowered.count(b"boundary") + lowered.count(b"message/") <= max_depth:
        return False
    declared: set[bytes] = set()
    stack: list[bytes] = []  # open boundaries; b"\n" (never a boundary) marks a message/* level
    events = heapq.merge(
        *(p.finditer(lowered) for p in (_DECLARATION, _DELIMITER, _MESSAGE_TYPE)),
        key=lambda m: m.start(),
    )
    for match in events:
        if match.re is _MESSAGE_TYPE:
            stack.append(b"\n")
        elif match.re is _DECLARATION:
            group = match.lastindex or 1
            declared.add(raw[match.start(group) : match.end(group)])
        else:
            token = raw[match.start(1) : match.end(1)].rstrip(b" \t\r")
            closing = token not in stack and token.endswith(b"--") and token[:-2] in stack
            if closing:
                token = token[:-2]
            if token in stack:
                del stack[len(stack) - stack[::-1].index(token) - closing :]
            elif token in declared:
                stack.append(token)
        if 1 + len(stack) > max_depth:
            return True
    return False


def _charset_hint(msg: Message) -> str | None:
    """The first charset parameter of a leaf part: the sender's charset, likely."""
    stack = [msg]
    for _ in range(50):
        if not stack:
            break
        part = stack.pop()
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
            continue
        charset = part.get_param("charset")
        if isinstance(charset, str) and charset:
            return charset
    return None


def _walk(msg: Message, defects: list[str]) -> Iterator[tuple[Message, int, bool]]:
    """Parts depth-first with their depth (root = 1) and whether they are outside forwarded
    messages; iterative, since deep trees break the stdlib's recursive ``walk()``."""
    stack = [(msg, 1, True, "top level")]
    while stack:
        part, depth, outside, where = stack.pop()
        yield part, depth, outside
        if outside:  # defects are read after the caller decoded the part: decoding adds some
            for defect in part.defects:
                kind = type(defect)
                text = _DEFECT_TEXT.get(kind.__name__) or (kind.__doc__ or kind.__name__)
                defects.append(f"{text.strip().splitlines()[0].rstrip('.')} ({where})")
        if part.is_multipart():
            inner = outside and part.get_content_maintype() != "message"
            prefix = "part " if depth == 1 else f"{where}."
            stack.extend(
                (child, depth + 1, inner, f"{prefix}{i}")
                for i, child in reversed(list(enumerate(part.get_payload(), 1)))
                if isinstance(child, Message)
            )


def _collect(
    msg: Message, max_depth: int, decoder: HeaderDecoder, attachments: list[MailAttachment]
) -> str | None:
    for part, depth, outside in _walk(msg, decoder.defects):
        if depth > max_depth:
            return f"MIME nesting deeper than {max_depth} levels"
        if not outside:
            continue
        maintype = part.get_content_maintype()
        if maintype == "message":
            if part.get_content_type() in _FORWARDS or decoder.filename(part):
                attachments.append(_forwarded(part, decoder))
        elif not part.is_multipart():
            name = decoder.filename(part)
            if (
                name
                or maintype not in ("text", "multipart")
                or part.get_content_disposition() == "attachment"
            ):
                attachments.append(_leaf(part, name, len(attachments) + 1, decoder))
    return None


def _content_type(part: Message) -> str:
    # "application/pdf name=x.pdf" (a missing ";") must not leak into the stored type.
    found = _MIME_TYPE.match(part.get_content_type())
    if found is None or len(found.group(0)) > _MAX_CONTENT_TYPE:
        return "application/octet-stream"
    return found.group(0)


def _leaf(part: Message, name: str, number: int, decoder: HeaderDecoder) -> MailAttachment:
    content_type = _content_type(part)
    try:
        data = _clean_base64(part) or part.get_payload(decode=True)
    except Exception as exc:  # e.g. a broken uuencode body
        decoder.defects.append(f"could not decode attachment {name or number}: {exc!r}"[:200])
        data = None
    # The encoded text is no longer needed; dropping it lowers peak memory on big mail.
    part.set_payload("")
    generated = f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}"
    return MailAttachment(name or generated, content_type, data if isinstance(data, bytes) else b"")


def _clean_base64(part: Message) -> bytes | None:
    """Decode well-formed base64 (the bulk of big mail) twice as fast as the stdlib does;
    ``None`` for anything else, which the stdlib then decodes, recording its defects."""
    if isinstance(part, Part) and part.decoded is not None:
        return part.decoded  # decoded by the structure reader under the same rule
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte != "base64":
        return None
    try:
        payload = part.get_payload()
    except UnicodeError:  # undecodable bytes in the charset label: the stdlib path decides
        return None
    if not isinstance(payload, str) or not payload.isascii():
        return None
    try:
        data = binascii.a2b_base64(payload)
    except binascii.Error:
        return None
    chars = len(payload) - payload.count("\n") - payload.count("\r")
    return data if clean_base64_size(len(data), chars, payload[-8:].rstrip()) else None


def _forwarded(part: Message, decoder: HeaderDecoder) -> MailAttachment:
    inner = [m for m in part.get_payload() if isinstance(m, Message)] if part.is_multipart() else []
    data = b"" if inner else part.get_payload(decode=True)
    try:
        buffer = io.BytesIO()
        for message in inner:
            _Generator(buffer, mangle_from_=False, policy=_OUTPUT_POLICY).flatten(message)
        data = data or buffer.getvalue()
    except Exception as exc:  # the generator is recursive and stricter than the parser
        decoder.defects.append(f"could not re-serialise a forwarded message: {exc!r}"[:200])
    name = decoder.filename(part)
    if not name:
        subject = inner[0].get("subject") if inner else None
        subject = HeaderDecoder().text(subject, "Subject", 200) if subject else ""
        name = f"{subject}.eml" if subject else "forwarded.eml"
    return MailAttachment(name, _content_type(part), data if isinstance(data, bytes) else b"")
