"""Builders of raw test messages, as the bytes an IMAP server would hand us.

Messages are written by hand rather than with ``email.message.EmailMessage`` so that tests
can produce what real senders produce and the stdlib would refuse or normalise: raw 8-bit
headers, RFC 2047 words in quoted filenames, RFC 2231 continuations, bare LF line endings.

    build_submission("Теория 2 - Иван Иванов", subject_charset="koi8-r",
                     attachments=[("отчёт.pdf", b"%PDF-1.4 ...")])
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr
from typing import Literal

HeaderValue = str | bytes
"""``str`` is encoded as needed (RFC 2047 for non-ASCII); ``bytes`` are written verbatim."""
Encoding = Literal["B", "Q"]
FilenameStyle = Literal["quoted", "rfc2047", "rfc2231", "rfc2231-continued"]
FilenamePlace = Literal["disposition", "content-type", "both"]
TransferEncoding = Literal["base64", "quoted-printable", "7bit", "8bit"]

DEFAULT_DATE = "Mon, 06 Oct 2025 10:00:00 +0300"
DEFAULT_FROM = "Ivan Ivanov <ivan@example.org>"
DEFAULT_MESSAGE_ID = "<submission-1@example.org>"
BOUNDARY = "==tdl-test-boundary=="


def encoded_word(text: str, charset: str = "utf-8", encoding: Encoding = "B") -> str:
    """One RFC 2047 encoded word: ``=?charset?B?...?=``."""
    data = text.encode(charset)
    if encoding == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        qp = binascii.b2a_qp(data, header=True).decode("ascii")
        payload = qp.replace("=\n", "").replace("?", "=3F")
    return f"=?{charset}?{encoding}?{payload}?="


@dataclass(frozen=True)
class Attachment:
    """One attachment part.  ``filename=None`` writes no name at all."""

    filename: str | None
    data: bytes
    content_type: str = "application/pdf"
    style: FilenameStyle = "rfc2231"
    place: FilenamePlace = "disposition"
    charset: str = "utf-8"
    """Charset of the encoded filename (and of the raw bytes in the ``quoted`` style)."""
    disposition: str | None = "attachment"
    transfer_encoding: TransferEncoding = "base64"


def _quoted(value: bytes) -> bytes:
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def filename_params(param: str, name: str, style: FilenameStyle, charset: str = "utf-8") -> bytes:
    """``; filename=...`` in one of the ways senders write it."""
    raw = name.encode(charset)
    if style == "quoted":
        return f"; {param}=".encode() + _quoted(raw)
    if style == "rfc2047":
        return f'; {param}="{encoded_word(name, charset)}"'.encode()
    quoted = urllib.parse.quote_from_bytes(raw, safe="")
    if style == "rfc2231":
        return f"; {param}*={charset}''{quoted}".encode()
    chunks = [quoted[i : i + 24] for i in range(0, len(quoted), 24)] or [""]
    # Continuations must not split a %XX escape.
    for i in range(len(chunks) - 1):
        cut = chunks[i].rfind("%", len(chunks[i]) - 2)
        if cut != -1:
            chunks[i + 1] = chunks[i][cut:] + chunks[i + 1]
            chunks[i] = chunks[i][:cut]
    parts = [f"{param}*0*={charset}''{chunks[0]}"]
    parts += [f"{param}*{i}*={chunk}" for i, chunk in enumerate(chunks[1:], 1)]
    return ";\n\t".join(["", *parts]).encode()


def _header(
    name: str, value: HeaderValue, charset: str = "utf-8", encoding: Encoding = "B"
) -> bytes:
    if isinstance(value, bytes):
        return name.encode() + b": " + value
    if not value.isascii():
        value = encoded_word(value, charset, encoding)
    return f"{name}: {value}".encode()


def _from_header(value: HeaderValue) -> bytes:
    if isinstance(value, bytes) or value.isascii():
        return _header("From", value)
    name, _, addr = value.rpartition("<")
    return _header("From", formataddr((name.strip(), addr.rstrip(">").strip()), "utf-8"))


def _attachment_part(item: Attachment) -> list[bytes]:
    content_type = item.content_type.encode()
    disposition = (item.disposition or "").encode()
    if item.filename is not None and item.place in ("content-type", "both"):
        content_type += filename_params("name", item.filename, item.style, item.charset)
    if item.filename is not None and item.place in ("disposition", "both"):
        disposition = disposition or b"attachment"
        disposition += filename_params("filename", item.filename, item.style, item.charset)
    lines = [b"Content-Type: " + content_type]
    if disposition:
        lines.append(b"Content-Disposition: " + disposition)
    lines.append(b"Content-Transfer-Encoding: " + item.transfer_encoding.encode())
    lines.append(b"")
    if item.transfer_encoding == "base64":
        lines += base64.encodebytes(item.data).splitlines()
    elif item.transfer_encoding == "quoted-printable":
        lines += binascii.b2a_qp(item.data).splitlines()
    else:
        lines += item.data.splitlines()
    return lines


def build_submission(
    subject: HeaderValue | None = "Theory 2 - Ivan Ivanov",
    from_: HeaderValue | None = DEFAULT_FROM,
    attachments: Sequence[Attachment | tuple[str, bytes]] = (),
    *,
    date: HeaderValue | datetime | None = DEFAULT_DATE,
    message_id: HeaderValue | None = DEFAULT_MESSAGE_ID,
    extra_headers: Sequence[tuple[str, HeaderValue]] = (),
    subject_charset: str = "utf-8",
    subject_encoding: Encoding = "B",
    body: str = "Homework attached.",
    boundary: str = BOUNDARY,
    linesep: bytes = b"\r\n",
) -> bytes:
    """A whole message: text body plus ``attachments`` (``(name, data)`` pairs are PDFs with
    RFC 2231 names).  A non-ASCII ``str`` subject becomes one encoded word in
    ``subject_charset``/``subject_encoding``; ``None`` leaves a header out."""
    lines: list[bytes] = []
    if from_ is not None:
        lines.append(_from_header(from_))
    lines.append(b"To: homework@example.edu")
    if subject is not None:
        lines.append(_header("Subject", subject, subject_charset, subject_encoding))
    if isinstance(date, datetime):
        date = format_datetime(date)
    if date is not None:
        lines.append(_header("Date", date))
    if message_id is not None:
        lines.append(_header("Message-ID", message_id))
    lines += [_header(name, value) for name, value in extra_headers]
    lines.append(b"MIME-Version: 1.0")
    text_part = [
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        b"",
        *body.encode("utf-8").splitlines(),
    ]
    if not attachments:
        lines += text_part
    else:
        lines += [f'Content-Type: multipart/mixed; boundary="{boundary}"'.encode(), b""]
        for item in (text_part, *map(_attachment_part, map(_as_attachment, attachments))):
            lines += [f"--{boundary}".encode(), *item]
        lines.append(f"--{boundary}--".encode())
    # Everything is joined with LF first, so folded values and CRLF data come out uniform.
    joined = b"\n".join(lines).replace(b"\r\n", b"\n") + b"\n"
    return joined if linesep == b"\n" else joined.replace(b"\n", linesep)


def _as_attachment(item: Attachment | tuple[str, bytes]) -> Attachment:
    return item if isinstance(item, Attachment) else Attachment(item[0], item[1])
