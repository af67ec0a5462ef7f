"""The ``Received:`` hops of a stored raw message: evidence for lateness disputes.

Every mail server that handled a message prepends a ``Received:`` header naming who it got
the message from, who it is, and when (after the last ``;``). Read in reverse, they show the
path from the sender to the course mailbox, and where the time went.

Only the header block is read from disk, and parsed with ``email``'s compat32 header parser.
Everything here tolerates garbage: a missing file, a header without ``;``, a date nobody can
read. Such parts become ``None``; nothing raises.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from tdl_inbox.adapters.mime_headers import BLANK_LINE
from tdl_inbox.adapters.store import BlobStore

MAX_HEADER_BYTES = 256 * 1024
"""Stop looking for the end of the header block after this much."""
_CHUNK = 16 * 1024
_FROM = re.compile(r"(?:^|\s)from\s+(\S+)", re.IGNORECASE)
_BY = re.compile(r"(?:^|\s)by\s+(\S+)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Hop:
    """One ``Received:`` header. ``from_`` and ``by`` are host names as the server wrote them."""

    from_: str | None
    by: str | None
    at: datetime | None
    """Aware; UTC when the header gave no usable offset. None when unreadable or absent."""
    raw: str
    """The whole header value, unfolded onto one line."""


def parse_received(value: str) -> Hop:
    """Read one ``Received:`` header value (never raises)."""
    line = _SPACE.sub(" ", value).strip()
    clauses, sep, date_part = line.rpartition(";")
    if not sep:
        clauses, date_part = line, ""
    clauses = _without_comments(clauses)
    found_from = _FROM.search(clauses)
    found_by = _BY.search(clauses)
    return Hop(
        from_=found_from.group(1) if found_from else None,
        by=found_by.group(1) if found_by else None,
        at=_parse_date(date_part),
        raw=line,
    )


def _without_comments(text: str) -> str:
    """Drop ``(comments)``, innermost first, e.g. ``(Postfix, from userid 1000)``."""
    for _ in range(8):
        text, count = _COMMENT.subn(" ", text)
        if not count:
            break
    return text


def _parse_date(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": the time is UTC, the sender's zone unknown
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def header_block(data: bytes) -> bytes:
    """The bytes up to and including the blank line that ends the header block."""
    end = BLANK_LINE.search(data, 0, MAX_HEADER_BYTES)
    return data[: end.end()] if end else data[:MAX_HEADER_BYTES]


def hops_from_headers(data: bytes) -> tuple[Hop, ...]:
    """Hops of a raw message (or its header block), oldest first (the sender's side first)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(header_block(data))
        values = headers.get_all("Received") or []
        return tuple(parse_received(str(v)) for v in reversed(values))
    except Exception:  # a parser surprise must never hide the rest of the report
        return ()


def raw_path(store: BlobStore) -> Callable[[str], str]:
    """``str(store.path_for(digest))`` as a function of the digest."""
    return store.paths()


def raw_paths(store: BlobStore, digests: Iterable[str]) -> list[str]:
    """``raw_path`` of each digest."""
    path = raw_path(store)
    return [path(d) for d in digests]


def read_header_block(path: str) -> bytes | None:
    """The header block of a raw message file, without reading its body. None if unreadable."""
    # os.open and os.read: a report reads thousands of these, and a buffered file object
    # costs more to set up than the read itself.
    try:
        fd = os.open(path, os.O_RDONLY)
    except (OSError, ValueError):
        return None
    try:
        data = b""
        while len(data) < MAX_HEADER_BYTES:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            data += chunk
            if BLANK_LINE.search(data, max(0, len(data) - len(chunk) - 3)):
                break
    except OSError:
        return None
    finally:
        os.close(fd)
    return header_block(data)


def hops_reader(store: BlobStore) -> Callable[[str], tuple[Hop, ...] | None]:
    """``digest -> hops`` of the stored message, oldest first; None when it cannot be read.
    For callers that read rows one at a time and hold no list of digests."""
    path = raw_path(store)

    def hops(digest: str) -> tuple[Hop, ...] | None:
        data = read_header_block(path(digest))
        return None if data is None else hops_from_headers(data)

    return hops


def received_hops(store: BlobStore, digests: Iterable[str]) -> list[tuple[Hop, ...] | None]:
    """The hops of each stored message, oldest first; None for one that cannot be read."""
    return list(map(hops_reader(store), digests))
