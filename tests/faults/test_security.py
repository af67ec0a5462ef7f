"""Transport security, secrets and file permissions.

TLS is verified by default and fails closed: a certificate from another authority is named as
the problem, a server (or a man in the middle) that does not offer STARTTLS gets no password.
The password appears nowhere a run writes: output, logs, the database, the store. The store and
the SQLite files are owner-only.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from servers.imap_fill import multiappend
from support import ON_POSTGRES, cli, cli_env, submission, wait_until
from tdl_inbox.adapters.db.engine import sqlite_path
from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
from tdl_inbox.errors import MailboxRejected
from tdl_inbox_dev.dovecot import Dovecot, make_self_signed_cert

ARRIVED = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def params(server, **overrides) -> ImapParams:
    values = dict(
        host="127.0.0.1",
        port=server.port,
        security="starttls",
        username=server.username,
        password=server.password,
        cafile=server.cafile,
        timeout_seconds=10,
    )
    values.update(overrides)
    return ImapParams(**values)


def test_a_certificate_from_another_authority_fails_saying_it_could_not_be_verified(
    dovecot, tmp_path
):
    other_ca, _key = make_self_signed_cert(tmp_path / "other-ca")
    with pytest.raises(MailboxRejected) as caught, ImapMailbox(params(dovecot, cafile=other_ca)):
        pass
    assert str(caught.value).startswith(
        f"TLS certificate of 127.0.0.1:{dovecot.port} could not be verified ("
    )
    assert "set mailbox.cafile to its exported certificate" in str(caught.value)


def test_implicit_tls_against_a_plain_text_port_is_a_tls_error(dovecot):
    with pytest.raises(MailboxRejected, match=r"^TLS handshake with 127\.0\.0\.1:\d+ failed: "):
        ImapMailbox(params(dovecot, security="tls")).__enter__()


@pytest.fixture
def dovecot_without_tls(dovecot: Dovecot, tmp_path: Path) -> Iterator[Dovecot]:
    """A Dovecot with ``ssl = no``: it offers no STARTTLS at all."""
    server = Dovecot(tmp_path / "no-tls", implicit_tls=False, extra_conf="ssl = no\n")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_server_without_starttls_gets_no_password(dovecot_without_tls, proxy):
    proxy.upstream = (dovecot_without_tls.host, dovecot_without_tls.port)
    with pytest.raises(MailboxRejected) as caught:
        ImapMailbox(params(dovecot_without_tls, port=proxy.port)).__enter__()
    assert str(caught.value) == (
        f"127.0.0.1:{proxy.port} does not offer STARTTLS; refusing to send the password in clear"
    )
    assert dovecot_without_tls.password.encode() not in proxy.client_bytes
    assert b"LOGIN" not in proxy.client_bytes.upper()


def test_starttls_stripped_by_a_man_in_the_middle_gets_no_password(dovecot, proxy):
    proxy.replace = [(b" STARTTLS", b"")]  # what a downgrade attack does to the capabilities
    with pytest.raises(MailboxRejected, match="does not offer STARTTLS; refusing to send"):
        ImapMailbox(params(dovecot, port=proxy.port)).__enter__()
    assert proxy.connections == 1
    assert dovecot.password.encode() not in proxy.client_bytes
    assert b"LOGIN" not in proxy.client_bytes.upper()


# ------------------------------------------------------------------------------ secrets
@pytest.fixture
def secret_dovecot(dovecot: Dovecot, tmp_path: Path) -> Iterator[Dovecot]:
    """A Dovecot whose password is unique, so finding it anywhere is never a coincidence."""
    server = Dovecot(
        tmp_path / "secret-dovecot",
        implicit_tls=False,
        password=f"pw-{secrets.token_hex(12)}",
        extra_conf="auth_failure_delay = 0\n",  # no 2 s pause after the wrong password
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def database_text(app) -> str:
    """Every value in every table, as text (SQLite or PostgreSQL alike)."""
    metadata = MetaData()
    metadata.reflect(app.engine)
    chunks = []
    with app.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def written_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            if "secret-dovecot" not in path.parts:  # the server's own user database
                yield path, path.read_bytes()


def run_daemon(app, env: dict[str, str], log: Path, wait_for: str) -> None:
    with log.open("wb") as output:
        daemon = subprocess.Popen(
            cli(app, "--verbose", "run"), env=env, stdout=output, stderr=output
        )
    try:
        wait_until(lambda: wait_for in log.read_text(), what=wait_for)
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0


@pytest.mark.slow
def test_the_password_appears_nowhere_a_run_writes(secret_dovecot, make_app, tmp_path):
    server = secret_dovecot
    wrong = f"wrong-{secrets.token_hex(12)}"
    multiappend(
        server,
        "INBOX",
        [(submission("Theory 1 - Ivan Ivanov"), ARRIVED), (submission("hello"), ARRIVED)],
    )
    app = make_app("INBOX", server=server)
    good_env, wrong_env = cli_env(server.password), cli_env(wrong)
    outputs: list[str] = []

    def run(args: list[str], env: dict[str, str], expect: int) -> None:
        result = subprocess.run(cli(app, *args), env=env, capture_output=True, text=True)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, (args, result.stderr)

    # Logins that succeed first: Dovecot delays every login after a failed one.
    run(["check"], good_env, 0)
    run(["--verbose", "poll"], good_env, 0)
    run(["--debug", "--verbose", "poll", "--json"], good_env, 0)
    for command in (["submissions", "--json"], ["rejected", "--json"], ["status"]):
        run(command, good_env, 0)
    multiappend(server, "INBOX", [(submission("Theory 2 - Ivan Ivanov"), ARRIVED)])
    run_daemon(app, good_env, tmp_path / "daemon-good.log", "poll: 1 new submissions")
    run(["check"], wrong_env, 1)
    run_daemon(app, wrong_env, tmp_path / "daemon-wrong.log", "poll failed")
    outputs.extend(p.read_text() for p in tmp_path.glob("daemon-*.log"))

    assert any("refused for user" in text for text in outputs)  # the failures did happen
    for secret in (server.password, wrong):
        for text in outputs:
            assert secret not in text
        for path, data in written_bytes(tmp_path):
            assert secret.encode() not in data, f"the password is in {path}"
        assert secret not in database_text(app)


# ------------------------------------------------------------------------------ permissions
def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.lstat().st_mode))


def test_the_store_and_the_database_are_owner_only(dovecot, imap_folder, make_app):
    multiappend(dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), ARRIVED)])
    app = make_app(imap_folder)
    previous = os.umask(0o022)  # the usual default: group and others may read
    try:
        result = subprocess.run(
            cli(app, "poll"), env=cli_env(dovecot.password), capture_output=True, text=True
        )
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr

    root = app.store.root
    assert mode(root) == "0o700"
    for directory, dirs, files in os.walk(root):
        for name in dirs:
            assert mode(Path(directory, name)) == "0o700", Path(directory, name)
        for name in files:
            assert mode(Path(directory, name)) == "0o600", Path(directory, name)
    if ON_POSTGRES:
        return  # no database files here; the server's own files are PostgreSQL's business
    database = sqlite_path(app.settings.database.url)
    assert database is not None
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm", ".lock")]
    for path in [database, *companions]:
        if path.exists():
            assert mode(path) == "0o600", path
    assert database.with_name(database.name + ".lock").exists()
