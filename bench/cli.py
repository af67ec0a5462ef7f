"""``python -m bench``: run the benchmarks, print a table, write JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import Row

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("ingest", "poll", "push", "queries", "web", "startup", "memory")


def _count(text: str) -> int:
    return int(
        float(text.replace("_", "").replace(",", "").lower().replace("k", "e3").replace("m", "e6"))
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="tdl-inbox benchmarks against a private Dovecot on 127.0.0.1.",
    )
    ap.add_argument(
        "--quick", action="store_true", help="smoke run (< 1 minute): small sets, fewer runs"
    )
    ap.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {', '.join(SECTIONS)}",
    )
    ap.add_argument("--small-count", type=_count, help="backlog of small messages (10000)")
    ap.add_argument("--small-size", type=_count, help="bytes per small message (50000)")
    ap.add_argument("--large-count", type=_count, help="backlog of large messages (1000; 0 skips)")
    ap.add_argument("--large-size", type=_count, help="bytes per large message (2000000)")
    ap.add_argument("--repeat", type=int, help="ingest runs per set, median taken (3)")
    ap.add_argument(
        "--floor-batch",
        type=int,
        default=100,
        help="messages per FETCH for the floor (100; also capped at 20 MB)",
    )
    ap.add_argument("--poll-sizes", help="mailbox sizes for the poll (1000,10000,100000)")
    ap.add_argument("--poll-runs", type=int, help="polls per size and kind (15)")
    ap.add_argument(
        "--poll-message-size",
        type=_count,
        default=4000,
        help="bytes per message in the poll mailbox (4000)",
    )
    ap.add_argument("--db-submissions", type=_count, help="submissions in the query DB (100000)")
    ap.add_argument("--db-students", type=_count, help="students in the query DB (2000)")
    ap.add_argument("--query-runs", type=int, help="runs per query, median taken (7)")
    ap.add_argument("--web-runs", type=int, help="requests per web route, median taken (20)")
    ap.add_argument(
        "--startup-runs", type=int, help="runs per command for start-up, median taken (7)"
    )
    ap.add_argument("--memory-size", type=_count, help="bytes of the big message (25000000)")
    ap.add_argument("--memory-runs", type=int, help="memory runs, median taken (3)")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    ap.add_argument(
        "--workdir", type=Path, help="where servers, mailboxes and databases live (a new temp dir)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    a = ap.parse_args(argv)
    full = {
        "small_count": 10_000,
        "small_size": 50_000,
        "large_count": 1_000,
        "large_size": 2_000_000,
        "repeat": 3,
        "poll_sizes": "1000,10000,100000",
        "poll_runs": 15,
        "db_submissions": 100_000,
        "db_students": 2_000,
        "query_runs": 7,
        "web_runs": 20,
        "startup_runs": 7,
        "memory_size": 25_000_000,
        "memory_runs": 3,
    }
    quick = {
        "small_count": 500,
        "small_size": 50_000,
        "large_count": 50,
        "large_size": 2_000_000,
        "repeat": 2,
        "poll_sizes": "1000,5000",
        "poll_runs": 7,
        "db_submissions": 10_000,
        "db_students": 500,
        "query_runs": 3,
        "web_runs": 5,
        "startup_runs": 7,
        "memory_size": 25_000_000,
        "memory_runs": 1,
    }
    for key, value in (quick if a.quick else full).items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    a.poll_sizes = [_count(x) for x in a.poll_sizes.split(",") if x.strip()]
    a.only = [x.strip() for x in a.only.split(",") if x.strip()]
    unknown = set(a.only) - set(SECTIONS)
    if unknown:
        ap.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}")
    return a


def _machine() -> dict[str, Any]:
    from bench.ingest import mbsync_version

    dovecot = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")
    version = None
    if dovecot:
        out = subprocess.run([dovecot, "--version"], capture_output=True, text=True, check=False)
        version = out.stdout.strip() or None
    import imapclient
    import sqlalchemy

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "dovecot": version,
        "mbsync": mbsync_version(),
        "imapclient": imapclient.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "tdl_inbox_source": str(Path(__import__("tdl_inbox").__file__).parent),
    }


def _table(rows: list[Row], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("measurement", overflow="fold")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("detail / reference", overflow="fold")
    table.add_column("target")
    table.add_column("met", justify="center")
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            table.add_section()
            table.add_row(f"[bold]{section}[/bold]", "", "", "", "", "")
        value = (
            "—"
            if row.value is None
            else f"{row.value:,.4g}"
            if row.value < 10
            else f"{row.value:,.1f}"
            if row.value < 1000
            else f"{row.value:,.0f}"
        )
        met = "" if row.met is None else "[green]yes[/green]" if row.met else "[red]NO[/red]"
        table.add_row("  " + row.name, value, row.unit, row.detail, row.target, met)
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    started = datetime.now(UTC)
    t0 = time.perf_counter()

    def log(text: str) -> None:
        console.print(f"[dim]{time.perf_counter() - t0:7.1f}s[/dim] {text}", highlight=False)

    from bench.servers import Dovecot

    need_server = bool(set(args.only) & {"ingest", "poll", "push", "memory"})
    reason = Dovecot.available() if need_server else None
    if reason is not None:
        console.print(f"[red]cannot run the IMAP benchmarks:[/red] {reason}")
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tdl-bench-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    server = None
    try:
        if need_server:
            server = Dovecot(work / "dovecot")
            server.start()
            log(f"dovecot on {server.host}:{server.port} (STARTTLS), work dir {work}")
        if "ingest" in args.only:
            from bench.ingest import IngestSet, mbsync_binary, run_set
            from bench.mail import MessageFactory

            if mbsync_binary() is None:
                log("mbsync is not installed (Debian: isync): that reference is skipped")
            factory = MessageFactory()
            sets = [IngestSet("small", args.small_count, args.small_size)]
            if args.large_count:
                sets.append(IngestSet("large", args.large_count, args.large_size))
            for spec in sets:
                assert server is not None
                rows += run_set(
                    server, work / "ingest", spec, args.repeat, args.floor_batch, factory, log
                )
        if "poll" in args.only:
            from bench import poll

            assert server is not None
            rows += poll.run(
                server, work / "poll", args.poll_sizes, args.poll_runs, args.poll_message_size, log
            )
        if "push" in args.only:
            from bench import push

            assert server is not None
            rows += push.run(server, work / "push", args.quick, log)
        if "queries" in args.only:
            from bench import queries

            rows += queries.run(
                work / "queries", args.db_submissions, args.db_students, args.query_runs, log
            )
        if "web" in args.only:
            from bench import web

            rows += web.run(work / "web", args.db_submissions, args.db_students, args.web_runs, log)
        if "startup" in args.only:
            from bench import startup

            rows += startup.run(
                work / "startup", args.db_submissions, args.db_students, args.startup_runs, log
            )
        if "memory" in args.only:
            from bench import memory

            assert server is not None
            rows += memory.run(server, work / "memory", args.memory_size, args.memory_runs, log)
    finally:
        if server is not None:
            server.stop()
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    duration = time.perf_counter() - t0
    machine = _machine()
    title = (
        f"tdl-inbox benchmarks: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{(machine['dovecot'] or '?').split()[0]} Dovecot, {machine['mbsync'] or 'no mbsync'}"
        f"; {duration:.0f} s{' (--quick)' if args.quick else ''}"
    )
    console.print(_table(rows, title))
    document = {
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(duration, 1),
        "quick": args.quick,
        "machine": machine,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [dataclasses.asdict(row) for row in rows],
        "targets_missed": [f"{r.section}: {r.name}" for r in rows if r.met is False],
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    paths = [RESULTS / f"bench-{stamp}{'-quick' if args.quick else ''}.json"]
    if args.json:
        paths.append(args.json)
    for path in paths:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    console.print(f"results: {', '.join(str(p) for p in paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
