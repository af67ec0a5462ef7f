"""The IMAP mailbox: the only module that imports imapclient.

Read-only by construction: the folder is opened with EXAMINE and bodies are fetched with
``BODY.PEEK[]``, so ingest never marks mail read or deletes it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from tdl_inbox.adapters.mime import parse_mail
from tdl_inbox.errors import MailboxRejected, MailboxUnavailable
from tdl_inbox.services.intake.ports import FolderStatus, IdleNews, MessageMeta, RawMessage

IDENTITY_FIELDS = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID X-PM-INTERNAL-ID)]"
META_BATCH = 500
# A peer (or a reset) that ends the TLS stream: the connection is lost, not a TLS problem.
_TLS_CONNECTION_LOST = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


@dataclass(frozen=True)
class ImapParams:
    host: str
    port: int
    security: Literal["tls", "starttls", "plain"]
    username: str
    password: str
    cafile: Path | None = None
    timeout_seconds: float = 60.0

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"ImapParams({self.username}@{self.host}:{self.port}, {self.security})"


def _tls_context(cafile: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxRejected(f"mailbox.cafile: cannot load certificate {cafile}: {exc}") from None


def _aware(value: datetime) -> datetime:
    # INTERNALDATE always carries a zone; treat anything else as UTC rather than local time.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class ImapMailbox:
    """A logged-in IMAP session on one folder. Use as a context manager."""

    def __init__(self, params: ImapParams) -> None:
        self.params = params
        self._client: Any = None
        self._gmail = False

    @property
    def where(self) -> str:
        return f"{self.params.host}:{self.params.port}"

    def __enter__(self) -> ImapMailbox:
        try:
            with self._errors("connect to"):
                self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self, *, abort: bool = False) -> None:
        """Log out and close; with ``abort`` (the connection is broken or stalled) just close
        the socket: a LOGOUT would wait another ``timeout_seconds`` for an answer."""
        client, self._client = self._client, None
        if client is None:
            return
        if not abort:
            try:
                client.logout()
                return
            except Exception:  # the session is being abandoned anyway; close the socket below
                pass
        with contextlib.suppress(Exception):
            client.shutdown()
        with contextlib.suppress(Exception):
            client._imap.sock.close()

    def _connect(self) -> None:
        p = self.params
        timeout = imapclient.SocketTimeout(
            connect=min(15.0, p.timeout_seconds), read=p.timeout_seconds
        )
        context = _tls_context(p.cafile) if p.security != "plain" else None
        client = imapclient.IMAPClient(
            p.host, port=p.port, ssl=p.security == "tls", ssl_context=context, timeout=timeout
        )
        self._client = client
        # IMAPClient leaves imaplib's debug level at 5, which formats every response
        # (whole message bodies) before discarding the text: several times slower fetches.
        client._imap.debug = 0
        client.normalise_times = False
        if p.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise MailboxRejected(
                    f"{self.where} does not offer STARTTLS; refusing to send the password in clear"
                )
            client.starttls(context)
        try:
            client.login(p.username, p.password)
        except LoginError:
            raise MailboxRejected(
                f"login to {self.where} refused for user {p.username}: check the password"
            ) from None
        self._gmail = client.has_capability("X-GM-EXT-1")

    def _errors(self, action: str) -> _ErrorTranslator:
        return _ErrorTranslator(self, action)

    def select(self, folder: str) -> FolderStatus:
        with self._errors("open a folder on"):
            try:
                info = self._client.select_folder(folder, readonly=True)
            except IMAPClientError as exc:
                if isinstance(exc, IMAPClientAbortError):
                    raise
                raise MailboxRejected(
                    f"cannot open folder {folder!r} on {self.where}: {exc}"
                ) from None
        return FolderStatus(uidvalidity=int(info[b"UIDVALIDITY"]), exists=int(info[b"EXISTS"]))

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, ascending.

        ``UID SEARCH n:*`` always includes the highest UID even when it is below n, so filter.
        """
        with self._errors("search"):
            found = self._client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def fetch_meta(self, uids: Sequence[int]) -> list[MessageMeta]:
        items: list[bytes] = [b"RFC822.SIZE", b"INTERNALDATE", IDENTITY_FIELDS]
        if self._gmail:
            items.append(b"X-GM-MSGID")
        result: list[MessageMeta] = []
        for start in range(0, len(uids), META_BATCH):
            chunk = list(uids[start : start + META_BATCH])
            with self._errors("list messages on"):
                response = self._client.fetch(chunk, items)
            for uid in chunk:
                data = response.get(uid)
                if data is None:  # expunged by another client between SEARCH and FETCH
                    continue
                result.append(self._meta(uid, data))
        return result

    def _meta(self, uid: int, data: dict[bytes, Any]) -> MessageMeta:
        header = b""
        for key, value in data.items():
            if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
                header = value
        # Decoded exactly as ingest decodes the whole message, so both give the same ids.
        identity = parse_mail(header)
        provider_id = identity.provider_id
        if provider_id is None and b"X-GM-MSGID" in data:
            provider_id = f"gm:{data[b'X-GM-MSGID']}"
        return MessageMeta(
            uid=uid,
            size=int(data.get(b"RFC822.SIZE", 0)),
            arrived_at=_aware(data[b"INTERNALDATE"]),
            message_id=identity.message_id,
            provider_id=provider_id,
        )

    def fetch_raw(self, uids: Sequence[int]) -> Iterator[RawMessage]:
        """Whole messages, in UID order, one FETCH for the batch."""
        with self._errors("fetch messages from"):
            response = self._client.fetch(list(uids), [b"BODY.PEEK[]", b"INTERNALDATE"])
        for uid in sorted(response):
            data = response[uid]
            raw = data.get(b"BODY[]")
            if raw is None:
                continue
            yield RawMessage(uid=uid, raw=bytes(raw), arrived_at=_aware(data[b"INTERNALDATE"]))

    # ---------------------------------------------------------------- IDLE (RFC 2177)
    def supports_idle(self) -> bool:
        """Whether the server offers IDLE on this connection (asked after login: Proton
        Mail Bridge can turn it off while running, so the answer is per connection)."""
        with self._errors("ask the capabilities of"):
            return bool(self._client.has_capability("IDLE"))

    def idle_start(self) -> None:
        with self._errors("start IDLE on"):
            self._client.idle()

    def idle_check(self, timeout: float) -> IdleNews:
        """Wait up to ``timeout`` seconds for the server to report a change in IDLE.

        imapclient ends the wait early and quietly when the connection reaches end-of-file,
        so a wake-up with nothing read, or a BYE, means the connection is gone.
        """
        started = time.monotonic()
        with self._errors("wait for new mail on"):
            responses = self._client.idle_check(timeout=timeout)
        waited = time.monotonic() - started
        lost = any(_is_bye(r) for r in responses) or (not responses and waited < timeout * 0.9)
        if lost:
            self.close(abort=True)
            raise MailboxUnavailable(f"{self.where} closed the connection while in IDLE")
        return IdleNews(new_mail=any(_is_arrival(r) for r in responses))

    def idle_done(self) -> None:
        """Leave IDLE; the answer is awaited with the socket timeout like any call."""
        with self._errors("end IDLE on"):
            self._client.idle_done()

    def fetch_header(self, uid: int) -> bytes:
        with self._errors("fetch a header from"):
            response = self._client.fetch([uid], [b"BODY.PEEK[HEADER]"])
        data = response.get(uid, {})
        value = data.get(b"BODY[HEADER]", b"")
        return bytes(value)


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] == b"BYE"


