"""Steady-state poll: a mailbox that grows to 1k, 10k, 100k messages, all already recorded.

At each size: the database holds as many recorded messages (bulk-inserted, checkpoint at the
newest UID), then the median of ``runs`` polls with nothing new, and of ``runs`` polls that
each find one message just delivered (written to ``new/`` before the timed poll). The
reference is a minimal client doing the same IMAP round trips (connect, STARTTLS, login,
EXAMINE, ``UID SEARCH UID n:*``, logout; after a delivery also the two FETCHes of the new
message) with nothing else: what the server and TLS cost. Growth of the one-new poll is judged
on what tdl-inbox adds to that reference, since the server's own cost grows with the folder.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Row, build, median, poll, write_config
from bench.dbfill import migrated_engine, populate
from bench.mail import MessageFactory
from bench.servers import Dovecot, create_folder, fill_folder, open_client, warm

FOLDER = "poll"
IDENTITY = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID X-PM-INTERNAL-ID)]"
TARGET_MS = 50.0


def _minimal_poll(server: Dovecot, last_uid: int) -> int:
    """The IMAP round trips of a poll and nothing else; fetches what is new. Returns the
    highest UID seen."""
    with open_client(server) as client:
        client.select_folder(FOLDER, readonly=True)
        new = [uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid]
        if new:
            client.fetch(new, [b"RFC822.SIZE", b"INTERNALDATE", IDENTITY])
            client.fetch(new, [b"BODY.PEEK[]", b"INTERNALDATE"])
        return max([last_uid, *new])


def _set_checkpoint(app: Any, last_uid: int) -> None:
    """Mark mail delivered for the reference as recorded: move the checkpoint past it."""
    from tdl_inbox.adapters.db.models import FolderState

    with app.sessions.begin() as session:
        state = session.get(FolderState, FOLDER)
        state.last_uid = last_uid


def _uids(server: Dovecot) -> tuple[int, list[int]]:
    with open_client(server, starttls=False) as client:
        info = client.select_folder(FOLDER, readonly=True)
        return int(info[b"UIDVALIDITY"]), sorted(client.search(["ALL"]))


def run(
    server: Dovecot,
    work: Path,
    sizes: list[int],
    runs: int,
    message_size: int,
    log: Callable[[str], None],
) -> list[Row]:
    create_folder(server, FOLDER)
    factory = MessageFactory(seed=7)
    rows: list[Row] = []
    held = 0
    # "one new" is judged by what tdl-inbox adds to the minimal client: after a delivery,
    # Dovecot rescans the Maildir's cur/ (100k files) on SELECT, for any client.
    flat: dict[str, list[float]] = {"empty": [], "one new, over the minimal client": []}
    for size in sorted(sizes):
        start = time.perf_counter()
        fill_folder(server, FOLDER, factory.many(size - held, message_size))
        held = warm(server, FOLDER)
        uidvalidity, uids = _uids(server)
        directory = work / f"poll-{size}"
        if directory.exists():
            shutil.rmtree(directory)
        config = write_config(server, FOLDER, directory)
        engine = migrated_engine(directory / "tdl-inbox.db")
        # every message in the mailbox is already recorded (2% as rejected)
        populate(
            engine,
            len(uids) - int(len(uids) * 0.02 / 1.02),
            min(2000, max(10, size // 50)),
            folder=FOLDER,
            uidvalidity=uidvalidity,
            uids=uids,
        )
        engine.dispose()
        app = build(config)
        log(f"poll: mailbox of {held:,} messages ready in {time.perf_counter() - start:.1f} s")

        last = uids[-1]
        reference = []
        empty = []
        for _ in range(runs + 1):
            begin = time.perf_counter()
            _minimal_poll(server, last)
            reference.append((time.perf_counter() - begin) * 1000)
            begin = time.perf_counter()
            report = poll(app)
            empty.append((time.perf_counter() - begin) * 1000)
            if report.recorded or report.already_recorded:
                raise RuntimeError(f"an empty poll recorded something: {report}")
        reference, empty = reference[1:], empty[1:]  # first round warms up
        reference_new = []
        for _ in range(runs):
            fill_folder(server, FOLDER, [factory.make(message_size)], new=True)
            begin = time.perf_counter()
            last = _minimal_poll(server, last)
            reference_new.append((time.perf_counter() - begin) * 1000)
        _set_checkpoint(app, last)
        one_new = []
        for _ in range(runs):
            fill_folder(server, FOLDER, [factory.make(message_size)], new=True)
            begin = time.perf_counter()
            report = poll(app)
            one_new.append((time.perf_counter() - begin) * 1000)
            if report.recorded != 1:
                raise RuntimeError(f"a poll after one delivery recorded {report.recorded}")
        held += 2 * runs
        app.close()
        section = f"poll, {size:,} messages in the mailbox"
        flat["empty"].append(median(empty))
        flat["one new, over the minimal client"].append(
            max(0.0, median(one_new) - median(reference_new))
        )
        rows += [
            Row(
                section,
                "poll, nothing new",
                round(median(empty), 1),
                "ms",
                f"minimal client: {median(reference):.1f} ms",
                f"< {TARGET_MS:g} ms",
                median(empty) < TARGET_MS,
                samples=[round(s, 2) for s in empty],
                extra={"mailbox": size, "reference_ms": [round(s, 2) for s in reference]},
            ),
            Row(
                section,
                "poll, one new message",
                round(median(one_new), 1),
                "ms",
                f"{message_size / 1e3:.0f} KB message; minimal client fetching it: "
                f"{median(reference_new):.1f} ms",
                "flat",
                None,
                samples=[round(s, 2) for s in one_new],
                extra={
                    "mailbox": size,
                    "reference_ms": [round(s, 2) for s in reference_new],
                    "over_reference_ms": round(median(one_new) - median(reference_new), 1),
                },
            ),
        ]
        log(
            f"  empty {median(empty):.1f} ms (minimal client {median(reference):.1f} ms), "
            f"one new {median(one_new):.1f} ms (minimal client {median(reference_new):.1f} ms)"
        )
    if len(sizes) > 1:
        for kind, values in flat.items():
            growth = values[-1] / values[0]
            # flat: the biggest mailbox within 25% (or 5 ms) of the smallest
            ok = values[-1] <= max(values[0] * 1.25, values[0] + 5)
            rows.append(
                Row(
                    "poll growth",
                    f"poll, {kind}: {max(sizes):,} vs {min(sizes):,}",
                    round(growth, 2),
                    "×",
                    " → ".join(f"{v:.1f}" for v in values) + " ms",
                    "flat (≤ 1.25× or +5 ms)",
                    ok,
                )
            )
    with open_client(server, starttls=False) as client:
        client.delete_folder(FOLDER)
    return rows
