"""Realistic submissions as raw bytes: Latin and Cyrillic names, RFC 2047 subjects, a PDF-like
base64 attachment padded to the wanted size. Every message is unique (its attachment starts
with its own number), so content-addressed storage never skips a write."""

from __future__ import annotations

import base64
import os
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

COURSE_ADDRESS = "tdl_course_mipt@protonmail.com"
# 20 assignments: theory-1..10 and lab-1..10, published weekly from 2019-02-11.
FIRST_PUBLISHED = date(2019, 2, 11)
KINDS = ("theory", "lab")
ASSIGNMENTS_PER_KIND = 10

_FIRST_LATIN = [
    "Ivan",
    "Anna",
    "Pyotr",
    "Maria",
    "Alexei",
    "Olga",
    "Dmitry",
    "Elena",
    "Sergei",
    "Natalia",
    "Mikhail",
    "Ksenia",
    "Andrei",
    "Yulia",
    "Nikolai",
    "Daria",
]
_LAST_LATIN = [
    "Ivanov",
    "Petrov",
    "Sidorov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Volkov",
    "Sokolov",
    "Lebedev",
    "Kozlov",
    "Novikov",
    "Morozov",
    "Pavlov",
    "Orlov",
    "Fedorov",
    "Belov",
    "Zaitsev",
    "Egorov",
    "Vinogradov",
    "Bogdanov",
]
_FIRST_CYR = ["Иван", "Анна", "Пётр", "Мария", "Алексей", "Ольга", "Дмитрий", "Елена"]
_LAST_CYR = [
    "Иванов",
    "Петров",
    "Сидоров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Волков",
    "Соколов",
    "Лебедев",
    "Козлов",
]


def assignment_keys() -> list[str]:
    return [f"{kind}-{n}" for n in range(1, ASSIGNMENTS_PER_KIND + 1) for kind in KINDS]


def published(key: str) -> date:
    kind, number = key.split("-")
    return FIRST_PUBLISHED + timedelta(weeks=int(number) - 1, days=3 * KINDS.index(kind))


def deadline_utc(key: str) -> datetime:
    """published + 21 days at 23:59 Moscow (UTC+3) = 20:59 UTC."""
    day = published(key) + timedelta(days=21)
    return datetime(day.year, day.month, day.day, 20, 59, tzinfo=UTC)


def assignments_toml() -> str:
    return "".join(
        f'\n[[assignment]]\nkind = "{key.split("-")[0]}"\nnumber = {key.split("-")[1]}\n'
        f"published = {published(key).isoformat()}\nmax_points = 10\n"
        for key in assignment_keys()
    )


def student_name(number: int) -> str:
    """A distinct name per student number (Latin for most, Cyrillic for every fourth)."""
    if number % 4 == 3:
        first, last = _FIRST_CYR, _LAST_CYR
    else:
        first, last = _FIRST_LATIN, _LAST_LATIN
    name = f"{first[number % len(first)]} {last[(number // len(first)) % len(last)]}"
    suffix = number // (len(first) * len(last))
    return f"{name}-{_roman(suffix)}" if suffix else name


def _roman(n: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = letters[r] + out
    return out


def student_email(number: int) -> str:
    return f"student{number:05d}@phystech.edu"


def _encoded(text: str) -> str:
    if text.isascii():
        return text
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


class MessageFactory:
    """``make(size)``: one submission of about ``size`` bytes (CRLF, as on the wire)."""

    def __init__(self, seed: int = 6) -> None:
        self._rng = random.Random(seed)
        self._pool = os.urandom(1 << 22)
        self._serial = 0

    def make(
        self,
        size: int,
        *,
        student: int | None = None,
        key: str | None = None,
        arrived: datetime | None = None,
    ) -> tuple[bytes, datetime]:
        rng = self._rng
        self._serial += 1
        serial = self._serial
        student = rng.randrange(2000) if student is None else student
        key = key or rng.choice(assignment_keys())
        name = student_name(student)
        if arrived is None:
            arrived = deadline_utc(key) - timedelta(seconds=rng.randrange(-2 * 86400, 10 * 86400))
        kind, number = key.split("-")
        word = {"theory": "Теория", "lab": "Лаба"}[kind] if student % 4 == 3 else kind.title()
        subject = f"{word} {number} - {name}"
        sender = f"{_encoded(name)} <{student_email(student)}>"
        header = (
            f"From: {sender}\r\n"
            f"To: {COURSE_ADDRESS}\r\n"
            f"Subject: {_encoded(subject)}\r\n"
            f"Date: {format_datetime(arrived - timedelta(seconds=rng.randrange(5, 600)))}\r\n"
            f"Message-ID: <bench-{serial}-{rng.getrandbits(48):x}@phystech.edu>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="==bench-boundary=="\r\n'
            "\r\n"
            "--==bench-boundary==\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "Добрый день! Решение во вложении.\r\n"
            "--==bench-boundary==\r\n"
            f'Content-Type: application/pdf; name="solution-{key}.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; filename*=utf-8''%D1%80%D0%B5%D1%88%D0%B5%D0%BD"
            f"%D0%B8%D0%B5-{key}.pdf\r\n"
            "\r\n"
        ).encode()
        trailer = b"--==bench-boundary==--\r\n"
        encoded_budget = max(size - len(header) - len(trailer), 80)
        data_len = max(encoded_budget * 57 // 78, 16)
        prefix = f"%PDF-1.4\n% bench message {serial}\n".encode()
        data = prefix + self._random(data_len - len(prefix))
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        return header + encoded + trailer, arrived

    def _random(self, n: int) -> bytes:
        pool = self._pool
        chunks = []
        while n > 0:
            start = self._rng.randrange(len(pool) - min(n, len(pool) // 2))
            take = min(n, len(pool) // 2)
            chunks.append(pool[start : start + take])
            n -= take
        return b"".join(chunks)

    def many(self, count: int, size: int) -> Iterator[tuple[bytes, datetime]]:
        for _ in range(count):
            yield self.make(size)
