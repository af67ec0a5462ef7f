"""What a grader sees as their work: the queue, then the open regrade requests; and its JSON.

One home for both entry points: ``tdl-inbox queue`` and the web workspace's queue page and
``/api/queue`` list the same items and write the same JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.domain.ids import submission_ref, with_ref
from tdl_inbox.services.grading.queue import QueueItem, queue
from tdl_inbox.services.grading.regrades import queue_items as regrade_items
from tdl_inbox.services.grading.versions import Policy
from tdl_inbox.services.reporting.formatting import to_jsonable


def work_list(
    session: Session,
    store: BlobStore,
    policy: Policy,
    now: datetime,
    assignment: str | None = None,
    include_late: bool = False,
    grader: str | None = None,
    mine: bool = False,
    claimed: bool | None = None,
) -> list[QueueItem]:
    """The queue (late versions only with ``include_late``); with ``mine``, only ``grader``'s
    live claims; otherwise followed by the open regrade requests (routed to ``grader`` if
    given), which nobody claims; with ``claimed``, only the items with (True) or without
    (False) a live claim."""
    items = queue(
        session,
        store,
        policy,
        now,
        assignment,
        include_late,
        claimed_by=grader if mine else None,
        claimed=claimed,
    )
    return items + open_regrades(session, store, assignment, grader, mine, claimed)


def open_regrades(
    session: Session,
    store: BlobStore,
    assignment: str | None,
    grader: str | None,
    mine: bool,
    claimed: bool | None,
) -> list[QueueItem]:
    """The regrade requests the work list shows after the queue (routed to ``grader`` if
    given): none when only claimed items are asked for, ``mine`` too, as nobody claims one."""
    if mine or claimed is True:
        return []
    return regrade_items(session, store, assignment, routed_to=grader)


def item_json(item: QueueItem, zone: ZoneInfo) -> dict[str, Any]:
    """One queue item as ``queue --json`` writes it (times in course time)."""
    return with_ref(to_jsonable(item, zone), submission_ref(item.id))
