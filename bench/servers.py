"""The private Dovecot the benchmark runs against, and fast ways to fill it.

Reuses the test suite's private Dovecot (``tdl_inbox_dev.dovecot``), so the benchmark carries
its own server setup: nothing from ``/etc/dovecot`` or outside the repo.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from tdl_inbox_dev.dovecot import Dovecot

__all__ = ["Dovecot", "create_folder", "fill_folder", "folder_dir", "open_client"]

_HOST = socket.gethostname().replace("/", "_").replace(":", "_")
_counter = itertools.count()


def open_client(server: Dovecot, *, starttls: bool = True) -> IMAPClient:
    """Logged in over STARTTLS (like tdl-inbox), imaplib debug off."""
    return server.connect(starttls=starttls, timeout=120.0)


def folder_dir(server: Dovecot, folder: str) -> Path:
    return server.maildir / ("." + folder)


def create_folder(server: Dovecot, folder: str) -> Path:
    """Create ``folder`` over IMAP (fresh UIDVALIDITY); returns its Maildir directory."""
    with open_client(server, starttls=False) as client:
        if client.folder_exists(folder):
            client.delete_folder(folder)
        client.create_folder(folder)
    directory = folder_dir(server, folder)
    for sub in ("cur", "new", "tmp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    return directory


def fill_folder(
    server: Dovecot, folder: str, messages: Iterable[tuple[bytes, datetime]], *, new: bool = False
) -> int:
    """Write messages straight into the folder's Maildir; INTERNALDATE = file mtime.

    Files go to ``cur/`` (already seen by a mail client, so Dovecot renames nothing), or to
    ``new/`` with ``new=True`` (freshly delivered mail). Dovecot assigns UIDs on the next
    SELECT. Returns the number of bytes written.
    """
    directory = folder_dir(server, folder)
    owner = directory.stat()
    chown = os.geteuid() == 0
    total = 0
    pid = os.getpid()
    for raw, internaldate in messages:
        now = time.time()
        base = f"{int(now)}.M{int(now % 1 * 1e6)}P{pid}Q{next(_counter)}.{_HOST},S={len(raw)}"
        tmp = directory / "tmp" / base
        final = directory / "new" / base if new else directory / "cur" / f"{base}:2,"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            stamp = internaldate.timestamp()
            os.utime(fd, (stamp, stamp))
            if chown:
                os.fchown(fd, owner.st_uid, owner.st_gid)
        finally:
            os.close(fd)
        os.rename(tmp, final)
        total += len(raw)
    return total


def warm(server: Dovecot, folder: str) -> int:
    """SELECT the folder once and fetch the metadata ingest asks for, so Dovecot's index and
    cache are built before anything is timed. Returns the message count."""
    with open_client(server, starttls=False) as client:
        info = client.select_folder(folder, readonly=False)
        count = int(info[b"EXISTS"])
        if count:
            uids = client.search(["ALL"])
            for start in range(0, len(uids), 5000):
                client.fetch(
                    uids[start : start + 5000],
                    [
                        b"RFC822.SIZE",
                        b"INTERNALDATE",
                        b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID X-PM-INTERNAL-ID)]",
                    ],
                )
    return count
