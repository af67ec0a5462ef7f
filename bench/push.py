"""Arrival to receipt: from the APPEND of a message to the SMTP server accepting its receipt.

The real daemon (``tdl-inbox run``, a child process) reads the bench's Dovecot and sends its
receipts to an SMTP sink in this process (aiosmtpd, STARTTLS like Proton Mail Bridge), which
notes when it accepted each receipt (matched to its message by In-Reply-To). Two patterns:
single messages a couple of seconds apart, and a burst (100 messages in 30 s). With push on
(``mailbox.idle = true``) the poll interval is 300 s, so only push can be fast; the same run
with push off (``mailbox.idle = false``) polls at the default 60 s (``--quick``: 10 s), what
the daemon did before push.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import PASSWORD_ENV, Row, build, write_config
from bench.mail import MessageFactory
from bench.servers import Dovecot, create_folder, open_client
from tdl_inbox_dev.dovecot import LOOPBACK, free_port, make_self_signed_cert

FOLDER = "push"
TARGET_S = 1.0
MESSAGE_BYTES = 50_000
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
_IN_REPLY_TO = re.compile(rb"^In-Reply-To:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Pattern:
    name: str
    count: int
    spacing_s: float


class ReceiptClock:
    """An SMTP sink that notes when it accepted the receipt of each message (monotonic)."""

    def __init__(self, directory: Path) -> None:
        from aiosmtpd.controller import Controller

        cert, key = make_self_signed_cert(directory / "tls")
        self.cafile = cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.port = free_port()
        self.accepted: dict[bytes, float] = {}
        self._lock = threading.Lock()
        self._controller = Controller(
            self,
            hostname=LOOPBACK,
            port=self.port,
            decode_data=False,
            tls_context=context,
            enable_SMTPUTF8=True,
            server_hostname="bench-sink.test",
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        data = envelope.original_content or envelope.content or b""
        found = _IN_REPLY_TO.search(data)
        if found:
            with self._lock:
                self.accepted.setdefault(found.group(1), now)
        return "250 2.0.0 Ok"

    def count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def __enter__(self) -> ReceiptClock:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _config(
    server: Dovecot, directory: Path, sink: ReceiptClock, push: bool, interval: int
) -> Path:
    path = write_config(server, FOLDER, directory)
    text = path.read_text(encoding="utf-8").replace(
        "poll_interval_seconds = 60\n",
        f"poll_interval_seconds = {interval}\nidle = {'true' if push else 'false'}\n",
    )
    text += f"""
[smtp]
host = "{LOOPBACK}"
port = {sink.port}
security = "starttls"
cafile = "{sink.cafile}"
from = "Benchmark course <tdl_course_mipt@protonmail.com>"

[receipts]
max_per_sender_per_hour = 1000
"""
    path.write_text(text, encoding="utf-8")
    build(path).close()  # migrate the database
    return path


def _state_of(app: Any) -> Callable[[str], str | None]:
    """Reads a ``daemon_state`` value of ``app``'s database."""
    from tdl_inbox.adapters.db.models import DaemonState

    def value(key: str) -> str | None:
        with app.sessions.begin() as session:
            row = session.get(DaemonState, key)
            return None if row is None else row.value

    return value


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"push bench: not reached in {timeout:.0f} s: {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def _daemon(config: Path, log_path: Path, password: str) -> Iterator[None]:
    command = [sys.executable, "-m", "tdl_inbox", "--config", str(config), "run"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env={**os.environ, PASSWORD_ENV: password}, stdout=log, stderr=log
        )
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[rank]


def _send(
    server: Dovecot, sink: ReceiptClock, factory: MessageFactory, pattern: Pattern, first: int
) -> list[float]:
    """Append the pattern's messages on schedule; wait for every receipt; the delays in s."""
    appended: dict[bytes, float] = {}
    with open_client(server) as client:
        start = time.monotonic()
        for n in range(pattern.count):
            due = start + n * pattern.spacing_s
            if (pause := due - time.monotonic()) > 0:
                time.sleep(pause)
            raw, _ = factory.make(MESSAGE_BYTES, student=first + n, arrived=datetime.now(UTC))
            found = _MESSAGE_ID.search(raw)
            assert found is not None
            appended[found.group(1)] = time.monotonic()
            client.append(FOLDER, raw, msg_time=datetime.now(UTC))
    _wait(
        lambda: all(mid in sink.accepted for mid in appended),
        pattern.count * pattern.spacing_s + 400,
        f"receipts of {pattern.name}",
    )
    return [sink.accepted[mid] - at for mid, at in appended.items()]


def _measure(
    server: Dovecot,
    directory: Path,
    push: bool,
    interval: int,
    patterns: list[Pattern],
    factory: MessageFactory,
    log: Callable[[str], None],
) -> list[Row]:
    label = "push on" if push else "push off"
    rows: list[Row] = []
    create_folder(server, FOLDER)
    student = 0 if push else 1000  # distinct senders: the receipt rate limit never applies
    with ReceiptClock(directory) as sink:
        config = _config(server, directory, sink, push, interval)
        app = build(config)
        state = _state_of(app)
        try:
            with _daemon(config, directory / "daemon.log", server.password):
                _wait(lambda: state("last_poll_ok_at") is not None, 60, "first poll")
                if push:
                    _wait(lambda: state("mode") == "idle", 60, "IDLE established")
                for pattern in patterns:
                    delays = _send(server, sink, factory, pattern, student)
                    student += pattern.count
                    p50, p95 = _percentile(delays, 0.5), _percentile(delays, 0.95)
                    worst = max(delays)
                    log(
                        f"push: {label}, {pattern.name}: p50 {p50:.2f} s, p95 {p95:.2f} s, "
                        f"max {worst:.2f} s"
                    )
                    section = f"arrival to receipt, {label}"
                    detail = (
                        f"{pattern.count} messages, every {pattern.spacing_s:g} s; "
                        f"poll every {interval} s"
                    )
                    rows += [
                        Row(
                            section,
                            f"{pattern.name}: p95",
                            round(p95, 3),
                            "s",
                            detail,
                            f"< {TARGET_S:g} s" if push else "",
                            p95 < TARGET_S if push else None,
                            samples=[round(d, 3) for d in delays],
                        ),
                        Row(section, f"{pattern.name}: p50", round(p50, 3), "s"),
                        Row(section, f"{pattern.name}: max", round(worst, 3), "s"),
                    ]
        finally:
            app.close()
    return rows


def run(server: Dovecot, work: Path, quick: bool, log: Callable[[str], None]) -> list[Row]:
    patterns = [
        Pattern("single messages", 8 if quick else 30, 1.5 if quick else 2.0),
        Pattern("burst of 100 in 30 s", 100, 0.3),
    ]
    factory = MessageFactory(seed=11)
    rows = _measure(server, work / "push-on", True, 300, patterns, factory, log)
    rows += _measure(server, work / "push-off", False, 10 if quick else 60, patterns, factory, log)
    with open_client(server, starttls=False) as client:
        client.delete_folder(FOLDER)
    return rows
