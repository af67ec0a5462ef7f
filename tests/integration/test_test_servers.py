"""Smoke tests of the real test servers in tests/servers (Dovecot, PostgreSQL, SMTP)."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from datetime import UTC, datetime, timedelta, timezone

import pytest
from imapclient import IMAPClient

from servers.fixtures import SMTP_LOGIN, SMTP_PASSWORD
from servers.imap_fill import Message, append, fill_maildir, multiappend, write_maildir
from servers.postgres import Postgres
from servers.smtp import SmtpSink
from tdl_inbox_dev.dovecot import Dovecot

MSK = timezone(timedelta(hours=3))


def _raw(subject: str, body: str = "Решение задачи 1\r\n") -> bytes:
    return (
        f"From: =?utf-8?b?0JjQstCw0L0=?= <ivan@example.org>\r\n"
        f"To: course@example.org\r\n"
        f"Subject: {subject}\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n"
        f"\r\n{body}"
    ).encode()


def _plain_client(server: Dovecot) -> IMAPClient:
    client = IMAPClient(server.host, server.port, ssl=False, timeout=10)
    client._imap.debug = 0
    client.normalise_times = False
    return client


# ----------------------------------------------------------------------------- Dovecot
@pytest.mark.dovecot
def test_plain_login_like_bridge(dovecot: Dovecot) -> None:
    client = _plain_client(dovecot)
    try:
        assert b"STARTTLS" in client.capabilities()
        client.login(dovecot.username, dovecot.password)
        assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] >= 0
    finally:
        client.logout()


@pytest.mark.dovecot
def test_starttls_verifies_with_cafile(dovecot: Dovecot) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.cafile))
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    client = _plain_client(dovecot)
    try:
        client.starttls(context)
        sock = client._imap.sock
        assert isinstance(sock, ssl.SSLSocket)
        cert = sock.getpeercert()
        assert cert is not None
        assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]
        client.login(dovecot.username, dovecot.password)
    finally:
        client.logout()


@pytest.mark.dovecot
def test_starttls_fails_with_system_cas_only(dovecot: Dovecot) -> None:
    client = _plain_client(dovecot)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(ssl.create_default_context())
    finally:
        # the failed handshake already closed the socket: shutdown() closes the rest and
        # then trips over the dead descriptor
        with contextlib.suppress(OSError):
            client.shutdown()


@pytest.mark.dovecot
def test_implicit_tls_port(dovecot: Dovecot) -> None:
    assert dovecot.tls_port is not None
    with IMAPClient(
        dovecot.host, dovecot.tls_port, ssl=True, ssl_context=dovecot.ssl_context(), timeout=10
    ) as client:
        client.login(dovecot.username, dovecot.password)
        assert client.noop()


@pytest.mark.dovecot
def test_append_keeps_the_internaldate_instant(dovecot: Dovecot, imap_folder: str) -> None:
    sent = datetime(2026, 3, 1, 23, 59, 58, tzinfo=MSK)
    uid = append(dovecot, imap_folder, _raw("HW1 Иванов"), sent, flags=[b"\\Seen"])
    with dovecot.connect(starttls=True) as client:
        client.select_folder(imap_folder, readonly=True)
        data = client.fetch([uid], [b"INTERNALDATE", b"FLAGS", b"BODY.PEEK[]"])[uid]
    got = data[b"INTERNALDATE"]
    assert got.tzinfo is not None  # normalise_times=False: aware, not naive local time
    assert got == sent  # the same instant (Dovecot may report it in another zone)
    assert b"\\Seen" in data[b"FLAGS"]
    assert "Решение".encode() in data[b"BODY[]"]


@pytest.mark.dovecot
def test_multiappend_and_maildir_fill(dovecot: Dovecot, imap_folder: str) -> None:
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    dates = [base + timedelta(minutes=i) for i in range(5)]
    uids = multiappend(dovecot, imap_folder, [(_raw(f"m{i}"), d) for i, d in enumerate(dates)])
    assert uids == sorted(uids)
    assert len(set(uids)) == 5
    late = datetime(2026, 3, 2, 0, 0, 1, tzinfo=MSK)
    path = write_maildir(dovecot.maildir, _raw("late"), late, folder=imap_folder)
    assert path.parent.name == "new"
    fill_maildir(
        dovecot.maildir,
        [Message(_raw("seen"), late, flags=("\\Seen",))],
        folder=imap_folder,
    )
    with dovecot.connect() as client:
        client.select_folder(imap_folder, readonly=True)
        all_uids = client.search()
        fetched = client.fetch(all_uids, [b"INTERNALDATE", b"FLAGS"])
    assert len(all_uids) == 7
    got = sorted(item[b"INTERNALDATE"] for item in fetched.values())
    assert got == sorted([*dates, late, late])
    assert sum(b"\\Seen" in item[b"FLAGS"] for item in fetched.values()) == 1


@pytest.mark.dovecot
def test_reset_mailbox_changes_uidvalidity(dovecot: Dovecot, imap_folder: str) -> None:
    now = datetime.now(UTC)
    append(dovecot, imap_folder, _raw("a"), now)
    append(dovecot, imap_folder, _raw("b"), now)
    before = dovecot.uidvalidity(imap_folder)
    after = dovecot.reset_mailbox(imap_folder)
    assert after != before
    with dovecot.connect() as client:
        status = client.folder_status(imap_folder, [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"])
    assert status == {b"MESSAGES": 0, b"UIDNEXT": 1, b"UIDVALIDITY": after}
    assert append(dovecot, imap_folder, _raw("c"), now) == 1


@pytest.mark.dovecot
def test_reset_inbox_disconnects_and_restarts_uids(dovecot: Dovecot) -> None:
    now = datetime.now(UTC)
    append(dovecot, "INBOX", _raw("x"), now)
    held = dovecot.connect()
    try:
        before = held.select_folder("INBOX")[b"UIDVALIDITY"]
        after = dovecot.reset_mailbox("INBOX")
        assert after != before
        with pytest.raises((IMAPClient.AbortError, OSError)):
            held.noop()
    finally:
        held.shutdown()
    assert append(dovecot, "INBOX", _raw("y"), now) == 1
    dovecot.reset_mailbox("INBOX")


@pytest.mark.dovecot
def test_paused_server_accepts_but_never_answers(dovecot: Dovecot) -> None:
    with (
        dovecot.paused_server(),
        socket.create_connection((dovecot.host, dovecot.port), timeout=2) as sock,
    ):
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    with dovecot.connect() as client:
        assert client.noop()


# ----------------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_postgres_accepts_sqlalchemy(pg_url: str, postgres: Postgres) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    assert pg_url.startswith(f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/")
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(sqlalchemy.text("select 1")).scalar_one() == 1
            conn.execute(sqlalchemy.text("create table t (at timestamptz)"))
            conn.execute(sqlalchemy.text("insert into t values (now())"))
            assert conn.execute(sqlalchemy.text("select at from t")).scalar_one().tzinfo
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_each_test_gets_its_own_database(pg_url: str, postgres: Postgres) -> None:
    with postgres.connect(pg_url.rsplit("/", 1)[1]) as conn:
        tables = conn.execute("select count(*) from pg_tables where tablename = 't'").fetchone()
    assert tables == (0,)


# ----------------------------------------------------------------------------- SMTP
def test_smtp_sink_receives_over_starttls_with_auth(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.cafile is not None
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        smtp.starttls(context=ssl.create_default_context(cafile=str(smtp_sink.cafile)))
        smtp.login(SMTP_LOGIN, SMTP_PASSWORD)
        smtp.sendmail("bot@course.example", ["ivan@example.org", "cc@example.org"], _raw("Re"))
    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "bot@course.example"
    assert received.rcpt_tos == ("ivan@example.org", "cc@example.org")
    assert received.tls
    assert received.auth_login == SMTP_LOGIN
    [message] = smtp_sink.messages()
    assert message["X-Envelope-To"] == "ivan@example.org, cc@example.org"
    assert message["Subject"] == "Re"
    assert "Решение" in message.get_content()


def test_smtp_sink_is_empty_for_each_test(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.received() == []
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        smtp.sendmail("bot@course.example", ["x@example.org"], b"Subject: plain\r\n\r\nhi\r\n")
    [received] = smtp_sink.wait_for(1)
    assert not received.tls
    assert received.auth_login is None


def test_smtp_sink_can_reject_recipients(tmp_path_factory: pytest.TempPathFactory) -> None:
    pytest.importorskip("aiosmtpd")
    directory = tmp_path_factory.mktemp("smtp-reject")
    with SmtpSink(directory, starttls=False, reject_rcpt="^bad@") as sink:
        with (
            smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp,
            pytest.raises(smtplib.SMTPRecipientsRefused),
        ):
            smtp.sendmail("a@example.org", ["bad@example.org"], b"Subject: x\r\n\r\n")
        assert sink.received() == []
