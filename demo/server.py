"""A throwaway pymap IMAP server on 127.0.0.1 with STARTTLS, like Proton Mail Bridge.

pymap's in-memory ``dict`` backend needs no root and no setup; its mail is gone when it stops.
It loads no sample mail of its own unless started with ``--demo-data``, which we never pass.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 5.0


class ServerError(RuntimeError):
    """The demo server could not be prepared or started."""


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    cafile: Path
    username: str
    password: str
    log: Path


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the name the client checks), via openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ServerError("the demo needs the `openssl` command to make a TLS certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "30", "-subj", "/CN=127.0.0.1/O=tdl-inbox demo",
        "-addext", f"subjectAltName=IP:{HOST}", "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    result = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"openssl could not make a certificate:\n{result.stderr.strip()}")
    return cert, key


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _pymap_command() -> list[str]:
    script = Path(sys.executable).with_name("pymap")
    if script.exists():
        return [str(script)]
    found = shutil.which("pymap")
    if found is None:
        raise ServerError("pymap is not installed: run `make install` (it is a dev dependency)")
    return [found]


def _greeting(port: int) -> bool:
    """True once the server answers a connection with its ``* OK`` greeting."""
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_pymap(directory: Path, username: str, password: str) -> Iterator[ImapServer]:
    """Start pymap, wait for its greeting, yield how to reach it, and always stop it."""
    cert, key = make_certificate(directory)
    port = free_port()
    log = directory / "pymap.log"
    command = [
        *_pymap_command(),
        "--host", HOST, "--port", str(port), "--cert", str(cert), "--key", str(key),
        "dict", "--demo-user", username, "--demo-password", password,
    ]  # fmt: skip
    with log.open("wb") as log_file:
        # Its own session: a Ctrl-C in the terminal reaches only us, and we stop it in order.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _greeting(port):
            if process.poll() is not None:
                raise ServerError(f"pymap exited with code {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise ServerError(f"pymap did not answer within {START_TIMEOUT_SECONDS:g}s")
            time.sleep(0.05)
        yield ImapServer(HOST, port, cert, username, password, log)
    finally:
        _stop(process)
