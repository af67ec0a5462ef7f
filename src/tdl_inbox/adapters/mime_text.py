"""The text a sender wrote in a message, and the links in it, for a grader to read.

A solution is sometimes a link ("Решение в облаке: https://..."), so ``show`` needs the body,
which ingest does not keep apart from the raw message.  :func:`mail_text` reads it from the
raw bytes on demand: the text/plain parts outside attachments and forwarded messages, or,
when there are none with text, the text/html parts reduced to text by a stdlib
``html.parser`` (scripts and styles dropped, a link's target kept beside its label).

Everything here came from a sender: the text leaves without escape sequences, control
characters or bidi overrides (:func:`tdl_inbox.domain.display.printable`), links are only
``http``/``https`` URLs without spaces or controls, and both are bounded in size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser

from tdl_inbox.adapters.mime import message_tree
from tdl_inbox.adapters.mime_headers import HeaderDecoder
from tdl_inbox.adapters.mime_structure import Part
from tdl_inbox.domain.display import printable

MAX_TEXT_CHARS = 20_000
"""Longer bodies are cut (a grader reads the raw message for the rest)."""
MAX_LINKS = 50
MAX_URL_CHARS = 2_000
_MAX_DEPTH = 50
_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
# Closing punctuation that ends a sentence rather than the URL: "see https://x.org/a."
_TRAILING = ".,;:!?»”’"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_SPACES = re.compile(r"[ \t\f\v\r\n]+")
_TRUNCATED = "\n[… the text is longer; the raw message has the rest]"


@dataclass(frozen=True)
class MailText:
    text: str
    """Plain text, line breaks kept; empty when the message has no text body."""
    links: tuple[str, ...]
    """``http``/``https`` URLs in the text and in the HTML links, in order, without repeats."""


def mail_text(raw: bytes) -> MailText:
    """The body text and links of a raw message; never raises on malformed mail."""
    try:
        return _mail_text(raw)
    except MemoryError:
        raise
    except Exception:  # as in mime.parse_mail: one odd message must not stop ``show``
        return MailText("", ())


def _mail_text(raw: bytes) -> MailText:
    root, _ = message_tree(raw, _MAX_DEPTH)
    if root is None:
        return MailText("", ())
    plain: list[str] = []
    html: list[str] = []
    decoder = HeaderDecoder()
    for part in _body_parts(root, decoder):
        text = _decoded(part, decoder)
        if part.get_content_subtype() == "html":
            html.append(text)
        else:
            plain.append(text)
    html_texts = [_html_to_text(page) for page in html]
    if any(text.strip() for text in plain):
        text = "\n\n".join(plain)
        hrefs = [href for _, page_hrefs in html_texts for href in page_hrefs]
    else:
        text = "\n\n".join(page_text for page_text, _ in html_texts)
        hrefs = []
    text = _tidy(text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + _TRUNCATED
    return MailText(text, _links([*find_urls(text), *hrefs]))


def find_urls(text: str) -> list[str]:
    """``http``/``https`` URLs written in ``text``, without the punctuation that follows one."""
    return [_trim(match.group(0)) for match in _URL.finditer(text)]


def _body_parts(root: Message, decoder: HeaderDecoder) -> Iterator[Message]:
    """text/plain and text/html leaves that are not attachments, in order, outside forwarded
    messages (as ``mime`` decides what is an attachment); iterative for deep trees."""
    stack = [(root, 1)]
    while stack:
        part, depth = stack.pop()
        if depth > _MAX_DEPTH or part.get_content_maintype() == "message":
            continue
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            stack.extend((child, depth + 1) for child in reversed(children))
        elif (
            part.get_content_type() in ("text/plain", "text/html")
            and part.get_content_disposition() != "attachment"
            and not decoder.filename(part)
        ):
            yield part


def _decoded(part: Message, decoder: HeaderDecoder) -> str:
    data = part.decoded if isinstance(part, Part) else None
    if data is None:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    charset = part.get_param("charset")
    return decoder.decode_bytes(data, charset if isinstance(charset, str) else None, "body")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in printable(text, multiline=True).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def _trim(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(last) > url.count(_PAIRS[last])):
            url = url[:-1]
        else:
            break
    return url


def _links(candidates: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for url in candidates:
        if _URL.fullmatch(url) and len(url) <= MAX_URL_CHARS and printable(url) == url:
            found[url] = None
        if len(found) == MAX_LINKS:
            break
    return tuple(found)


class _TextOfHtml(HTMLParser):
    """Text as a browser lays it out, roughly: blocks on their own lines, list items marked,
    links as ``label (URL)``; nothing inside script, style, head or template."""

    _HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _BLOCKS = frozenset(
        {
            "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5",
            "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd",
            "dt", "dl",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hrefs: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._link: tuple[str, int] | None = None  # href, index of its first text chunk

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.chunks.append("\n")
            if tag == "li":
                self.chunks.append("- ")
            elif tag == "pre":
                self._pre += 1
        elif tag in ("td", "th"):
            self.chunks.append(" ")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if _URL.fullmatch(href):
                self.hrefs.append(href)
                self._link = (href, len(self.chunks))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self._HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.chunks.append("\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._link is not None:
            href, start = self._link
            self._link = None
            # A URL as its own label is kept apart from what follows, which may be glued to it.
            self.chunks.append(" " if href in "".join(self.chunks[start:]) else f" ({href})")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if not self.chunks or self.chunks[-1].endswith("\n"):
                data = data.lstrip(" ")
        self.chunks.append(data)


def _html_to_text(page: str) -> tuple[str, list[str]]:
    parser = _TextOfHtml()
    try:
        parser.feed(page)
        parser.close()
    except (AssertionError, ValueError):  # the parser's own complaints about broken markup
        pass
    return "".join(parser.chunks), parser.hrefs
