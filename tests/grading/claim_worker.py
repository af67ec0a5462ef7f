"""A grader process for the concurrency test: take the next item and grade it until the queue
is empty, print the ids. (``next`` hands a grader their own claim back until they grade it.)

Run as ``python claim_worker.py CONFIG GRADER BARRIER_DIR``: each worker announces itself with
``BARRIER_DIR/ready-GRADER`` and waits for ``BARRIER_DIR/go``, so their first claims race. Each
then holds its first claim until every worker holds one (``BARRIER_DIR/holding-GRADER``): on a
busy machine one process could otherwise empty the queue before the others were scheduled, and
the test would prove nothing about concurrent claims.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tdl_inbox.app import build_app
from tdl_inbox.config import load_config
from tdl_inbox.services.grading.grades import record_grade
from tdl_inbox.services.grading.queue import claim_next


def _wait_for(barrier: Path, pattern: str, count: int, seconds: float) -> None:
    give_up = time.monotonic() + seconds
    while len(list(barrier.glob(pattern))) < count and time.monotonic() < give_up:
        time.sleep(0.005)


def main() -> None:
    config, grader, barrier = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    app = build_app(load_config(config))
    (barrier / f"ready-{grader}").touch()
    _wait_for(barrier, "go", 1, 60)
    claimed = []
    while True:
        with app.sessions.begin() as session:
            item = claim_next(
                session, app.store, "latest_on_time", grader, datetime.now(UTC), timedelta(hours=1)
            )
        if item is None:
            break
        if item.id in claimed:
            sys.exit(f"{grader} was handed {item.id} again after grading it")
        claimed.append(item.id)
        if len(claimed) == 1:
            (barrier / f"holding-{grader}").touch()
            _wait_for(barrier, "holding-*", len(list(barrier.glob("ready-*"))), 60)
        with app.sessions.begin() as session:
            record_grade(
                session,
                app.ctx.assignments,
                "latest_on_time",
                item.id,
                1.0,
                0.0,
                None,
                grader,
                datetime.now(UTC),
            )
    app.close()
    print(json.dumps(claimed))


if __name__ == "__main__":
    main()
