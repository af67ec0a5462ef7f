"""Property: whatever bytes arrive, recording them ends in a submission, a rejection with a
reason, or a duplicate of a message already recorded; the raw bytes and every attachment are
in the store. Drives ``services.recording.record`` directly with the real store and the test
database (SQLite file, or PostgreSQL): IMAP per example would be too slow."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from support import UNUSED_PASSWORD, poll, submission
from tdl_inbox.adapters.db.models import Message
from tdl_inbox.app import App
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record
from tdl_inbox_dev.config import config_text, migrated_app

ARRIVED = datetime(2019, 3, 16, 20, 0, tzinfo=UTC)
NOW = datetime(2019, 3, 17, tzinfo=UTC)
_uids = itertools.count(1)


@pytest.fixture
def fuzz_app(tmp_path: Path, database_url: str) -> Iterator[App]:
    """An App on the test database; no mailbox (messages are recorded directly)."""
    text = config_text(database_url=database_url, password_env=UNUSED_PASSWORD)
    app = migrated_app(tmp_path / "tdl-inbox.toml", text)
    yield app
    app.close()


# ------------------------------------------------------------------------------ strategies
CHARSETS = [
    "utf-8",
    "utf-7",
    "utf-16",
    "koi8-r",
    "windows-1251",
    "iso-2022-jp",
    "gb2312",
    "x-unknown",
    "rot13",
    "",
    "latin-1",
]

# Bytes that decode to something odd: a lone surrogate in UTF-7, NUL, a BOM, half a character.
NASTY_PAYLOADS = [b"+2D0-", b"+2D3cAA-", b"\x00", b"\xfe\xff\xd8\x00", b"\xd0", b"\r\n", b"?="]


@st.composite
def encoded_words(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    payload = draw(
        st.one_of(
            st.binary(max_size=30),
            st.text(max_size=20).map(str.encode),
            st.sampled_from(NASTY_PAYLOADS),
        )
    )
    if draw(st.booleans()):
        return f"=?{charset}?B?{base64.b64encode(payload).decode()}?=".encode()
    return f"=?{charset}?Q?".encode() + payload.replace(b"?", b"=3F") + b"?="


header_text = st.one_of(
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
    st.lists(encoded_words(), max_size=6).map(b" ".join),
    st.sampled_from([b"", b" ", b"\x00", b"<>", b"<a@b>", b"\xff\xfe", b"=?", b"a" * 400]),
)
student = st.one_of(
    st.text(max_size=40),
    st.text(min_size=250, max_size=400),
    st.sampled_from(["Ivan Ivanov", "../../etc/passwd", "CON", "Иван Иванов", "\u202egpj.exe"]),
)
subject = st.one_of(
    header_text,
    st.builds(
        lambda k, n, s: f"{k} {n} - {s}".encode("utf-8", "surrogatepass"),
        st.sampled_from(["Theory", "Lab", "Теория", "theory"]),
        st.integers(-1, 1000),
        student,
    ),
)
HEADER_NAMES = [
    b"From",
    b"To",
    b"Date",
    b"Message-ID",
    b"X-Pm-Internal-Id",
    b"X-GM-MSGID",
    b"Content-Type",
    b"Content-Disposition",
    b"Content-Transfer-Encoding",
    b"References",
    b"Auto-Submitted",
    b"MIME-Version",
]
CONTENT_TYPES = [
    b"multipart/mixed",
    b"multipart/alternative",
    b"multipart/digest",
    b"message/rfc822",
    b"text/plain",
    b"application/pdf",
    b"image/png",
    b"application/" + b"x" * 300,
    b"text/plain; charset=utf-7",
]
ENCODINGS = [b"base64", b"quoted-printable", b"7bit", b"8bit", b"x-uuencode", b"bogus"]


@st.composite
def parts(draw: st.DrawFn, depth: int = 0) -> bytes:
    """One MIME entity (headers, blank line, body), possibly a multipart of more."""
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    lines = [b"Content-Type: " + content_type]
    boundary = (
        draw(st.sampled_from([b"b", b"bound", b"", b"b" * 80, b"\xff"])) + str(depth).encode()
    )
    if content_type.startswith(b"multipart") and draw(st.booleans()):
        lines[0] += b'; boundary="' + boundary + b'"'
    if draw(st.booleans()):
        name = draw(header_text)
        lines.append(b'Content-Disposition: attachment; filename="' + name + b'"')
    if draw(st.booleans()):
        lines.append(b"Content-Disposition: attachment; filename*=utf-8''" + draw(header_text))
    if draw(st.booleans()):
        lines.append(b"Content-Transfer-Encoding: " + draw(st.sampled_from(ENCODINGS)))
    body = draw(st.binary(max_size=300))
    if content_type.startswith(b"multipart") and depth < 4:
        children = draw(st.lists(parts(depth + 1), max_size=3))
        closing = draw(st.sampled_from([b"--\r\n", b"\r\n", b""]))
        body = b"".join(b"--" + boundary + b"\r\n" + child + b"\r\n" for child in children)
        body += b"--" + boundary + closing
    elif content_type == b"message/rfc822" and depth < 4:
        body = draw(messages(depth + 1))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@st.composite
def messages(draw: st.DrawFn, depth: int = 0) -> bytes:
    headers = [b"Subject: " + draw(subject)]
    for _ in range(draw(st.integers(0, 8))):
        name = draw(st.one_of(st.sampled_from(HEADER_NAMES), st.binary(min_size=1, max_size=10)))
        headers.append(name + b": " + draw(header_text))
    draw(st.randoms()).shuffle(headers)
    newline = draw(st.sampled_from([b"\r\n", b"\n"]))
    return newline.join(headers) + newline + draw(parts(depth)).replace(b"\r\n", newline)


# ------------------------------------------------------------------------------ properties
def assert_recorded(app: App, incoming: Incoming, outcome: Outcome) -> None:
    assert outcome in (Outcome.SUBMISSION, Outcome.REJECTED, Outcome.DUPLICATE)
    with app.sessions.begin() as session:
        message = session.scalar(
            select(Message)
            .where(Message.folder == "fuzz", Message.uid == incoming.location.uid)
            .options(
                selectinload(Message.submission),
                selectinload(Message.rejection),
                selectinload(Message.attachments),
            )
        )
        if outcome is Outcome.DUPLICATE:
            assert message is None
            return
        assert message is not None
        assert (message.submission is None) != (message.rejection is None)
        assert (outcome is Outcome.SUBMISSION) == (message.submission is not None)
        if message.rejection is not None:
            assert message.rejection.reason.strip()
        digests = [message.raw_sha256, *(a.sha256 for a in message.attachments)]
    assert app.store.read(digests[0]) == incoming.raw
    assert all(app.store.verify(digest) for digest in digests)


def record_directly(app: App, raw: bytes, *, oversized: bool = False) -> None:
    location = Location("fuzz", 1, next(_uids))
    incoming = Incoming(location, raw, len(raw) * (100 if oversized else 1), ARRIVED)
    if oversized:
        incoming = Incoming(location, raw, incoming.size, ARRIVED, oversized=True)
    with app.sessions.begin() as session:
        outcome = record(session, app.store, app.ctx, incoming, NOW)
    assert_recorded(app, incoming, outcome)


def example_each(raws: list[bytes]):  # type: ignore[no-untyped-def]
    def decorate(test):  # type: ignore[no-untyped-def]
        for raw in raws:
            test = example(raw=raw)(test)
        return test

    return decorate


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Inputs that broke recording once, replayed on every run: a UTF-7 encoded word decoding to a
# lone surrogate (no driver can store it), values longer than their PostgreSQL columns.
REGRESSIONS = [
    b"Subject: Theory 1 - =?utf-7?B?KzJEMC0=?=\r\nFrom: a@example.org\r\n\r\nx",
    b'Subject: x\r\nContent-Type: application/pdf; name="=?utf-7?B?KzJEMC0=?="\r\n\r\n%PDF',
    b"Subject: x\r\nX-Pm-Internal-Id: " + b"p" * 400 + b"\r\n\r\nx",
    b"Subject: x\r\nFrom: <" + b"a" * 400 + b"@example.org>\r\n\r\nx",
    b"Subject: x\r\nContent-Type: application/" + b"x" * 300 + b"\r\n\r\nx",
    b"Subject: x\r\nMessage-ID: <" + b"m" * 1200 + b">\r\n\r\nx",
]


@FUZZ
@given(raw=st.binary(max_size=3000))
@example_each(REGRESSIONS)
def test_arbitrary_bytes_are_recorded_as_a_submission_or_a_rejection(fuzz_app, raw):
    record_directly(fuzz_app, raw)


@FUZZ
@given(raw=messages(), oversized=st.booleans())
def test_arbitrary_mime_is_recorded_as_a_submission_or_a_rejection(fuzz_app, raw, oversized):
    record_directly(fuzz_app, raw, oversized=oversized)


@pytest.mark.parametrize(
    "name",
    ["Ivan " * 100, "Ivan " + "文" * 120, "Ivan " + "😀" * 60 + " Ivanov"],
    ids=["500-latin", "cjk-key-3x-longer", "emoji"],
)
def test_a_student_name_longer_than_its_column_is_recorded(fuzz_app, name):
    record_directly(fuzz_app, submission(f"Theory 1 - {name}"))


@pytest.mark.dovecot
def test_a_name_too_long_for_its_column_is_rejected_and_blocks_nothing_after_it(
    dovecot, imap_folder, make_app
):
    """A student name longer than the column (PostgreSQL would refuse the row; SQLite does not
    check) is rejected with the reason, and the messages after it are recorded."""
    from servers.imap_fill import multiappend

    raws = [
        submission("Theory 1 - Ivan Ivanov"),
        submission("Theory 1 - " + "Ivan " * 80),
        submission("Theory 1 - Petr Petrov"),
    ]
    multiappend(dovecot, imap_folder, [(raw, ARRIVED) for raw in raws])
    app = make_app(imap_folder)

    report = poll(app)

    assert report.recorded == 3
    with app.sessions.begin() as session:
        rows = session.scalars(
            select(Message)
            .order_by(Message.uid)
            .options(selectinload(Message.submission), selectinload(Message.rejection))
        ).all()
        kinds = [(m.submission is not None, m.rejection is not None) for m in rows]
        reasons = [m.rejection.reason for m in rows if m.rejection is not None]
    assert kinds[0] == kinds[2] == (True, False)
    assert kinds[1] == (False, True)
    assert reasons == ["student name is too long (399 characters; at most 200)"]
    assert poll(app).recorded == 0
