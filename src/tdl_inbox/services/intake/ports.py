"""What services need from the outside world, as protocols.

The real implementations live in ``tdl_inbox.adapters`` and import this module (the one place
adapters depend on services: they implement its ports); tests use them too, against real
servers, so these protocols exist to keep services independent of imapclient, not for mocks.
The mailbox's value types live here too, so importing a service never imports imapclient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    exists: int


@dataclass(frozen=True)
class MessageMeta:
    uid: int
    size: int
    arrived_at: datetime
    message_id: str | None
    provider_id: str | None


@dataclass(frozen=True)
class RawMessage:
    uid: int
    raw: bytes
    arrived_at: datetime


@dataclass(frozen=True)
class IdleNews:
    """What the server reported during one wait in IDLE."""

    new_mail: bool


class Mailbox(Protocol):
    def select(self, folder: str) -> FolderStatus: ...
    def uids_after(self, last_uid: int) -> list[int]: ...
    def fetch_meta(self, uids: Sequence[int]) -> list[MessageMeta]: ...
    def fetch_raw(self, uids: Sequence[int]) -> Iterator[RawMessage]: ...
    def fetch_header(self, uid: int) -> bytes: ...


MailboxFactory = Callable[[], AbstractContextManager[Mailbox]]


class PushMailbox(Mailbox, Protocol):
    """A mailbox that can also be told to push news (IMAP IDLE, RFC 2177)."""

    def supports_idle(self) -> bool: ...
    def idle_start(self) -> None: ...
    def idle_check(self, timeout: float) -> IdleNews: ...
    def idle_done(self) -> None: ...


PushMailboxFactory = Callable[[], AbstractContextManager[PushMailbox]]
