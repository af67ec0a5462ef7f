"""Graders racing for work never get the same submission (SQLite file and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from support import wait_until

WORKER = Path(__file__).with_name("claim_worker.py")
GRADERS = 4


NAMES = [
    f"{first} {last}"
    for first in ("Ivan", "Petr", "Anna", "Oleg", "Nina")
    for last in (
        "Ivanov",
        "Petrov",
        "Sidorov",
        "Smirnov",
        "Kuznetsov",
        "Popov",
        "Volkov",
        "Sokolov",
    )
]


@pytest.mark.slow
def test_concurrent_next_never_hands_out_the_same_submission(grading_app, deliver, tmp_path):
    base = datetime(2019, 3, 1, tzinfo=UTC)
    expected = {
        deliver(f"Theory 1 - {name}", base + timedelta(minutes=n), f"s{n}@example.org")
        for n, name in enumerate(NAMES)
    }
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(grading_app.settings.source), f"g{n}", str(barrier)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for n in range(GRADERS)
    ]
    wait_until(lambda: len(list(barrier.glob("ready-*"))) == GRADERS, 60, "every worker ready")
    (barrier / "go").touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out))

    claimed = [sid for batch in results for sid in batch]
    assert len(claimed) == len(set(claimed)), "a submission was handed to two graders"
    assert set(claimed) == expected
    assert all(results), "every grader held a claim at the same time"
