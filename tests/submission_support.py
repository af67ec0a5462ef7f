"""Submissions for the submission page's tests: mail with a body, a real one-page PDF, and the
script payload every hostile field carries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from sqlalchemy import select

from support import submission
from tdl_inbox.adapters.db.models import Message, Submission
from tdl_inbox.app import App
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record

PAYLOAD = '<img src=x onerror="alert(1)"><script>window.__pwned=1</script>'
ESCAPED = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
CLOUD_LINK = "https://disk.yandex.ru/d/Reshenie-Ivanova"
_uids = itertools.count(500_000)  # apart from conftest's, in the same mailbox


def deliver_mail(
    app: App,
    subject: str,
    arrived: datetime,
    sender: str = "Иван Иванов <ivan@example.org>",
    attachments: list[tuple[str, bytes]] | None = None,
    body: str = "Добрый день! Решение во вложении.",
    sent_at: datetime | None = None,
    html: str | None = None,
) -> int:
    """Record one submission (with ``body`` as its text, or ``html`` as its only body);
    returns its submission id."""
    raw = submission(subject, sender, attachments=attachments, body=body, sent_at=sent_at)
    if html is not None:  # the same message with an HTML body only
        message = message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        body_part = message.get_body(("plain",))
        assert body_part is not None
        body_part.set_content(html, subtype="html")
        raw = message.as_bytes()
    incoming = Incoming(Location("INBOX", 1, next(_uids)), raw, len(raw), arrived)
    with app.sessions.begin() as session:
        assert record(session, app.store, app.ctx, incoming, datetime.now(UTC)) is (
            Outcome.SUBMISSION
        )
        session.flush()
        found = session.scalar(
            select(Submission.id)
            .join(Message, Message.id == Submission.message_pk)
            .where(Message.uid == incoming.location.uid)
        )
        assert found is not None
        return found


def pdf(text: str = "Solution") -> bytes:
    """A real one-page PDF showing ``text`` (ASCII), with a correct cross-reference table, so a
    browser's viewer opens it."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


HTML_AS_PDF = b"<!doctype html><html><body><script>window.__pwned=1</script></body></html>"
"""An HTML page a sender called ``report.pdf``."""
