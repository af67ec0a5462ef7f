"""Re-match a folder after its UIDVALIDITY changed, instead of importing it again.

Proton Mail Bridge issues a new UIDVALIDITY on every resync, so this is routine. Each message
now in the folder is matched to a recorded one by its provider id (``X-Pm-Internal-Id``,
Gmail's ``X-GM-MSGID``), else by Message-ID plus arrival time, else (a message with neither,
when a recorded one of the same size has neither too) by the SHA-256 of its bytes; matched rows
get their new location. The checkpoint moves to just below the first unmatched UID, so the
normal ingest path picks up the rest (where content duplicates are caught by Message-ID +
SHA-256).
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.db.models import FolderState, Message
from tdl_inbox.services.intake.context import IngestContext
from tdl_inbox.services.intake.ports import Clock, Mailbox, MessageMeta

log = logging.getLogger(__name__)


def _match(
    session: Session, folder: str, uidvalidity: int, meta: MessageMeta, taken: set[int]
) -> Message | None:
    candidates: list[Message] = []
    if meta.provider_id is not None:
        candidates = list(
            session.scalars(select(Message).where(Message.provider_id == meta.provider_id))
        )
    if not candidates and meta.message_id:
        candidates = list(
            session.scalars(
                select(Message).where(
                    Message.folder == folder,
                    Message.message_id == meta.message_id,
                    Message.arrived_at == meta.arrived_at,
                )
            )
        )
    # A row already moved to the new epoch belongs to another UID (a copy in the folder).
    return next((m for m in candidates if m.id not in taken and m.uidvalidity != uidvalidity), None)


def _anonymous_candidates(
    session: Session, folder: str, uidvalidity: int, meta: MessageMeta
) -> bool:
    """Whether a recorded message without any id could be ``meta`` (same folder and size)."""
    if meta.provider_id is not None or meta.message_id:
        return False
    found = session.scalar(
        select(Message.id)
        .where(
            Message.folder == folder,
            Message.uidvalidity != uidvalidity,
            Message.message_id.is_(None),
            Message.provider_id.is_(None),
            Message.size == meta.size,
        )
        .limit(1)
    )
    return found is not None


def _match_by_content(
    mailbox: Mailbox,
    session: Session,
    ctx: IngestContext,
    uidvalidity: int,
    metas: list[MessageMeta],
    taken: set[int],
) -> dict[int, Message]:
    """Match messages that carry no id by the SHA-256 of the bytes ingest stored for them
    (the whole message, or only its header when it was over the size limit). Fetched one
    at a time: this is rare, and the messages may be large."""
    matches: dict[int, Message] = {}
    for meta in metas:
        if meta.size > ctx.max_message_bytes:
            raw = mailbox.fetch_header(meta.uid)
        else:
            raw = next((m.raw for m in mailbox.fetch_raw([meta.uid])), b"")
        digest = hashlib.sha256(raw).hexdigest()
        rows = session.scalars(
            select(Message).where(
                Message.folder == ctx.folder,
                Message.uidvalidity != uidvalidity,
                Message.raw_sha256 == digest,
                Message.message_id.is_(None),
                Message.provider_id.is_(None),
            )
        )
        row = next((m for m in rows if m.id not in taken), None)
        if row is not None:
            taken.add(row.id)
            matches[meta.uid] = row
    return matches


def remap_folder(
    mailbox: Mailbox,
    sessions: sessionmaker[Session],
    ctx: IngestContext,
    uidvalidity: int,
    clock: Clock,
) -> tuple[int, int]:
    """Re-match every message in the folder; returns (matched count, new checkpoint UID)."""
    metas = mailbox.fetch_meta(mailbox.uids_after(0))
    matched = 0
    first_unmatched: int | None = None
    with sessions.begin() as session:
        taken: set[int] = set()
        rows: dict[int, Message | None] = {}
        anonymous: list[MessageMeta] = []
        for meta in metas:
            already = session.scalar(
                select(Message).where(
                    Message.folder == ctx.folder,
                    Message.uidvalidity == uidvalidity,
                    Message.uid == meta.uid,
                )
            )
            row = already or _match(session, ctx.folder, uidvalidity, meta, taken)
            if row is not None:
                taken.add(row.id)
            elif _anonymous_candidates(session, ctx.folder, uidvalidity, meta):
                anonymous.append(meta)
            rows[meta.uid] = row
        if anonymous:
            by_content = _match_by_content(mailbox, session, ctx, uidvalidity, anonymous, taken)
            rows.update(by_content)
        for meta in metas:
            row = rows[meta.uid]
            if row is None:
                if first_unmatched is None:
                    first_unmatched = meta.uid
                continue
            row.folder, row.uidvalidity, row.uid = ctx.folder, uidvalidity, meta.uid
            matched += 1
        if first_unmatched is not None:
            last_uid = first_unmatched - 1
        else:
            last_uid = metas[-1].uid if metas else 0
        state = session.get(FolderState, ctx.folder)
        assert state is not None  # remap only runs for a folder seen before
        state.uidvalidity = uidvalidity
        state.last_uid = last_uid
        state.uidvalidity_changes += 1
        state.updated_at = clock()
    log.warning(
        "folder %s: %d recorded messages re-matched after UIDVALIDITY change", ctx.folder, matched
    )
    return matched, last_uid
