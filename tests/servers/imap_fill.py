"""Put messages into an IMAP mailbox with a chosen INTERNALDATE.

* ``append()``: one IMAP APPEND (returns the new UID).
* ``multiappend()``: MULTIAPPEND (RFC 3502) in batches -- about 7x faster for many messages.
* ``write_maildir()`` / ``fill_maildir()``: files straight into Dovecot's Maildir, INTERNALDATE
  = file mtime; the fastest way to build a big mailbox (Dovecot picks the files up on the
  next SELECT/NOOP; UIDs are assigned then).

INTERNALDATE has one-second resolution; Dovecot keeps the instant but not the UTC offset, so
compare instants (aware datetimes compare by instant anyway). Dovecot stores NUL bytes as 0x80.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeAlias

from imapclient import IMAPClient

__all__ = [
    "ImapAccount",
    "Message",
    "append",
    "fill_maildir",
    "imap_client",
    "maildir_folder_path",
    "multiappend",
    "write_maildir",
]

Flag: TypeAlias = str | bytes


class ImapAccount(Protocol):
    """Where to log in: a ``servers.dovecot.Dovecot`` instance fits (plain LOGIN, no TLS)."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...


Target: TypeAlias = IMAPClient | ImapAccount


@dataclass(frozen=True)
class Message:
    raw: bytes
    internaldate: datetime
    flags: tuple[Flag, ...] = ()


@contextlib.contextmanager
def imap_client(target: Target, *, timeout: float = 30.0) -> Iterator[IMAPClient]:
    """Use *target* if it is a connected ``IMAPClient``; else log in (plain) and log out after."""
    if isinstance(target, IMAPClient):
        yield target
        return
    client = IMAPClient(target.host, target.port, ssl=False, timeout=timeout)
    try:
        client._imap.debug = 0  # imaplib formats every response at debug 5 (slow)
        client.normalise_times = False
        client.login(target.username, target.password)
        yield client
    finally:
        try:
            client.logout()
        except (IMAPClient.Error, OSError):
            client.shutdown()


def _check_aware(internaldate: datetime) -> None:
    if internaldate.tzinfo is None or internaldate.utcoffset() is None:
        raise ValueError(f"internaldate must be timezone-aware, got {internaldate!r}")


_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([\d:,]+)\]", re.IGNORECASE)


def _parse_uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.split(b","):
        first, _, last = part.partition(b":")
        lo, hi = int(first), int(last or first)
        uids.extend(range(min(lo, hi), max(lo, hi) + 1))
    return uids


def _appended_uids(response: bytes | str | None) -> list[int]:
    if isinstance(response, str):
        response = response.encode()
    match = _APPENDUID.search(response or b"")
    if match is None:
        raise RuntimeError(f"server sent no APPENDUID (needs UIDPLUS): {response!r}")
    return _parse_uid_set(match.group(2))


def append(
    target: Target,
    folder: str,
    raw: bytes,
    internaldate: datetime,
    flags: Sequence[Flag] = (),
) -> int:
    """APPEND *raw* to *folder* with INTERNALDATE *internaldate* (aware); returns its UID."""
    _check_aware(internaldate)
    if not isinstance(raw, bytes):
        raise TypeError("raw must be bytes (IMAPClient fails on non-ASCII str)")
    with imap_client(target) as client:
        response = client.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
    return _appended_uids(response)[0]


def multiappend(
    target: Target,
    folder: str,
    messages: Iterable[Message | tuple[bytes, datetime]],
    *,
    batch: int = 100,
) -> list[int]:
    """MULTIAPPEND *messages* to *folder*, *batch* per command; returns their UIDs in order."""
    uids: list[int] = []
    with imap_client(target) as client:
        iterator = iter(messages)
        while chunk := list(itertools.islice(iterator, batch)):
            items = []
            for item in chunk:
                message = item if isinstance(item, Message) else Message(*item)
                _check_aware(message.internaldate)
                items.append(
                    {"msg": message.raw, "flags": message.flags, "date": message.internaldate}
                )
            typ, data = client.multiappend(folder, items)
            if typ != "OK":
                raise IMAPClient.Error(f"MULTIAPPEND failed: {typ} {data!r}")
            new = _appended_uids(data[-1] if data else None)
            if len(new) != len(chunk):
                raise RuntimeError(f"APPENDUID lists {len(new)} UIDs for {len(chunk)} messages")
            uids.extend(new)
    return uids


# ------------------------------------------------------------------------------- Maildir
_MAILDIR_FLAGS = {
    "\\draft": "D",
    "\\flagged": "F",
    "\\answered": "R",
    "\\seen": "S",
    "\\deleted": "T",
}
_counter = itertools.count()


def maildir_folder_path(maildir: Path, folder: str = "INBOX") -> Path:
    """The directory of IMAP *folder* in Dovecot's Maildir++ layout (``a/b`` -> ``.a.b``)."""
    if folder.upper() == "INBOX":
        return maildir
    if "." in folder or not folder.isascii():
        raise ValueError(f"folder {folder!r}: only plain ASCII names without dots are mapped")
    return maildir / ("." + folder.replace("/", "."))


def write_maildir(
    maildir: Path,
    raw: bytes,
    internaldate: datetime,
    *,
    folder: str = "INBOX",
    flags: Sequence[Flag] = (),
) -> Path:
    """Write one message into *folder* of *maildir*; INTERNALDATE = the file's mtime.

    The folder must exist (create it over IMAP first). When running as root the file gets
    the owner of the folder directory (Dovecot's mail user). Returns the file's path.
    Messages without flags go to ``new/`` (they will be \\Recent), others to ``cur/``.
    """
    _check_aware(internaldate)
    directory = maildir_folder_path(Path(maildir), folder)
    if not (directory / "tmp").is_dir():
        raise FileNotFoundError(f"{directory} is not a Maildir folder; create {folder!r} first")
    letters = []
    for flag in flags:
        name = (flag.decode() if isinstance(flag, bytes) else flag).lower()
        if name not in _MAILDIR_FLAGS:
            raise ValueError(f"only system flags can be written to a Maildir, not {flag!r}")
        letters.append(_MAILDIR_FLAGS[name])
    now = time.time()
    base = (
        f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_counter)}"
        f".{socket.gethostname().replace('/', '_').replace(':', '_')},S={len(raw)}"
    )
    tmp = directory / "tmp" / base
    if flags:
        final = directory / "cur" / f"{base}:2,{''.join(sorted(set(letters)))}"
    else:
        final = directory / "new" / base
    tmp.write_bytes(raw)
    stamp = internaldate.timestamp()
    os.utime(tmp, (stamp, stamp))
    if os.geteuid() == 0:
        owner = directory.stat()
        os.chown(tmp, owner.st_uid, owner.st_gid)
    tmp.rename(final)
    return final


def fill_maildir(
    maildir: Path,
    messages: Iterable[Message | tuple[bytes, datetime]],
    *,
    folder: str = "INBOX",
) -> list[Path]:
    """``write_maildir()`` for many messages; returns the paths in order."""
    paths = []
    for item in messages:
        message = item if isinstance(item, Message) else Message(*item)
        paths.append(
            write_maildir(
                maildir, message.raw, message.internaldate, folder=folder, flags=message.flags
            )
        )
    return paths
