"""How far each grader has got: graded today (course time), graded in total, claimed now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Claim, Grade


@dataclass(frozen=True)
class GraderProgress:
    grader: str
    graded_today: int
    """Submissions graded since midnight in course time (a regrade of one counts once)."""
    graded_total: int
    claimed_now: int
    """Live claims."""


def day_start(now: datetime, zone: tzinfo) -> datetime:
    """Midnight of ``now``'s day in ``zone``, in UTC."""
    return datetime.combine(now.astimezone(zone).date(), time(), zone).astimezone(UTC)


def grader_progress(session: Session, now: datetime, zone: tzinfo) -> list[GraderProgress]:
    """Every grader who has graded or holds a live claim, by name."""
    today = day_start(now, zone)
    graded = session.execute(
        select(
            Grade.grader,
            func.count(distinct(case((Grade.graded_at >= today, Grade.submission_id)))),
            func.count(distinct(Grade.submission_id)),
        ).group_by(Grade.grader)
    )
    claimed = session.execute(
        select(Claim.grader, func.count()).where(Claim.expires_at > now).group_by(Claim.grader)
    )
    counts = {grader: (today_count, total, 0) for grader, today_count, total in graded}
    for grader, held in claimed:
        today_count, total, _ = counts.get(grader, (0, 0, 0))
        counts[grader] = (today_count, total, held)
    return [GraderProgress(name, *counts[name]) for name in sorted(counts)]
