"""Grader and admin queries on a big database, timed at the service layer (what the CLI
commands call, minus process start-up and output formatting)."""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Row, median
from bench.dbfill import migrated_engine, populate
from bench.mail import assignment_keys, deadline_utc, published

TARGET_MS = 100.0


def _assignments() -> dict[str, Any]:
    from tdl_inbox.domain.assignments import Assignment, Kind

    out = {}
    for key in assignment_keys():
        kind, number = key.split("-")
        out[key] = Assignment(Kind(kind), int(number), published(key), 10.0, deadline_utc(key))
    return out


def _report_late() -> Callable[[Any, Any, Any], object] | None:
    """The ``report late`` service, if the code base has one yet."""
    for name in ("tdl_inbox.services.reporting.reports", "tdl_inbox.services.report"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for attr in ("late_report", "report_late", "late"):
            fn = getattr(module, attr, None)
            if callable(fn):
                return fn  # type: ignore[no-any-return]
    return None


def _queries(store: Any, assignments: dict[str, Any]) -> dict[str, Callable[[Any], object] | str]:
    """name -> callable(session), or the reason it cannot be measured."""
    from tdl_inbox.domain.grading import Coefficients
    from tdl_inbox.services.grading.listing import submission_rows

    one = assignment_keys()[5]
    now = datetime(2019, 6, 1, tzinfo=UTC)
    found: dict[str, Callable[[Any], object] | str] = {
        f"submissions --assignment {one}": lambda s: submission_rows(
            s, store, assignments, assignment=one, policy="latest_on_time"
        ),
    }
    try:
        from tdl_inbox.services.grading.queue import queue

        found["queue"] = lambda s: queue(s, store, "latest_on_time", now)
        found[f"queue --assignment {one}"] = lambda s: queue(
            s, store, "latest_on_time", now, assignment=one
        )
    except ImportError:
        found["queue"] = "not available yet (no tdl_inbox.services.queue.queue)"
    late = _report_late()
    if late is not None:
        found["report late"] = lambda s: late(s, store, assignments)
    else:
        found["report late"] = "not available yet (no tdl_inbox.services.reporting.reports)"
    try:
        from tdl_inbox.services.grading.gradebook import gradebook

        k = Coefficients(8, 4, 10)
        found["grades"] = lambda s: gradebook(s, assignments, "latest_on_time", k)
    except ImportError:
        found["grades"] = "not available yet (no tdl_inbox.services.gradebook.gradebook)"
    return found


def run(
    work: Path,
    submissions: int,
    students: int,
    runs: int,
    log: Callable[[str], None],
    profile_dir: Path | None = None,
) -> list[Row]:
    from tdl_inbox.adapters.db.engine import make_sessions
    from tdl_inbox.adapters.store import BlobStore

    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    db = work / "queries.db"
    for stale in (db, db.with_name("queries.db-wal"), db.with_name("queries.db-shm")):
        stale.unlink(missing_ok=True)
    engine = migrated_engine(db)
    counts = populate(engine, submissions, students)
    log(f"queries: database of {counts} built in {time.perf_counter() - start:.1f} s")
    sessions = make_sessions(engine)
    store = BlobStore(work / "store")
    assignments = _assignments()
    section = f"queries, {counts['submissions']:,} submissions / {students:,} students"
    rows = []
    for name, query in _queries(store, assignments).items():
        if isinstance(query, str):
            rows.append(Row(section, name, None, "ms", query, f"< {TARGET_MS:g} ms", None))
            continue
        samples = []
        size = 0
        result: object = None
        for attempt in range(runs + 1):  # the first run warms caches and is not counted
            # Drop the previous run's rows before timing the next: kept alive, tens of
            # thousands of them made every collection in the next run walk them too (a cost
            # no single CLI call pays), and the runs were no longer alike.
            result = None
            gc.collect()
            begin = time.perf_counter()
            with sessions.begin() as session:
                result = query(session)
            elapsed = (time.perf_counter() - begin) * 1000
            size = len(result) if isinstance(result, list) else 0
            if attempt:
                samples.append(elapsed)
        value = median(samples)
        rows.append(
            Row(
                section,
                name,
                round(value, 1),
                "ms",
                f"{size:,} rows",
                f"< {TARGET_MS:g} ms",
                value < TARGET_MS,
                samples=[round(s, 1) for s in samples],
                extra=counts,
            )
        )
        log(f"  {name}: {value:.1f} ms ({size} rows)")
    engine.dispose()
    return rows
