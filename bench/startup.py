"""Whole-process times of CLI commands on the query database, beside the import floor.

Each command runs as its own process, as a grader types it: interpreter start-up, imports,
config, database, output. The floor is ``python -c "import click, pydantic, sqlalchemy.orm"``,
what any command that reads the config and the database must import; the targets are relative
to it (``queue --json``) or absolute (``--help``), and they are reported, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Row, median
from bench.dbfill import migrated_engine, populate
from bench.mail import assignments_toml

FLOOR = "import click, pydantic, sqlalchemy.orm"
HELP_TARGET_MS = 150.0
QUEUE_TARGET_RATIO = 1.3


def _cli() -> list[str]:
    """The installed ``tdl-inbox`` script beside this interpreter (what users run)."""
    script = Path(sys.executable).with_name("tdl-inbox")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tdl_inbox"]


def _config(directory: Path, db: Path) -> Path:
    """A course's config: receipts on (an [smtp] section), no server needed for these commands."""
    path = directory / "tdl-inbox.toml"
    path.write_text(
        f"""
[mailbox]
host = "127.0.0.1"
username = "course"
password_env = "TDL_INBOX_BENCH_UNUSED_PASSWORD"

[smtp]
host = "127.0.0.1"
from = "Benchmark course <course@example.org>"

[database]
url = "sqlite:///{db}"

[storage]
dir = "{directory / "store"}"
{assignments_toml()}""",
        encoding="utf-8",
    )
    return path


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    begin = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - begin) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed, done.stdout


def _timed(argv: list[str], cwd: Path, env: dict[str, str], runs: int) -> list[float]:
    _run(argv, cwd, env)  # the first run fills the page cache and __pycache__; not counted
    return [_run(argv, cwd, env)[0] for _ in range(runs)]


def run(
    work: Path, submissions: int, students: int, runs: int, log: Callable[[str], None]
) -> list[Row]:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "startup.db"
    for stale in (db, db.with_name("startup.db-wal"), db.with_name("startup.db-shm")):
        stale.unlink(missing_ok=True)
    start = time.perf_counter()
    engine = migrated_engine(db)
    counts = populate(engine, submissions, students)
    engine.dispose()
    log(f"start-up: database of {counts} built in {time.perf_counter() - start:.1f} s")
    env = {k: v for k, v in os.environ.items() if k != "TDL_INBOX_CONFIG"}
    env["COLUMNS"] = "160"
    cli = [*_cli(), "--config", str(_config(work, db))]
    _, queue_json = _run([*cli, "queue", "--json"], work, env)
    first = json.loads(queue_json)[0]["id"]
    commands = {
        "--help": [*cli, "--help"],
        "parse-subject": [*cli, "parse-subject", "Re: Теория №2 — Иван Иванов"],
        "queue --json": [*cli, "queue", "--json"],
        "queue": [*cli, "queue"],
        f"show {first}": [*cli, "show", str(first)],
        "next": [*cli, "next", "--grader", "bench"],
        f"grade {first}": [*cli, "grade", str(first), "--points", "7", "--grader", "bench"],
    }
    section = f"start-up (whole process), {counts['submissions']:,} submissions"
    floor_samples = _timed([sys.executable, "-c", FLOOR], work, env, runs)
    floor = median(floor_samples)
    log(f"  floor ({FLOOR}): {floor:.0f} ms")
    rows = [
        Row(
            section,
            f'floor: python -c "{FLOOR}"',
            round(floor, 1),
            "ms",
            "what a command that reads config and database must import",
            samples=[round(s, 1) for s in floor_samples],
        )
    ]
    for name, argv in commands.items():
        samples = _timed(argv, work, env, runs)
        value = median(samples)
        ratio = value / floor
        target, met = "", None
        if name == "--help":
            target, met = f"< {HELP_TARGET_MS:g} ms", value < HELP_TARGET_MS
        elif name == "queue --json":
            target, met = f"< {QUEUE_TARGET_RATIO:g}× floor", ratio < QUEUE_TARGET_RATIO
        rows.append(
            Row(
                section,
                f"tdl-inbox {name}",
                round(value, 1),
                "ms",
                f"{ratio:.2f}× floor",
                target,
                met,
                samples=[round(s, 1) for s in samples],
                extra=counts,
            )
        )
        log(f"  {name}: {value:.0f} ms ({ratio:.2f}× floor)")
    return rows
