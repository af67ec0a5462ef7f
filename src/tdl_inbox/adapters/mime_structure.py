"""The common shapes of mail read straight from the raw bytes, for :mod:`tdl_inbox.adapters.mime`.

The stdlib ``compat32`` feed parser handles every body line in Python, so a submission (a
text body and a base64 attachment or two) costs it milliseconds spent mostly copying base64
lines.  :func:`read_structure` builds the tree of ``Message`` objects that parser would build,
but only header blocks go through the stdlib (one ``headersonly`` parse each); multipart
bodies are split on their delimiter lines with ``bytes.find``, and base64 bodies are decoded
from the raw bytes with ``binascii`` without ever becoming a ``str``.

It mirrors the feed parser's rules (lines end in LF, CRLF or a lone CR; a delimiter line is
``--boundary``, maybe ``--``, maybe spaces or tabs; the line break before a delimiter belongs
to it; repeated delimiter lines make no empty parts; a line delimiting an enclosing multipart
ends the inner part) and answers ``None``, leaving the message to the stdlib parser, for
anything outside the common case: ``message/*`` and ``multipart/digest`` parts, a multipart
without a boundary, without its first or closing delimiter line or with a transfer encoding,
a delimiter line right after another, a lone CR where lines matter, header blocks the parser
would record a defect for, nesting deeper than :data:`MAX_DEPTH`.  Whatever it does read gives
the same tree, so the same summary; only base64 bodies it decoded keep an empty payload (see
:class:`Part`).
"""

from __future__ import annotations

import binascii
import dataclasses
import itertools
import re
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from tdl_inbox.adapters.mime_headers import BLANK_LINE

MAX_DEPTH = 8
"""Multiparts nested deeper than this are left to the stdlib parser."""

_ASCII_CHUNK = 1 << 20
# Marks of nesting (see ``nesting_marks``): delimiter-like lines, and "Content-Type: message/"
# headers, which all contain "e:" whatever the case of the rest.
_MARKS = (b"\n--", b"e:", b"E:")


class Part(Message):
    """A ``Message`` of the tree :func:`read_structure` builds.

    ``decoded`` is set on a leaf whose base64 body is clean (as ``mime._clean_base64`` judges
    it) and not empty: the body decoded from the raw bytes.  Such a leaf's payload stays empty,
    since its text was never copied out of the message.
    """

    decoded: bytes | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Structure:
    root: Part
    nesting_marks: int
    """An upper bound on the lines that can open a level in ``mime._too_deep``'s replay:
    occurrences of ``\\n--`` and of ``e:``/``E:`` outside the base64 bodies proven to hold
    nothing but base64 characters, ``=`` and line breaks."""


class _Unusual(Exception):
    """Something the stdlib parser should read."""


def read_structure(raw: bytes, policy: Compat32) -> Structure | None:
    """The tree the stdlib feed parser would build for ``raw`` under ``policy``, or ``None``
    when ``raw`` is not in the common shape this module reads."""
    try:
        with memoryview(raw) as view:
            reader = _Reader(raw, view, policy)
            root = reader.part(0, len(raw), 1, nested=False)
            return Structure(root, reader.nesting_marks())
    except MemoryError:
        raise
    except Exception:  # _Unusual, or anything odd, which the stdlib path meets on its own terms
        return None


def clean_base64_size(decoded: int, chars: int, tail: str) -> bool:
    """Whether base64 text of ``chars`` non-line-break characters, ending in ``tail`` (its last
    8 characters, trailing whitespace stripped), decoded to ``decoded`` bytes without skipping
    anything: ``binascii.a2b_base64`` skips junk silently, and the length shows it."""
    padding = len(tail) - len(tail.rstrip("="))
    return chars % 4 == 0 and decoded == chars // 4 * 3 - padding


