"""Deliver the sample mail into the demo server with IMAP APPEND."""

from __future__ import annotations

import ssl
from collections.abc import Sequence

import imapclient
from imapclient.exceptions import IMAPClientError

from demo.samples import Sample
from demo.server import ImapServer, ServerError


def deliver(server: ImapServer, folder: str, samples: Sequence[Sample]) -> None:
    """Create ``folder`` and append each sample with its arrival time as INTERNALDATE."""
    try:
        context = ssl.create_default_context(cafile=str(server.cafile))
        with imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=15) as client:
            client.starttls(context)
            client.login(server.username, server.password)
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for sample in samples:
                client.append(folder, sample.raw, flags=(), msg_time=sample.arrived_at)
    except (IMAPClientError, OSError) as exc:
        raise ServerError(f"could not deliver the sample mail to the demo server: {exc}") from exc
