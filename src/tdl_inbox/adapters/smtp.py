"""Sending mail over SMTP: the only module that imports smtplib."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal

from tdl_inbox.errors import SmtpRejected, SmtpUnavailable


@dataclass(frozen=True)
class SmtpParams:
    host: str
    port: int
    security: Literal["tls", "starttls", "plain"]
    username: str | None = None
    password: str | None = None
    cafile: Path | None = None
    timeout_seconds: float = 30.0

    def __repr__(self) -> str:  # never show the password
        return f"SmtpParams({self.username or '-'}@{self.host}:{self.port}, {self.security})"


class SmtpSender:
    """One SMTP session; use as a context manager and call ``send`` for each message."""

    def __init__(self, params: SmtpParams) -> None:
        self.params = params
        self._client: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.params.host}:{self.params.port}"

    def __enter__(self) -> SmtpSender:
        """Connect, STARTTLS and log in; a failure names the step (connect/STARTTLS/login)."""
        p = self.params
        try:
            context = ssl.create_default_context(cafile=str(p.cafile) if p.cafile else None)
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _reason(exc)
            raise SmtpRejected(f"smtp.cafile: cannot use {p.cafile}: {reason}") from None
        step = "connect"
        try:
            if p.security == "tls":
                self._client = smtplib.SMTP_SSL(
                    p.host, p.port, timeout=p.timeout_seconds, context=context
                )
            else:
                self._client = smtplib.SMTP(p.host, p.port, timeout=p.timeout_seconds)
            client = self._client
            client.ehlo()
            if p.security == "starttls":
                step = "STARTTLS"
                if not client.has_extn("starttls"):
                    raise SmtpRejected(
                        f"{self._failed(step)}: the server does not offer STARTTLS; "
                        "refusing to send in clear"
                    )
                client.starttls(context=context)
                client.ehlo()
            if p.username is not None and p.password is not None:
                step = "login"
                client.login(p.username, p.password)
        except SmtpRejected:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError:
            self.close()
            raise SmtpRejected(f"{self._failed(step)}: refused, check the password") from None
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise SmtpRejected(
                f"{self._failed(step)}: TLS certificate could not be verified "
                f"({exc.verify_message}); set smtp.cafile"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise SmtpRejected(f"{self._failed(step)}: {_reason(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpUnavailable(f"{self._failed(step)}: {_reason(exc)}") from None
        return self

    def _failed(self, step: str) -> str:
        if step == "login":
            return f"SMTP login to {self.where} as {self.params.username} failed"
        return f"SMTP {step} {'with' if step == 'STARTTLS' else 'to'} {self.where} failed"

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def send(self, message: EmailMessage) -> None:
        assert self._client is not None, "use SmtpSender as a context manager"
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SmtpRejected(f"recipient refused by {self.where}: {_reason(exc)}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise SmtpRejected(f"{self.where} refused the message: {_reason(exc)}") from None
            raise SmtpUnavailable(f"{self.where} deferred the message: {_reason(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpUnavailable(f"lost the connection to {self.where}: {_reason(exc)}") from None
        if refused:
            raise SmtpRejected(f"recipient refused by {self.where}: {', '.join(refused)}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{rcpt}: {code}" for rcpt, (code, _) in exc.recipients.items())
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
