"""TLS: verified by default, cafile for a self-signed server, no silent plain-text fallback."""

from __future__ import annotations

import pytest

from tdl_inbox.adapters.imap import ImapMailbox, ImapParams
from tdl_inbox.errors import MailboxRejected

pytestmark = pytest.mark.dovecot


def params(dovecot, **overrides) -> ImapParams:
    values = dict(
        host="127.0.0.1",
        port=dovecot.port,
        security="starttls",
        username=dovecot.username,
        password=dovecot.password,
        cafile=dovecot.cafile,
        timeout_seconds=10,
    )
    values.update(overrides)
    return ImapParams(**values)


def test_starttls_with_cafile_logs_in(dovecot):
    with ImapMailbox(params(dovecot)) as mailbox:
        assert mailbox.select("INBOX").uidvalidity > 0


def test_self_signed_certificate_without_cafile_fails_saying_so(dovecot):
    with pytest.raises(MailboxRejected, match=r"could not be verified.*cafile"):
        ImapMailbox(params(dovecot, cafile=None)).__enter__()


def test_implicit_tls_port(dovecot):
    if not dovecot.tls_port:
        pytest.skip("this Dovecot has no implicit-TLS listener")
    with ImapMailbox(params(dovecot, port=dovecot.tls_port, security="tls")) as mailbox:
        assert mailbox.select("INBOX").exists >= 0


def test_wrong_password_is_rejected_without_echoing_it(dovecot):
    with pytest.raises(MailboxRejected) as caught:
        ImapMailbox(params(dovecot, password="not-the-password")).__enter__()
    assert "not-the-password" not in str(caught.value)
    assert "not-the-password" not in repr(params(dovecot, password="not-the-password"))
