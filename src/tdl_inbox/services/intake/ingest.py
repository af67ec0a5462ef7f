"""``poll_once``: one ingest cycle. The scheduler, the ``poll`` command and the tests call it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.db.models import FolderState, Message, Rejection
from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.errors import TdlInboxError
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.ports import Clock, Mailbox, MailboxFactory, MessageMeta
from tdl_inbox.services.intake.recording import (
    Incoming,
    Location,
    Outcome,
    advance_checkpoint,
    record,
    record_batch,
)
from tdl_inbox.services.intake.remap import remap_folder

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    new_submissions: int = 0
    rejected: int = 0
    duplicates: int = 0
    already_recorded: int = 0
    before_since: int = 0
    remapped: int = 0
    uidvalidity_changed: bool = False
    interrupted: bool = False
    outcomes: list[tuple[int, Outcome]] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return self.new_submissions + self.rejected

    def count(self, uid: int, outcome: Outcome) -> None:
        self.outcomes.append((uid, outcome))
        if outcome is Outcome.SUBMISSION:
            self.new_submissions += 1
        elif outcome is Outcome.REJECTED:
            self.rejected += 1
        elif outcome is Outcome.DUPLICATE:
            self.duplicates += 1
        else:
            self.already_recorded += 1


def _batches(metas: Sequence[MessageMeta], ctx: IngestContext) -> Iterator[list[MessageMeta]]:
    """Group messages so one FETCH stays within the configured count and byte bounds."""
    batch: list[MessageMeta] = []
    size = 0
    for meta in metas:
        if batch and (len(batch) >= ctx.batch_messages or size + meta.size > ctx.batch_bytes):
            yield batch
            batch, size = [], 0
        batch.append(meta)
        size += meta.size
    if batch:
        yield batch


def poll_once(
    open_mailbox: MailboxFactory,
    sessions: sessionmaker[Session],
    store: BlobStore,
    ctx: IngestContext,
    clock: Clock,
    should_stop: Callable[[], bool] = lambda: False,
) -> PollReport:
    """Fetch what is new in the folder and record each message exactly once."""
    report = PollReport()
    store.ensure()
    # Callers hold the daemon lock (or are tests): no other process is writing to the store.
    discarded = store.discard_partial_writes()
    if discarded:
        log.info("removed %d unfinished temporary files from the store", discarded)
    with open_mailbox() as mailbox:
        status = mailbox.select(ctx.folder)
        with sessions.begin() as session:
            state = session.get(FolderState, ctx.folder)
            known = None if state is None else (state.uidvalidity, state.last_uid)
        if known is not None and known[0] != status.uidvalidity:
            report.uidvalidity_changed = True
            log.warning(
                "folder %s: UIDVALIDITY changed from %s to %s; matching messages by identity",
                ctx.folder,
                known[0],
                status.uidvalidity,
            )
            report.remapped, last_uid = remap_folder(
                mailbox, sessions, ctx, status.uidvalidity, clock
            )
        else:
            last_uid = 0 if known is None else known[1]
        _ingest_new(
            mailbox, sessions, store, ctx, clock, status.uidvalidity, last_uid, report, should_stop
        )
    return report


def _ingest_new(
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    store: BlobStore,
    ctx: IngestContext,
    clock: Clock,
    uidvalidity: int,
    last_uid: int,
    report: PollReport,
    should_stop: Callable[[], bool],
) -> None:
    uids = mailbox.uids_after(last_uid)
    if not uids:
        return
    metas = mailbox.fetch_meta(uids)
    wanted: list[MessageMeta] = []
    for meta in metas:
        if ctx.since is not None and meta.arrived_at < ctx.since:
            report.before_since += 1
            continue
        wanted.append(meta)
    batches = list(_batches(wanted, ctx))
    # The next batch is fetched while this one is recorded: reading and decrypting the
    # socket releases the GIL. One thread at a time uses the connection: a fetch is always
    # finished (``result()``, or the executor's shutdown) before the next starts or the
    # mailbox closes.
    with ThreadPoolExecutor(1, thread_name_prefix="imap-fetch") as fetcher:
        upcoming = (
            fetcher.submit(_fetch_batch, mailbox, ctx, uidvalidity, batches[0]) if batches else None
        )
        for index in range(len(batches)):
            if should_stop():
                report.interrupted = True
                return
            assert upcoming is not None
            incoming = upcoming.result()
            if index + 1 < len(batches):
                upcoming = fetcher.submit(
                    _fetch_batch, mailbox, ctx, uidvalidity, batches[index + 1]
                )
            outcomes = record_together(sessions, store, ctx, incoming, clock())
            for item, outcome in zip(incoming, outcomes, strict=True):
                report.count(item.location.uid, outcome)
                log.info(
                    "folder=%s uid=%s outcome=%s", ctx.folder, item.location.uid, outcome.value
                )
            del incoming
    if metas:
        # Mail skipped as older than `since` (or expunged mid-poll) still moves the checkpoint,
        # so it is not listed again on the next poll.
        with sessions.begin() as session:
            advance_checkpoint(session, Location(ctx.folder, uidvalidity, metas[-1].uid), clock())


def _fetch_batch(
    mailbox: Mailbox, ctx: IngestContext, uidvalidity: int, batch: list[MessageMeta]
) -> list[Incoming]:
    """The batch's messages as fetched (oversized ones by their header alone), UID order."""
    small = [m.uid for m in batch if m.size <= ctx.max_message_bytes]
    fetched = {raw.uid: raw for raw in mailbox.fetch_raw(small)} if small else {}
    incoming: list[Incoming] = []
    for meta in batch:
        location = Location(ctx.folder, uidvalidity, meta.uid)
        raw_message = fetched.pop(meta.uid, None)
        if meta.size > ctx.max_message_bytes:
            header = mailbox.fetch_header(meta.uid)
            incoming.append(
                Incoming(
                    location, header, meta.size, meta.arrived_at, meta.provider_id, oversized=True
                )
            )
        elif raw_message is not None:
            incoming.append(
                Incoming(
                    location, raw_message.raw, meta.size, raw_message.arrived_at, meta.provider_id
                )
            )
        else:
            log.info("folder %s uid %s vanished before it could be fetched", ctx.folder, meta.uid)
    return incoming


