"""Generators of adversarial mail, as raw bytes (CRLF line endings, like mail on the wire)."""

from __future__ import annotations

import base64
import os
from email.utils import make_msgid

HOSTILE_NAMES: dict[str, str] = {
    # what the sender wrote (the filename parameter)  ->  what a grader is shown
    "../../etc/passwd": "../../etc/passwd",
    "/etc/shadow": "/etc/shadow",
    "C:\\x": "C:\\x",
    "..": "..",
    "CON": "CON",
    "nul.txt": "nul.txt",
    "   ": "attachment-{n}.bin",  # whitespace only: a generated name
    "": "attachment-{n}.bin",  # empty: a generated name
    "a" * 300 + ".pdf": "a" * 251 + ".pdf",  # at most 255 characters, extension kept
    "д" * 200 + ".pdf": "д" * 200 + ".pdf",  # 404 bytes of UTF-8: fine in the database
    "文" * 100 + ".pdf": "文" * 100 + ".pdf",  # 304 bytes of UTF-8: too long for a file name
    "\u202egpj.exe": "gpj.exe",  # RTL override dropped: it would show "exe.jpg"
    "report\x00.pdf": "report.pdf",  # control characters dropped
}


def _headers(subject: str, extra: str = "") -> str:
    return (
        "From: Mallory Hacker <mallory@example.org>\r\n"
        "To: course@example.org\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='example.org')}\r\n"
        "Date: Sat, 16 Mar 2019 20:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        f"{extra}"
    )


def _rfc2231(name: str) -> str:
    """``filename*=utf-8''...``: any character, including NUL and RTL overrides."""
    quoted = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in ".-_") else f"%{b:02X}"
        for ch in name
        for b in ([ord(ch)] if ch.isascii() else ch.encode())
    )
    # (a multi-byte character produces one %XX per byte; ASCII characters appear once)
    return f"filename*=utf-8''{quoted}"


def hostile_names(subject: str = "Theory 1 - Mallory Hacker") -> bytes:
    """One attachment per name in HOSTILE_NAMES, in that order."""
    boundary = "hostile-names"
    parts = []
    for name in HOSTILE_NAMES:
        parts.append(
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; {_rfc2231(name)}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(name.encode('utf-8', 'surrogatepass') or b'-').decode()}\r\n"
        )
    body = "".join(parts) + f"--{boundary}--\r\n"
    head = _headers(subject, f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n')
    return (head + "\r\n" + body).encode()


def big_attachment(size: int, subject: str = "Theory 1 - Big Attachment") -> tuple[bytes, bytes]:
    """A submission with one ``size``-byte attachment; returns (message, attachment bytes)."""
    data = os.urandom(size)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    head = _headers(subject, 'Content-Type: multipart/mixed; boundary="big"\r\n')
    raw = (
        (head + "\r\n--big\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n").encode()
        + b"--big\r\nContent-Type: application/pdf\r\n"
        + b'Content-Disposition: attachment; filename="big.pdf"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"--big--\r\n"
    )
    return raw, data


def deeply_nested(depth: int, subject: str = "Theory 1 - Deep Nesting") -> bytes:
    """Multiparts nested ``depth`` levels deep (distinct boundaries), a PDF at the bottom."""
    head = _headers(subject, 'Content-Type: multipart/mixed; boundary="b1"\r\n') + "\r\n"
    opening = "".join(
        f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'
        for level in range(1, depth)
    )
    leaf = (
        f"--b{depth}\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="deep.pdf"\r\n\r\n%PDF-1.4\r\n'
    )
    closing = "".join(f"--b{level}--\r\n" for level in range(depth, 0, -1))
    return (head + opening + leaf + closing).encode()


def encoded_word_flood(count: int, subject_start: str = "Theory 1 - ") -> bytes:
    """A Subject of ``count`` encoded words (each "Теория" in UTF-8 base64)."""
    word = "=?utf-8?B?" + base64.b64encode("Теория".encode()).decode() + "?="
    subject = subject_start + "\r\n ".join([word] * count)
    return (_headers(subject) + "\r\nbody\r\n").encode()


def huge_header_line(size: int, subject: str = "Theory 1 - Long Header") -> bytes:
    """One header line of ``size`` bytes."""
    return (_headers(subject, f"X-Junk: {'a' * size}\r\n") + "\r\nbody\r\n").encode()


def huge_subject(size: int) -> bytes:
    """A Subject line of ``size`` bytes naming a valid assignment."""
    return (_headers("Theory 1 - " + "Ivan " * (size // 5)) + "\r\nbody\r\n").encode()


def nul_bytes() -> bytes:
    """NUL bytes in the Subject, in a header name position, in a filename and in the body."""
    return (
        b"From: Nul Sender <nul@example.org>\r\n"
        b"Subject: Theory 1 - Nul\x00 Student\r\n"
        b"X-\x00Weird: \x00\x00\r\n"
        b"Message-ID: <nul\x00@example.org>\r\n"
        b'Content-Type: multipart/mixed; boundary="n"\r\n\r\n'
        b"--n\r\nContent-Type: text/plain\r\n\r\nbody with \x00 NUL\r\n"
        b'--n\r\nContent-Type: application/pdf; name="a\x00b.pdf"\r\n\r\n%PDF\x00\x00\r\n'
        b"--n--\r\n"
    )