def _is_arrival(response: Any) -> bool:
    # ``* n EXISTS`` announces new mail (RECENT comes with it); EXPUNGE and flag changes
    # do not need a poll.
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and isinstance(response[0], int)
        and response[1] in (b"EXISTS", b"RECENT")
    )


class _ErrorTranslator:
    """Turn socket, TLS and protocol failures into errors a user can act on."""

    def __init__(self, mailbox: ImapMailbox, action: str) -> None:
        self.mailbox = mailbox
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or isinstance(exc, MailboxRejected | MailboxUnavailable):
            return
        where = self.mailbox.where
        self.mailbox.close(abort=True)
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise MailboxRejected(
                f"TLS certificate of {where} could not be verified ({exc.verify_message}); "
                "for Proton Mail Bridge set mailbox.cafile to its exported certificate "
                "and connect to 127.0.0.1"
            ) from None
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, _TLS_CONNECTION_LOST):
            if self.action == "connect to":
                raise MailboxRejected(f"TLS handshake with {where} failed: {exc.reason}") from None
            raise MailboxUnavailable(
                f"TLS error from {where} while trying to {self.action} it: {exc.reason}"
            ) from None
        if isinstance(exc, ConnectionRefusedError):
            raise MailboxUnavailable(f"cannot connect to {where}: connection refused") from None
        if isinstance(exc, socket.timeout | TimeoutError):
            raise MailboxUnavailable(
                f"{where} did not answer in time while trying to {self.action} it"
            ) from None
        if isinstance(exc, socket.gaierror):
            raise MailboxUnavailable(
                f"cannot resolve mail server host {self.mailbox.params.host}"
            ) from None
        if isinstance(exc, _TLS_CONNECTION_LOST):
            raise MailboxUnavailable(
                f"lost the connection to {where} while trying to {self.action} it "
                "(closed in the middle of TLS)"
            ) from None
        if isinstance(exc, OSError | IMAPClientAbortError | EOFError):
            raise MailboxUnavailable(
                f"lost the connection to {where} while trying to {self.action} it: {exc}"
            ) from None
        if isinstance(exc, IMAPClientError):
            raise MailboxUnavailable(
                f"IMAP error from {where} while trying to {self.action} it: {exc}"
            ) from None
