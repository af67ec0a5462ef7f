"""The web workspace on the query benchmark's database: the server time of each page and API
route, served in this process (Starlette's test client, no sockets), logged in with a bearer
token made through the accounts service, as a script using the API would be.

Server time is measured inside the ASGI application, from the request reaching it to the last
byte of the response leaving it: what a grader's browser waits for, minus the network. The
reference is the bare time of the login page (routing, middleware, one template, a cookie)
measured in the same run, so a busier machine moves both.

Routes are one list (``ROUTES``): a new page is one line. A route the code base does not serve
yet (no route matches the path) is skipped with a note, not failed.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Row, median
from bench.dbfill import migrated_engine, populate
from bench.mail import assignments_toml

TARGET_MS = 100.0
REFERENCE = ("login page (reference)", "/login")
ADMIN = "bench-admin"

# (name, path); {assignment} and {submission} are the oldest queue item's assignment and id.
ROUTES: list[tuple[str, str]] = [
    ("queue page", "/"),
    ("queue page, one assignment", "/?assignment={assignment}"),
    ("queue page, unclaimed", "/?claimed=no"),
    ("queue page 50", "/?page=50"),
    ("API queue", "/api/queue"),
    ("API queue, late too", "/api/queue?all=1"),
    ("API queue, one assignment", "/api/queue?assignment={assignment}"),
    ("submission page", "/submissions/s{submission}"),
    ("API submission", "/api/submissions/s{submission}"),
    ("API grades", "/api/grades"),
    ("grade book", "/grades"),
    ("grade book CSV", "/grades.csv"),
    ("admin", "/admin"),
    ("API late report", "/api/reports/late"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ServerTimer:
    """ASGI middleware keeping the server time of the last HTTP request, in ms."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begin = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.last_ms = (time.perf_counter() - begin) * 1000
            await send(message)

        await self.app(scope, receive, timed)


@dataclass(frozen=True)
class Timing:
    name: str
    path: str
    status: int
    samples: list[float]
    size: int

    @property
    def median(self) -> float:
        return median(self.samples)

    @property
    def p95(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=20, method="inclusive")[-1]


def served(site: Any, path: str) -> bool:
    """Whether any route of ``site`` matches ``path`` (an unknown id is still served)."""
    from starlette.routing import Match

    scope = {"type": "http", "method": "GET", "path": path.split("?")[0], "root_path": ""}
    return any(route.matches(scope)[0] != Match.NONE for route in site.routes)


def _samples(
    client: Any, timer: ServerTimer, headers: dict[str, str], path: str, runs: int
) -> tuple[int, list[float], int]:
    samples: list[float] = []
    status, size = 0, 0
    for attempt in range(runs + 1):  # the first request warms caches and is not counted
        gc.collect()  # the previous response's garbage is not this request's cost
        response = client.get(path, headers=headers)
        status, size = response.status_code, len(response.content)
        if status != 200:
            break
        if attempt:
            samples.append(timer.last_ms)
    return status, samples, size


def example_ids(app: Any) -> dict[str, str]:
    """What the routes' placeholders stand for: the oldest queue item's id and assignment."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.grading.queue import queue

    with app.sessions.begin() as session:
        first = queue(session, app.store, app.settings.grading.counting, utc_now(), window=(0, 1))
    if not first:
        raise RuntimeError("the benchmark database has an empty queue")
    return {"submission": str(first[0].id), "assignment": first[0].assignment}


def bearer_token(app: Any) -> str:
    """An admin account and its API token, through the accounts service (as `users token`)."""
    from tdl_inbox.app import utc_now
    from tdl_inbox.services.operations import accounts

    with app.sessions.begin() as session:
        if accounts.by_name(session, ADMIN) is None:
            password = accounts.generate_password()
            accounts.add(session, ADMIN, "admin", password, utc_now(), actor="bench")
        return accounts.new_token(session, ADMIN, utc_now(), actor="bench")


def measure(
    app: Any, runs: int, log: Callable[[str], None], routes: list[tuple[str, str]] = ROUTES
) -> tuple[Timing, list[Timing | str]]:
    """The reference's timing and, per route, its timing or why it was skipped."""
    from starlette.testclient import TestClient

    from tdl_inbox.web.app import create_app

    site = create_app(app)
    timer = ServerTimer(site)
    headers = {"Authorization": f"Bearer {bearer_token(app)}"}
    ids = example_ids(app)
    found: list[Timing | str] = []
    with TestClient(timer, base_url="http://127.0.0.1") as client:
        name, path = REFERENCE
        status, samples, size = _samples(client, timer, {}, path, runs)
        if status != 200:
            raise RuntimeError(f"the reference {path} answered {status}")
        reference = Timing(name, path, status, samples, size)
        for name, template in routes:
            path = template.format(**ids)
            if not served(site, path):
                note = f"{name} ({path}): not served by this code base yet, skipped"
                log(f"  {note}")
                found.append(note)
                continue
            status, samples, size = _samples(client, timer, headers, path, runs)
            timing = Timing(name, path, status, samples, size)
            found.append(timing)
            if status == 200:
                log(f"  {name} ({path}): median {timing.median:.1f} ms, p95 {timing.p95:.1f} ms")
            else:
                log(f"  {name} ({path}): answered {status}")
    return reference, found


def rows(section: str, reference: Timing, found: list[Timing | str]) -> list[Row]:
    table = [
        Row(
            section,
            f"{reference.name}: GET {reference.path}",
            round(reference.median, 2),
            "ms",
            f"p95 {reference.p95:.2f} ms",
            samples=[round(s, 2) for s in reference.samples],
        )
    ]
    target = f"< {TARGET_MS:g} ms"
    for item in found:
        if isinstance(item, str):
            table.append(Row(section, item.split(" (")[0], None, "ms", item, target, None))
            continue
        name = f"{item.name}: GET {item.path}"
        if item.status != 200:
            table.append(Row(section, name, None, "ms", f"HTTP {item.status}", target, False))
            continue
        detail = (
            f"p95 {item.p95:.1f} ms; {item.median / reference.median:.1f} × the reference; "
            f"{item.size:,} bytes"
        )
        table.append(
            Row(
                section,
                name,
                round(item.median, 1),
                "ms",
                detail,
                target,
                item.median < TARGET_MS,
                samples=[round(s, 1) for s in item.samples],
            )
        )
    return table


def build_app(work: Path, submissions: int, students: int) -> tuple[Any, dict[str, int]]:
    """The query benchmark's database (same generator, same sizes) and an App on it."""
    from tdl_inbox_dev.config import config_text, migrated_app

    work.mkdir(parents=True, exist_ok=True)
    db = work / "web.db"
    for stale in (db, db.with_name("web.db-wal"), db.with_name("web.db-shm")):
        stale.unlink(missing_ok=True)
    engine = migrated_engine(db)
    counts = populate(engine, submissions, students)
    engine.dispose()
    text = config_text(
        database_url=f"sqlite:///{db}",
        password_env="TDL_INBOX_BENCH_UNUSED_PASSWORD",
        store_dir=work / "store",
        assignments=assignments_toml(),
    )
    return migrated_app(work / "tdl-inbox.toml", text), counts


def run(
    work: Path, submissions: int, students: int, runs: int, log: Callable[[str], None]
) -> list[Row]:
    start = time.perf_counter()
    app, counts = build_app(work, submissions, students)
    log(f"web: database of {counts} built in {time.perf_counter() - start:.1f} s")
    try:
        reference, found = measure(app, runs, log)
    finally:
        app.close()
    section = f"web (server time, median of {runs}), {counts['submissions']:,} submissions"
    return rows(section, reference, found)
