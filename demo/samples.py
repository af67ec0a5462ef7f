"""Sample mail for the 2019 course, built with the standard library as a mail client would.

Deadlines (see ``demo.config``): theory-1 2019-03-16 23:59, lab-1 moved from 2019-03-28 to
2019-03-30 23:59, theory-2 2019-04-16 23:59, all Moscow time; the whole minute counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
COURSE_ADDRESS = "tdl_course_mipt@protonmail.com"


@dataclass(frozen=True)
class Sample:
    arrived_at: datetime
    """INTERNALDATE: when the mail server received it (what deadlines are judged by)."""
    subject: str
    note: str
    """What the demo expects tdl-inbox to make of it."""
    raw: bytes


@dataclass(frozen=True)
class File:
    filename: str
    data: bytes
    content_type: str = "application/pdf"


def _msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def pdf(title: str) -> bytes:
    """A small but well-formed one-page PDF showing ``title`` (ASCII)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def notebook(title: str) -> bytes:
    """A minimal Jupyter notebook."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# {title}"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": ["import torch\n", "model = torch.nn.Linear(784, 10)"],
        },
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 2}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def message(
    *,
    subject: str,
    sender: Address,
    sent_at: datetime,
    message_id: str,
    body: str,
    files: tuple[File, ...] = (),
) -> bytes:
    """The bytes a mail client would send: RFC 2047/2231 encoding where needed, CRLF lines."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address("TDL course", addr_spec=COURSE_ADDRESS)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id
    msg["User-Agent"] = "Thunderbird/60.5.3"
    msg.set_content(body)
    for item in files:
        maintype, subtype = item.content_type.split("/", 1)
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg.as_bytes(policy=SMTP)


def _sample(
    arrived: str,
    subject: str,
    note: str,
    sender: Address,
    body: str,
    files: tuple[File, ...] = (),
    *,
    sent_seconds_before: float = 2.0,
    sent_at: str | None = None,
) -> Sample:
    arrived_at = _msk(arrived)
    sent = _msk(sent_at) if sent_at else arrived_at - timedelta(seconds=sent_seconds_before)
    message_id = f"<{arrived_at:%Y%m%d%H%M%S}.{sender.username}@{sender.domain}>"
    raw = message(
        subject=subject,
        sender=sender,
        sent_at=sent,
        message_id=message_id,
        body=body,
        files=files,
    )
    return Sample(arrived_at, subject, note, raw)


IVANOV = Address("Иван Иванов", "ivan.ivanov", "phystech.edu")
PETROV = Address("Пётр Петров", "petrov.p", "gmail.com")
SIDOROVA = Address("Мария Сидорова", "m.sidorova", "mail.ru")
ANNA_MARIA = Address("Anna-Maria Ivanova-Petrova", "annamaria.ip", "gmail.com")
SMIRNOV = Address("Олег Смирнов", "oleg.smirnov", "yandex.ru")
KUZNETSOV = Address("Alexey Kuznetsov", "a.kuznetsov", "phystech.edu")


def samples() -> list[Sample]:
    """The demo mailbox, in arrival order. The last one is an exact duplicate delivery."""
    theory2_ivanov = _sample(
        "2019-04-16 22:47:10",
        "Theory 2 - Ivan Ivanov",
        "on time",
        IVANOV,
        "Решение второго задания во вложении.",
        (File("theory2_ivanov.pdf", pdf("Theory 2 - Ivan Ivanov")),),
    )
    return [
        _sample(
            "2019-03-10 12:14:03",
            "homework",
            "rejected: not a submission subject",
            SMIRNOV,
            "Добрый день! Отправляю домашку.",
            (File("hw.pdf", pdf("Homework - Oleg Smirnov")),),
        ),
        _sample(
            "2019-03-16 23:59:30",
            "Theory 1 - Ivan Ivanov",
            "on time: 23:59:30, inside the deadline minute",
            IVANOV,
            "Здравствуйте! Решение первого теоретического задания во вложении.",
            (File("theory1_ivanov.pdf", pdf("Theory 1 - Ivan Ivanov")),),
        ),
        _sample(
            "2019-03-17 00:00:05",
            "Theory 1 - Petr Petrov",
            "late by 5 s; its Date: header says 23:58:41, so a delivery delay is suspected",
            PETROV,
            "Sorry, my mail client was slow - I pressed Send at 23:58.",
            (File("Petrov_theory1.pdf", pdf("Theory 1 - Petr Petrov")),),
            sent_at="2019-03-16 23:58:41",
        ),
        _sample(
            "2019-03-20 14:02:00",
            "Lab 1 - Ivan Ivanov",
            "on time (first version)",
            IVANOV,
            "Лабораторная работа 1.",
            (
                File(
                    "lab1_ivanov.ipynb", notebook("Lab 1 - Ivan Ivanov"), "application/x-ipynb+json"
                ),
            ),
        ),
        _sample(
            "2019-03-22 09:31:47",
            "Theory 7 - Ivan Ivanov",
            "rejected: there is no theory-7",
            IVANOV,
            "Решил заранее :)",
            (File("theory7_ivanov.pdf", pdf("Theory 7 - Ivan Ivanov")),),
        ),
        _sample(
            "2019-03-29 21:15:00",
            "Lab 1 - Ivan Ivanov",
            "resubmission; on time only because the lab-1 deadline was moved to 03-30",
            IVANOV,
            "Исправил графики, прошу проверять эту версию.",
            (
                File(
                    "lab1_ivanov_v2.ipynb",
                    notebook("Lab 1 - Ivan Ivanov (v2)"),
                    "application/x-ipynb+json",
                ),
            ),
        ),
        _sample(
            "2019-03-30 23:59:59",
            "Лаба 1 - Мария Сидорова",
            "on time: 23:59:59 still counts; Cyrillic subject and file name",
            SIDOROVA,
            "Добрый вечер! Лабораторная во вложении.",
            (File("Лабораторная_1_Сидорова.pdf", pdf("Lab 1 - Maria Sidorova")),),
        ),
        _sample(
            "2019-04-02 10:05:12",
            "Theory 2 -",
            "rejected: no student name",
            KUZNETSOV,
            "Theory 2 attached.",
            (File("theory2.pdf", pdf("Theory 2")),),
        ),
        _sample(
            "2019-04-10 16:20:31",
            "Re: Fwd: theory #02 – Anna-Maria Ivanova-Petrova",
            "on time: reply/forward prefixes, '#02' and an en dash are understood",
            ANNA_MARIA,
            "Forwarding my solution again, as discussed.",
            (File("theory2 Ivanova-Petrova.pdf", pdf("Theory 2 - Anna-Maria Ivanova-Petrova")),),
        ),
        theory2_ivanov,
        Sample(
            theory2_ivanov.arrived_at + timedelta(seconds=3),
            theory2_ivanov.subject,
            "the same message delivered twice: counted once, as a duplicate",
            theory2_ivanov.raw,
        ),
    ]