# Failures that say nothing about the message being recorded: the poll stops and is retried.
_INFRASTRUCTURE_ERRORS = (
    TdlInboxError,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    MemoryError,
)


def record_together(
    sessions: sessionmaker[Session],
    store: BlobStore,
    ctx: IngestContext,
    batch: Sequence[Incoming],
    now: datetime,
) -> list[Outcome]:
    """Record a fetched batch in one transaction (one commit, one flush of the store).

    If a message of the batch cannot be recorded for a reason of its own, nothing of the batch
    is kept and its messages are recorded one by one, so only that message is affected.
    """
    try:
        with sessions.begin() as session:
            return record_batch(session, store, ctx, batch, now)
    except BaseException as exc:
        store.abandon()  # what the failed transaction wrote never gets a name
        if isinstance(exc, _INFRASTRUCTURE_ERRORS) or not isinstance(exc, Exception):
            raise
        if len(batch) > 1:
            log.warning(
                "a batch of %d messages could not be recorded together (%s); "
                "recording them one by one",
                len(batch),
                type(exc).__name__,
            )
    return [record_one(sessions, store, ctx, incoming, now) for incoming in batch]


def record_one(
    sessions: sessionmaker[Session],
    store: BlobStore,
    ctx: IngestContext,
    incoming: Incoming,
    now: datetime,
) -> Outcome:
    """Record one message in its own transaction; never let one message block the folder.

    A message that cannot be recorded for a reason of its own (a value the database refuses,
    a parser or recording bug) is recorded as rejected with its raw bytes kept and the error
    logged, instead of failing every later poll on the same UID. Storage and database outages
    still stop the poll: the message is retried.
    """
    try:
        with sessions.begin() as session:
            return record(session, store, ctx, incoming, now)
    except _INFRASTRUCTURE_ERRORS:
        raise
    except Exception as exc:
        store.abandon()
        log.exception(
            "folder %s uid %s could not be recorded; keeping it as rejected",
            incoming.location.folder,
            incoming.location.uid,
        )
        failure = exc
    digest = store.put(incoming.raw)
    reason = (
        f"could not be recorded ({type(failure).__name__}); the raw message is kept, "
        "see the log of the poll"
    )
    with sessions.begin() as session:
        message = Message(
            folder=incoming.location.folder,
            uidvalidity=incoming.location.uidvalidity,
            uid=incoming.location.uid,
            raw_sha256=digest,
            size=incoming.size,
            arrived_at=incoming.arrived_at,
            recorded_at=now,
        )
        message.rejection = Rejection(reason=reason)
        session.add(message)
        advance_checkpoint(session, incoming.location, now)
    return Outcome.REJECTED
