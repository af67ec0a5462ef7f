"""Fixtures for fault injection: a misbehaving proxy and a Dovecot a test may stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.tcp_proxy import TcpProxy
from tdl_inbox_dev.dovecot import Dovecot


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the session Dovecot, forwarding normally until told not to."""
    with TcpProxy((dovecot.host, dovecot.port)) as running:
        yield running


@pytest.fixture
def private_dovecot(dovecot: Dovecot, tmp_path: Path) -> Iterator[Dovecot]:
    """A Dovecot of this test's own, which it may stop and start (the session one is shared).

    Depends on ``dovecot`` only for its availability policy (skip, or fail under CI=true).
    """
    server = Dovecot(tmp_path / "private-dovecot", implicit_tls=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
