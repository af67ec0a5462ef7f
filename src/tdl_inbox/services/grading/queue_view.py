"""The queue as the web workspace shows it: one page of the work list, how many items each
assignment has left, and each grader's progress.

One page is read with LIMIT and OFFSET (``queue``'s ``window``) and the counts are one
aggregate in the database, so a page costs about the same in a course of any size; the
items, their order and the filters are ``work_list``'s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.services.grading.progress import GraderProgress, grader_progress
from tdl_inbox.services.grading.queue import QueueItem, queue, queue_counts
from tdl_inbox.services.grading.versions import Policy
from tdl_inbox.services.grading.work_list import open_regrades


@dataclass(frozen=True)
class QueueFilter:
    """What ``work_list`` takes: one assignment; late versions too; only ``grader``'s live
    claims (``mine``); only claimed (True) or unclaimed (False) items."""

    assignment: str | None = None
    include_late: bool = False
    grader: str | None = None
    mine: bool = False
    claimed: bool | None = None


@dataclass(frozen=True)
class QueueView:
    items: list[QueueItem]
    """The page asked for, in ``work_list``'s order."""
    total: int
    """Items in the whole work list under the filter."""
    by_assignment: dict[str, int]
    """Items per assignment under the filter without its assignment (those with none absent)."""
    progress: list[GraderProgress]


def queue_view(
    session: Session,
    store: BlobStore,
    policy: Policy,
    now: datetime,
    zone: ZoneInfo,
    wanted: QueueFilter,
    offset: int,
    limit: int,
) -> QueueView:
    """Items ``offset`` to ``offset + limit`` of ``work_list``'s items under ``wanted`` (the
    queue, then the open regrade requests), how many there are, per assignment too, and the
    graders' progress."""
    holder = wanted.grader if wanted.mine else None
    counts = Counter(
        queue_counts(session, policy, now, wanted.include_late, holder, wanted.claimed)
    )
    regrades = open_regrades(session, store, None, wanted.grader, wanted.mine, wanted.claimed)
    by_assignment = counts + Counter(item.assignment for item in regrades)
    key = wanted.assignment
    queued = sum(counts.values()) if key is None else counts[key]
    regrades = [item for item in regrades if key is None or item.assignment == key]
    items: list[QueueItem] = []
    if offset < queued:
        window = (offset, limit)
        items = queue(
            session, store, policy, now, key, wanted.include_late, holder, wanted.claimed, window
        )
    start = max(0, offset - queued)
    items += regrades[start : start + limit - len(items)]
    return QueueView(
        items,
        queued + len(regrades),
        dict(sorted(by_assignment.items())),
        grader_progress(session, now, zone),
    )
