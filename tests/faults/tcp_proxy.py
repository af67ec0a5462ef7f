"""A loopback TCP proxy that misbehaves on demand, between tdl-inbox and the real Dovecot.

A fake stands in here because no real server misbehaves on cue: the proxy forwards bytes to
the real Dovecot and, per connection, can

* ``black_hole``: accept the connection and never send a byte (nor forward one);
* ``stall_after=N``: forward N bytes from the server, then go silent, connection left open;
* ``reset_after=N``: forward N bytes from the server, then reset the connection (RST);
* ``close_after=N``: forward N bytes from the server, then close the connection (FIN);
* ``replace=[(old, new)]``: rewrite server bytes, e.g. strip STARTTLS from the capabilities
  (a downgrade attack: only meaningful before TLS starts).

When the upstream refuses (the server is stopped), the client's connection is closed at once.
``upstream`` can be changed while running (the server restarted on another port). Everything
the client sent is kept in ``client_bytes`` (to prove what went over the wire).

    with TcpProxy(("127.0.0.1", dovecot.port)) as proxy:
        proxy.reset_after = 300_000
        ...  # connect to proxy.port
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType

LOOPBACK = "127.0.0.1"


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.black_hole = False
        self.stall_after: int | None = None
        self.reset_after: int | None = None
        self.close_after: int | None = None
        self.replace: list[tuple[bytes, bytes]] = []
        self.client_bytes = bytearray()
        self.connections = 0
        self.refused = 0
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> TcpProxy:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._acceptor.join(timeout=5)
        self.drop_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def drop_all(self) -> None:
        """Close every proxied connection (both ends)."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def forward_normally(self) -> None:
        self.black_hole = False
        self.stall_after = self.reset_after = self.close_after = None
        self.replace = []

    # ------------------------------------------------------------------ internals
    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        try:
            if self.black_hole:
                self._wait_until_closed(client)
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                self.refused += 1
                return
            upstream.settimeout(None)
            self._track(upstream)
            self._pump(client, upstream)
        finally:
            if upstream is not None:
                self._forget(upstream)
            self._forget(client)

    def _wait_until_closed(self, client: socket.socket) -> None:
        """Read and discard what the client sends; never answer."""
        while not self._stopping.is_set():
            ready, _, _ = select.select([client], [], [], 0.1)
            if ready:
                try:
                    data = client.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                self.client_bytes += data

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        sent_down = 0
        stalled = False
        while not self._stopping.is_set():
            watch = [client] if stalled else [client, upstream]
            try:
                ready, _, _ = select.select(watch, [], [], 0.1)
            except (OSError, ValueError):
                return
            for sock in ready:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if sock is client:
                    self.client_bytes += data
                    upstream.sendall(data)
                    continue
                for old, new in self.replace:
                    data = data.replace(old, new)
                limits = (self.reset_after, self.close_after, self.stall_after)
                limit = next((n for n in limits if n is not None), None)
                if limit is not None and sent_down + len(data) >= limit:
                    data = data[: max(0, limit - sent_down)]
                    if data:
                        client.sendall(data)
                    sent_down = limit
                    if self.reset_after is not None:
                        # SO_LINGER 0: close() sends RST instead of FIN.
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        return
                    if self.close_after is not None:
                        return
                    stalled = True
                    continue
                client.sendall(data)
                sent_down += len(data)
