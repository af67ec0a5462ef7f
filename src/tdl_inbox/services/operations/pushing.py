"""The daemon's push: the IDLE watcher and the poll runner on their threads, and what they
record for ``status`` (the mode, when IDLE last reported mail)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.services.intake.ports import Clock, PushMailboxFactory
from tdl_inbox.services.intake.push import IdleWatcher, PollRunner, PushMode, PushSettings
from tdl_inbox.services.operations.status import push_mode_changed, push_reported_mail

log = logging.getLogger(__name__)


@dataclass
class PushRecorder:
    """The watcher's events: wake the poll first (latency), then note it for ``status``."""

    sessions: sessionmaker[Session]
    polls: PollRunner
    clock: Clock
    reachable: Callable[[], None]
    database_ok: Callable[[], bool]
    """False once the database file is gone: nothing is written into a new empty one."""

    def mode(self, mode: PushMode) -> None:
        if mode == "idle":
            self.reachable()
        self._record(lambda session: push_mode_changed(session, mode, self.clock()))

    def new_mail(self) -> None:
        self.polls.request()
        self._record(lambda session: push_reported_mail(session, self.clock()))

    def check_folder(self) -> None:
        self.polls.request()

    def _record(self, change: Callable[[Session], None]) -> None:
        if not self.database_ok():
            return
        try:
            with self.sessions.begin() as session:
                change(session)
        except Exception as exc:  # status is informative; the poll reports a broken database
            log.warning("could not record the push state for status: %s", exc)


@dataclass
class Push:
    """Started by ``start_push``; ``join`` waits for its threads after ``stop`` is set."""

    threads: list[threading.Thread] = field(default_factory=list)

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", thread.name, timeout)


def start_push(
    enabled: bool,
    open_mailbox: PushMailboxFactory,
    settings: PushSettings,
    sessions: sessionmaker[Session],
    polls: PollRunner,
    clock: Clock,
    stop: threading.Event,
    reachable: Callable[[], None],
    successful_polls: Callable[[], int],
    database_ok: Callable[[], bool],
) -> Push:
    """Record the mode, and with ``enabled`` start idling on ``settings.folder``.

    ``reachable`` is called when IDLE is (re)established: the server answers again, so the
    poll that follows must not wait out a backoff (it checks for mail missed meanwhile).
    ``successful_polls`` counts the polls that worked (see ``IdleWatcher``); ``database_ok``
    says whether the database file is still the one opened at start."""
    recorder = PushRecorder(sessions, polls, clock, reachable, database_ok)
    recorder.mode("polling")
    push = Push()
    if not enabled:
        return push
    watcher = IdleWatcher(open_mailbox, settings, recorder, stop, successful_polls)
    for name, target in (
        ("tdl-inbox-push-poll", lambda: polls.serve(stop)),
        ("tdl-inbox-idle", watcher.run),
    ):
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        push.threads.append(thread)
    return push