class _Reader:
    def __init__(self, raw: bytes, view: memoryview, policy: Compat32) -> None:
        self._raw = raw
        self._view = view
        self._parser = BytesParser(Part, policy=policy)
        self._opaque: list[tuple[int, int]] = []  # base64 bodies without marks, in order

    def part(self, start: int, end: int, depth: int, *, nested: bool) -> Part:
        """The part whose lines are ``raw[start:end]``; ``nested`` parts lose the line break
        before the delimiter that ends them, as the parser trims it."""
        raw = self._raw
        if raw.startswith(b"\n", start):
            body = start + 1
        elif raw.startswith(b"\r\n", start):
            body = start + 2
        else:
            blank = BLANK_LINE.search(raw, start, end)
            body = end if blank is None else blank.end()  # without one, headers run to the end
        if raw.count(b"\r", start, body) != raw.count(b"\r\n", start, body):
            raise _Unusual("lone CR in a header block")
        part = self._parser.parsebytes(raw[start:body], headersonly=True)
        if not isinstance(part, Part):
            raise _Unusual("the parser ignored the message class")
        if part.defects or part.get_payload() != "":  # "" unless a "From " line was pushed back
            raise _Unusual("header block with defects")
        maintype = part.get_content_maintype()
        if maintype == "message":
            raise _Unusual("message/* part")
        if maintype == "multipart":
            self._multipart(part, body, end, depth)
        else:
            self._leaf(part, body, end - _line_break(raw, body, end) if nested else end)
        return part

    def _multipart(self, part: Part, body: int, end: int, depth: int) -> None:
        if depth >= MAX_DEPTH or part.get_content_type() == "multipart/digest":
            raise _Unusual("deep nesting or a digest")
        boundary = part.get_boundary()
        if not boundary or not boundary.isascii():
            raise _Unusual("no usable boundary")
        if str(part.get("content-transfer-encoding", "8bit")).lower() not in (
            "7bit",
            "8bit",
            "binary",
        ):
            raise _Unusual("multipart with a transfer encoding")
        lines = self._delimiter_lines(("--" + boundary).encode("ascii"), body, end)
        if not lines or lines[0][2] or not lines[-1][2]:
            raise _Unusual("first or closing delimiter line missing")
        raw, view = self._raw, self._view
        first = lines[0][0]
        if first > body:
            preamble = view[body : first - _line_break(raw, body, first)]
            part.preamble = str(preamble, "ascii", "surrogateescape")
        children: list[Message | str] = []
        for (_, after, _), (following, _, _) in itertools.pairwise(lines):
            if after == following:
                raise _Unusual("a delimiter line right after another")
            child = self.part(after, following, depth + 1, nested=True)
            if child.get_content_maintype() == "multipart":
                child.epilogue = _trimmed(child.epilogue) if child.epilogue else None
            children.append(child)
        part.set_payload(children)
        part.epilogue = str(view[lines[-1][1] : end], "ascii", "surrogateescape")

    def _delimiter_lines(
        self, delimiter: bytes, body: int, end: int
    ) -> list[tuple[int, int, bool]]:
        """(start, end, closing) of the delimiter lines in ``raw[body:end]``, up to the first
        closing one; what follows it is the epilogue, which the parser does not search."""
        raw = self._raw
        line = re.compile(re.escape(delimiter) + rb"(--)?[ \t]*(\r\n|\r|\n)?$")
        found: list[tuple[int, int, bool]] = []
        pos = body
        while (at := raw.find(delimiter, pos, end)) >= 0:
            pos = at + 1
            if at > body and raw[at - 1] != 0x0A:
                if raw[at - 1] == 0x0D:
                    raise _Unusual("a lone CR before a delimiter")
                continue
            newline = raw.find(b"\n", at, end)
            stop = end if newline < 0 else newline + 1
            cr = raw.find(b"\r", at, stop)
            if cr >= 0 and cr != newline - 1:
                raise _Unusual("a lone CR in a delimiter-like line")
            pos = stop
            match = line.match(raw, at, stop)
            if match is not None:
                found.append((at, stop, match.group(1) is not None))
                if match.group(1) is not None:
                    break
        return found

    def _leaf(self, part: Part, body: int, end: int) -> None:
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        decoded = self._clean_base64(body, end) if cte == "base64" else None
        if decoded:
            part.decoded = decoded
        else:
            part.set_payload(str(self._view[body:end], "ascii", "surrogateescape"))

    def _clean_base64(self, start: int, end: int) -> bytes | None:
        """``raw[start:end]`` decoded, if ``mime._clean_base64`` would accept it as a payload.

        Rather than counting every CR and LF (two more passes over the body), count those where
        lines as long as the first one end: all of them, in base64 as mailers write it.  That
        count can only fall short, and if the length check passes with it and at most 2
        trailing ``=``, it is exact and the body holds nothing but base64 characters, ``=`` and
        line breaks: ``a2b_base64`` makes at most 3 bytes of 4 characters, so each character
        wrongly counted as base64 (a missed line break, a skipped byte) leaves the output 3/4
        byte short of what the check expects, which only 3 more trailing ``=`` could make up.
        Such a body is opaque: it holds no nesting marks.
        """
        raw = self._raw
        try:
            data = binascii.a2b_base64(self._view[start:end])
        except binascii.Error:
            return None
        tail_bytes = raw[max(start, end - 8) : end]
        if not tail_bytes.isascii():
            return None
        tail = tail_bytes.decode("ascii").rstrip()
        padding = len(tail) - len(tail.rstrip("="))
        chars = end - start - _line_ends(raw, start, end)
        if padding > 2 or not clean_base64_size(len(data), chars, tail):
            if not all(
                raw[i : i + _ASCII_CHUNK].isascii() for i in range(start, end, _ASCII_CHUNK)
            ):
                return None
            chars = end - start - raw.count(b"\n", start, end) - raw.count(b"\r", start, end)
            if not clean_base64_size(len(data), chars, tail):
                return None
        if padding <= 2:
            self._opaque.append((start, end))
        return data

    def nesting_marks(self) -> int:
        # Of a mark's characters only "\n", "e" and "E" can occur in an opaque body, so a mark
        # overlapping one starts in its last byte: each gap is searched from a byte earlier.
        raw = self._raw
        marks = 0
        gap = 0
        for opaque_start, opaque_end in [*self._opaque, (len(raw), len(raw))]:
            marks += sum(raw.count(mark, max(gap - 1, 0), opaque_start) for mark in _MARKS)
            gap = opaque_end
        return marks


def _line_break(raw: bytes, start: int, end: int) -> int:
    """The length of the line break ending ``raw[start:end]``, which the parser strips."""
    if end > start and raw[end - 1] == 0x0A:
        return 2 if end - 1 > start and raw[end - 2] == 0x0D else 1
    return 1 if end > start and raw[end - 1] == 0x0D else 0


def _trimmed(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\r", "\n")) else text


def _line_ends(raw: bytes, start: int, end: int) -> int:
    """A lower bound on the CR and LF bytes in ``raw[start:end]``: those where lines of the
    first line's length would end (all of them, in base64 of fixed-length lines)."""
    newline = raw.find(b"\n", start, end)
    if newline < 0:
        return 0
    period = newline + 1 - start
    count = raw[newline:end:period].count(b"\n")
    if newline > start and raw[newline - 1] == 0x0D:
        count += raw[newline - 1 : end : period].count(b"\r")
    return count
