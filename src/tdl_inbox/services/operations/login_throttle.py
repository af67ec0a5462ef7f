"""Failed logins, counted per user name and per address, to slow down password guessing."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta

LIMIT = 5
WINDOW = timedelta(minutes=1)


class LoginThrottle:
    """At most ``limit`` failures a ``window`` per name and per address, then refusals.

    In memory: a restart forgets, which costs a guesser a minute at most. Endpoints run in a
    thread pool, hence the lock.
    """

    def __init__(self, limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        self._limit, self._window = limit, window
        self._failures: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures[key]
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        return f"name:{name}", f"address:{address}"

    def blocked(self, name: str, address: str, now: datetime) -> bool:
        with self._lock:
            return any(
                len(self._recent(key, now)) >= self._limit for key in self._keys(name, address)
            )

    def failed(self, name: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in self._keys(name, address):
                self._recent(key, now).append(now)
            # Forget what is past the window, so guessed names cannot fill the memory.
            for key in [k for k in self._failures if not self._recent(k, now)]:
                del self._failures[key]
