"""A recording SMTP server on loopback (aiosmtpd, in a thread of the test process).

    with SmtpSink(tmp_path, auth=("bot", "pw")) as sink:
        ...send with smtplib / the code under test...
        [msg] = sink.wait_for(1)
        assert msg.rcpt_tos == ("student@example.org",)

STARTTLS is offered (self-signed certificate, ``cafile`` trusts it) but not required unless
``require_starttls``; with ``auth`` AUTH PLAIN/LOGIN is offered (also without TLS: loopback)
and required only with ``auth_required``. Every accepted message is kept in memory with its
envelope; ``reject_rcpt`` (a regex) makes matching RCPT TO fail with 550 to test bounces.
"""

from __future__ import annotations

import email.policy
import logging
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any

from .dovecot import LOOPBACK, free_port, make_self_signed_cert

__all__ = ["Received", "SmtpSink"]


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope, the bytes as sent, and how it arrived."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: str
    tls: bool
    auth_login: str | None
    smtputf8: bool
    mail_options: tuple[str, ...] = field(default=())

    @property
    def message(self) -> EmailMessage:
        """The message parsed with ``email.policy.default``."""
        parsed = BytesParser(policy=email.policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _HideLoginDataNag(logging.Filter):
    """aiosmtpd 1.4 logs a deprecation warning for its own use of Session.login_data."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_NAG_FILTER = _HideLoginDataNag()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        pattern = self._sink.reject_rcpt
        if pattern is not None and re.search(pattern, address):
            return f"550 5.1.1 <{address}>: Recipient address rejected (test)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        login = session.auth_data  # what _authenticate() put there: the login name
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data,
            peer=str(session.peer[0]) if session.peer else "",
            tls=session.ssl is not None,
            auth_login=login if session.authenticated else None,
            smtputf8=bool(envelope.smtp_utf8),
            mail_options=tuple(envelope.mail_options),
        )
        self._sink._record(received)
        return f"250 2.0.0 Ok: queued as {len(self._sink.received())}"


class SmtpSink:
    """Recording SMTP server; see the module docstring."""

    def __init__(
        self,
        base_dir: Path | str,
        *,
        starttls: bool = True,
        require_starttls: bool = False,
        auth: tuple[str, str] | None = None,
        auth_required: bool = False,
        reject_rcpt: str | None = None,
        data_size_limit: int = 50 << 20,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.host = LOOPBACK
        self.port = 0
        self.cafile: Path | None = None
        self.username: str | None = auth[0] if auth else None
        self.password: str | None = auth[1] if auth else None
        self.reject_rcpt = reject_rcpt
        self._starttls = starttls or require_starttls
        self._require_starttls = require_starttls
        self._auth_required = auth_required
        self._data_size_limit = data_size_limit
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._received: list[Received] = []
        self._controller: Any = None

    @classmethod
    def available(cls) -> str | None:
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            return "aiosmtpd is not installed (pip install aiosmtpd)"
        return None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._controller is not None:
            return
        reason = self.available()
        if reason is not None:
            raise RuntimeError(reason)
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").addFilter(_NAG_FILTER)  # idempotent
        kwargs: dict[str, Any] = {}
        if self._starttls:
            cert, key = make_self_signed_cert(self.base_dir / "tls")
            self.cafile = cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            kwargs.update(tls_context=context, require_starttls=self._require_starttls)
        if self.username is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=self._auth_required,
                # Offered in clear on loopback, unless TLS is required anyway (Bridge-like).
                auth_require_tls=self._require_starttls,
            )
        self.port = free_port()
        self._controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            enable_SMTPUTF8=True,
            decode_data=False,
            data_size_limit=self._data_size_limit,
            ident="tdl-inbox test SMTP sink",
            server_hostname="smtp-sink.test",
            **kwargs,
        )
        self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and self.username is not None
            and self.password is not None
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    # ---------------------------------------------------------------- messages
    def _record(self, received: Received) -> None:
        with self._arrived:
            self._received.append(received)
            self._arrived.notify_all()

    def received(self) -> list[Received]:
        """Everything accepted since start / the last ``clear()``, oldest first."""
        with self._lock:
            return list(self._received)

    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed, each with ``X-Envelope-From``/``X-Envelope-To``
        headers (the SMTP envelope) prepended."""
        out = []
        for item in self.received():
            header = (
                f"X-Envelope-From: {item.mail_from}\r\n"
                f"X-Envelope-To: {', '.join(item.rcpt_tos)}\r\n"
            ).encode()
            parsed = BytesParser(policy=email.policy.default).parsebytes(header + item.data)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
        return out

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until at least *count* messages arrived; returns all of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} message(s) within {timeout} s, got {len(self._received)}"
                    )
                self._arrived.wait(remaining)
            return list(self._received)
