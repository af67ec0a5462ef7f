"""One poll cycle: record what is new, note that the poll worked, send what waits.

The daemon runs this on its interval (holding the daemon lock for its whole life); ``poll``
runs it once, holding the lock for the cycle so that it never races a running daemon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.lock import daemon_lock
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.ingest import PollReport, poll_once
from tdl_inbox.services.intake.ports import Clock, MailboxFactory
from tdl_inbox.services.mail.outbox import FlushReport
from tdl_inbox.services.operations.status import AlertPolicy, poll_succeeded


@dataclass(frozen=True)
class PollCycle:
    engine: Engine
    open_mailbox: MailboxFactory
    sessions: sessionmaker[Session]
    store: BlobStore
    ctx: IngestContext
    clock: Clock
    alerts: AlertPolicy
    send_mail: Callable[[], FlushReport]


def poll_and_send(
    cycle: PollCycle, should_stop: Callable[[], bool] = lambda: False
) -> tuple[PollReport, FlushReport]:
    report = poll_once(
        cycle.open_mailbox, cycle.sessions, cycle.store, cycle.ctx, cycle.clock, should_stop
    )
    with cycle.sessions.begin() as session:
        poll_succeeded(session, cycle.alerts, cycle.clock(), report.uidvalidity_changed)
    return report, cycle.send_mail()


def poll_alone(cycle: PollCycle) -> tuple[PollReport, FlushReport]:
    """One cycle under the daemon lock: refused while a daemon runs."""
    with daemon_lock(cycle.engine):
        return poll_and_send(cycle)
