"""kill -9 at random points of ``tdl-inbox poll``: after a restart every message is recorded
exactly once, every stored file matches its SHA-256, and no half-written file is visible.

One long run: mail arrives in small chunks (some messages MB-sized, some re-deliveries, some
not submissions), and each chunk's poll is killed after a random delay drawn from a window
measured in the same run (start-up + listing + fetching + recording that chunk), so kills land
in start-up, the lock, login, listing, fetching, file writes, commits and the checkpoint.
After every kill the database and the store are checked; at the end one poll runs to
completion. ``TDL_FAULT_SEED`` replays a run; ``TDL_KILL_RUNS`` changes the number of kills.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faults.helpers import recorded, store_problems, student_name, temp_files
from faults.poll_worker import READY
from servers.imap_fill import multiappend
from support import ON_POSTGRES, cli_env, submission, wait_for
from tdl_inbox.adapters.db.models import Message, Rejection, Submission
from tdl_inbox.app import App

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

WORKER = Path(__file__).with_name("poll_worker.py")
KILLS = int(os.environ.get("TDL_KILL_RUNS", "50"))
BASE = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Mailbox:
    """What the test delivered: every UID, and which UIDs carry a message seen before."""

    rng: random.Random
    raws: list[bytes] = field(default_factory=list)
    uids: list[int] = field(default_factory=list)
    first_uid_of: dict[bytes, int] = field(default_factory=dict)
    duplicate_uids: set[int] = field(default_factory=set)
    size_of: dict[int, int] = field(default_factory=dict)
    large: int = 0
    made: int = 0

    def new_message(self) -> bytes:
        n = self.made
        self.made += 1
        roll = self.rng.random()
        if roll < 0.06 and self.raws:
            return self.rng.choice(self.raws)  # the same message delivered again
        size = 20_000
        if roll > 0.92:
            size = self.rng.randint(1_000_000, 3_000_000)
            self.large += 1
        subject = f"Theory 1 - {student_name(n)}" if roll < 0.85 else f"hello, question {n}"
        return submission(
            subject,
            f"{student_name(n)} <s{n}@example.org>",
            attachments=[(f"s{n}.pdf", self.rng.randbytes(size))],
            message_id=f"<kill-{n}@example.org>",
        )

    def deliver(self, dovecot, folder: str, count: int) -> None:
        batch = [self.new_message() for _ in range(count)]
        start = len(self.raws)
        uids = multiappend(
            dovecot,
            folder,
            [(raw, BASE + timedelta(minutes=start + i)) for i, raw in enumerate(batch)],
        )
        for uid, raw in zip(uids, batch, strict=True):
            self.uids.append(uid)
            self.size_of[uid] = len(raw)
            if raw in self.first_uid_of:
                self.duplicate_uids.add(uid)
            else:
                self.first_uid_of[raw] = uid
            self.raws.append(raw)

    def pending_bytes(self, done: set[int]) -> int:
        return sum(size for uid, size in self.size_of.items() if uid not in done)


@dataclass
class Run:
    killed: bool
    seconds: float
    code: int | None
    stderr: str


class PollRunner:
    """Runs ``poll`` worker processes; the next few are always already started and waiting."""

    AHEAD = 2

    def __init__(self, app: App, password: str) -> None:
        self.args = [sys.executable, str(WORKER), str(app.settings.source)]
        self.env = cli_env(password)
        self.waiting = collections.deque(self._spawn() for _ in range(self.AHEAD))

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
        )

    def run(self, kill_after: float | None) -> Run:
        process = self.waiting.popleft()
        self.waiting.append(self._spawn())
        assert process.stdout is not None
        ready = os.read(process.stdout.fileno(), len(READY))  # unbuffered: nothing else is read
        assert ready == READY, ready
        started = time.monotonic()
        killed = False
        try:  # the one byte on stdin is the cue to start polling
            _out, err = process.communicate(b"g", timeout=600 if kill_after is None else kill_after)
        except subprocess.TimeoutExpired:
            process.kill()
            killed = True
            _out, err = process.communicate()
        finally:
            # A timeout can fire before communicate() got to close stdin: close it here, or
            # the pipe is left for the garbage collector (a ResourceWarning).
            if process.stdin is not None and not process.stdin.closed:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        return Run(killed, time.monotonic() - started, process.returncode, err.decode())

    def complete(self, note: str) -> Run:
        """A poll run to its end (retried while a killed process's lock is still held)."""

        def attempt() -> Run | None:
            result = self.run(None)
            if result.code == 0:
                return result
            assert "already running" in result.stderr, f"poll failed {note}: {result.stderr}"
            return None

        return wait_for(attempt, what=f"the daemon lock released {note}")

    def close(self) -> None:
        for process in self.waiting:
            process.communicate(b"")  # a waiting worker reads EOF and exits


def test_kill_9_at_random_points_of_polls_records_every_message_exactly_once(
    dovecot, imap_folder, make_app
):
    seed = int(os.environ.get("TDL_FAULT_SEED", random.randrange(2**32)))
    note = f"(seed {seed}: rerun with TDL_FAULT_SEED={seed})"
    print(f"kill -9 schedule {note}")  # shown with any failure, whatever raised it
    rng = random.Random(seed)
    # Small batches (one transaction each), so a chunk of mail spans several and kills also
    # land between one batch's commit and the next.
    app = make_app(imap_folder, extra_mailbox="fetch_batch_messages = 3")
    mail = Mailbox(rng)
    runner = PollRunner(app, dovecot.password)
    verified: set[str] = set()
    stats = {"kills": 0, "kills_mid_ingest": 0, "completed_before_kill": 0, "lock_busy": 0}
    try:
        # Calibration, in this run on this machine: a poll with nothing new, then one chunk.
        empty = runner.complete(note).seconds
        mail.deliver(dovecot, imap_folder, 6)
        pending = mail.pending_bytes(set())
        per_byte = max(runner.complete(note).seconds - empty, 0.05) / pending
        scale = 1.0  # corrected by every poll that finishes before its kill

        while stats["kills"] < KILLS:
            mail.deliver(dovecot, imap_folder, rng.randint(2, 9))
            before = recorded(app)
            checkpoint = before.last_uid or 0
            done = set(before.uids) | {u for u in mail.duplicate_uids if u <= checkpoint}
            predicted = scale * (empty + per_byte * mail.pending_bytes(done))
            result = runner.run(kill_after=rng.uniform(0, 1.2 * predicted))
            after = recorded(app)
            if result.killed:
                stats["kills"] += 1
                if len(before.uids) < len(after.uids) < len(mail.first_uid_of):
                    stats["kills_mid_ingest"] += 1
            elif result.code == 0:
                stats["completed_before_kill"] += 1
                scale = 0.6 * scale + 0.4 * scale * result.seconds / predicted
            else:
                assert "already running" in result.stderr, f"poll failed {note}: {result.stderr}"
                stats["lock_busy"] += 1
            check_invariants(app, mail, verified, f"after run {sum(stats.values())} {note}")

        runner.complete(note)
    finally:
        runner.close()

    state = recorded(app)
    distinct = set(mail.first_uid_of.values())
    assert len(state.uids) == len(set(state.uids)), f"a message was recorded twice {note}"
    assert set(state.uids) == distinct, f"lost: {sorted(distinct - set(state.uids))} {note}"
    assert len(set(state.message_ids)) == len(state.message_ids), note
    assert state.last_uid == max(mail.uids), note
    assert store_problems(app.store.root) == [], note
    assert temp_files(app.store.root) == [], f"temporary files left after a full poll {note}"
    for digest in state.digests:
        assert app.store.verify(digest), f"{digest} {note}"
    with app.sessions.begin() as session:
        messages = session.scalar(select(func.count()).select_from(Message))
        decided = session.scalar(select(func.count()).select_from(Submission)) + session.scalar(
            select(func.count()).select_from(Rejection)
        )
    assert messages == decided == len(distinct), note
    summary = {
        "database": "postgres" if ON_POSTGRES else "sqlite",
        "seed": seed,
        "messages": len(mail.uids),
        "distinct": len(distinct),
        "large": mail.large,
        "redelivered": len(mail.duplicate_uids),
        **stats,
        "recorded_twice": len(state.uids) - len(set(state.uids)),
        "lost": len(distinct - set(state.uids)),
    }
    print(f"kill -9 summary: {json.dumps(summary)}")
    assert stats["kills"] >= KILLS


def check_invariants(app: App, mail: Mailbox, verified: set[str], note: str) -> None:
    """What must hold at every instant, killed or not."""
    state = recorded(app)
    assert len(state.uids) == len(set(state.uids)), f"a message was recorded twice {note}"
    assert set(state.uids) <= set(mail.first_uid_of.values()), f"a re-delivery recorded {note}"
    # No gap: every UID at or below the checkpoint is recorded or a known re-delivery.
    checkpoint = state.last_uid or 0
    skipped = [
        uid
        for uid in mail.uids
        if uid <= checkpoint and uid not in state.uids and uid not in mail.duplicate_uids
    ]
    assert skipped == [], f"checkpoint {checkpoint} passed unrecorded UIDs {skipped} {note}"
    problems = store_problems(app.store.root, verified=verified)
    assert problems == [], f"{problems} {note}"
    missing = [d for d in state.digests if not app.store.path_for(d).is_file()]
    assert missing == [], f"recorded without its file: {missing} {note}"
