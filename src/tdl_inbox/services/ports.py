"""What services need from the outside world, as protocols.

The real implementations live in ``tdl_inbox.adapters``; tests use them too, against real
servers, so these protocols exist to keep services independent of imapclient, not for mocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from tdl_inbox.adapters.imap import FolderStatus, MessageMeta, RawMessage

Clock = Callable[[], datetime]


class Mailbox(Protocol):
    def select(self, folder: str) -> FolderStatus: ...
    def uids_after(self, last_uid: int) -> list[int]: ...
    def fetch_meta(self, uids: Sequence[int]) -> list[MessageMeta]: ...
    def fetch_raw(self, uids: Sequence[int]) -> Iterator[RawMessage]: ...
    def fetch_header(self, uid: int) -> bytes: ...


MailboxFactory = Callable[[], AbstractContextManager[Mailbox]]
