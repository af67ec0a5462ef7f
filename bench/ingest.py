"""Backlog ingest: tdl-inbox's poll against a minimal fetcher (the floor) and mbsync.

For each message size the folder is filled once; then, ``repeat`` times and interleaved so
that all three see the same machine state: the floor (IMAPClient, STARTTLS, ``UID FETCH
BODY.PEEK[]`` in batches, bodies dropped), ``mbsync`` pulling the folder into an empty Maildir,
and ``tdl-inbox poll`` on a fresh database and store. Figures are medians; ratios are
reference time / ingest time (> 1 means ingest is faster).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Row, build, median, poll, write_config
from bench.mail import MessageFactory
from bench.servers import Dovecot, create_folder, fill_folder, open_client, warm


@dataclass(frozen=True)
class Cpu:
    user: float
    system: float

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.user - other.user, self.system - other.system)

    def per_message_ms(self, count: int) -> str:
        return (
            f"CPU {self.user / count * 1000:.2f} ms user + "
            f"{self.system / count * 1000:.2f} ms system per message"
        )


def _cpu(who: int) -> Cpu:
    usage = resource.getrusage(who)
    return Cpu(usage.ru_utime, usage.ru_stime)


def _median_cpu(samples: list[Cpu]) -> Cpu:
    return Cpu(median([c.user for c in samples]), median([c.system for c in samples]))


@dataclass(frozen=True)
class IngestSet:
    label: str
    count: int
    size: int


def floor_fetch(server: Dovecot, folder: str, batch: int, batch_bytes: int) -> int:
    """The minimal loop: every message's bytes over STARTTLS, nothing done with them."""
    fetched = 0
    with open_client(server) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        sizes = client.fetch(uids, [b"RFC822.SIZE"]) if uids else {}
        chunk: list[int] = []
        held = 0
        for uid in uids:
            size = int(sizes[uid][b"RFC822.SIZE"])
            if chunk and (len(chunk) >= batch or held + size > batch_bytes):
                fetched += _fetch(client, chunk)
                chunk, held = [], 0
            chunk.append(uid)
            held += size
        if chunk:
            fetched += _fetch(client, chunk)
    return fetched


def _fetch(client: object, uids: list[int]) -> int:
    response = client.fetch(uids, [b"BODY.PEEK[]"])  # type: ignore[attr-defined]
    return sum(1 for data in response.values() if b"BODY[]" in data)


MBSYNCRC = """\
IMAPAccount bench
Host {host}
Port {port}
User {user}
Pass {password}
SSLType STARTTLS
CertificateFile {cafile}
AuthMechs LOGIN

IMAPStore bench-far
Account bench

MaildirStore bench-near
Path {near}/
Inbox {near}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-far:{folder}
Near :bench-near:{folder}
Sync Pull
Create Near
Expunge None
CopyArrivalDate yes
SyncState *
"""


def mbsync_binary() -> str | None:
    return shutil.which("mbsync") or shutil.which("mbsync", path="/usr/bin:/usr/local/bin")


def mbsync_version() -> str | None:
    binary = mbsync_binary()
    if binary is None:
        return None
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def mbsync_copy(binary: str, server: Dovecot, folder: str, directory: Path) -> int:
    """``mbsync`` pulls ``folder`` into an empty Maildir below ``directory``; returns the count.

    Everything it reads or writes is in ``directory``: its own config (``-c``), ``HOME``
    pointing there, the Maildir and the sync state inside the Maildir.
    """
    if directory.exists():
        shutil.rmtree(directory)
    near = directory / "near"
    near.mkdir(parents=True)
    rc = directory / "mbsyncrc"
    rc.write_text(
        MBSYNCRC.format(
            host=server.host,
            port=server.port,
            user=server.username,
            password=server.password,
            cafile=server.cafile,
            near=near,
            folder=folder,
        )
    )
    rc.chmod(0o600)
    env = {"HOME": str(directory), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    result = subprocess.run(
        [binary, "-c", str(rc), "-q", "bench"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise RuntimeError(f"mbsync failed ({result.returncode}): {result.stderr.strip()}")
    copied = sum(
        len(os.listdir(near / folder / sub))
        for sub in ("cur", "new")
        if (near / folder / sub).is_dir()
    )
    return copied


def run_set(
    server: Dovecot,
    work: Path,
    spec: IngestSet,
    repeat: int,
    floor_batch: int,
    factory: MessageFactory,
    log: object,
) -> list[Row]:
    say = log  # a print-like callable
    folder = f"ingest-{spec.label}"
    create_folder(server, folder)
    nbytes = fill_folder(server, folder, factory.many(spec.count, spec.size))
    warm(server, folder)
    mean_size = nbytes / spec.count
    say(f"ingest {spec.label}: {spec.count} messages, {nbytes / 1e6:.0f} MB in {folder}")  # type: ignore[operator]
    batch_bytes = 20_000_000  # the default mailbox.fetch_batch_bytes
    floor_fetch(server, folder, floor_batch, batch_bytes)  # warm the page cache, untimed
    binary = mbsync_binary()
    floor_s: list[float] = []
    mbsync_s: list[float] = []
    ingest_s: list[float] = []
    # CPU time (user, system) of this process during the poll (all its threads; Dovecot is
    # another process) and of mbsync: where the wall-clock ratio comes from.
    ingest_cpu: list[Cpu] = []
    floor_cpu: list[Cpu] = []
    mbsync_cpu: list[Cpu] = []
    for attempt in range(1, repeat + 1):
        before = _cpu(resource.RUSAGE_SELF)
        begin = time.perf_counter()
        got = floor_fetch(server, folder, floor_batch, batch_bytes)
        floor_s.append(time.perf_counter() - begin)
        floor_cpu.append(_cpu(resource.RUSAGE_SELF) - before)
        if got != spec.count:
            raise RuntimeError(f"floor fetched {got} of {spec.count} messages")
        if binary is not None:
            mdir = work / f"mbsync-{spec.label}"
            before = _cpu(resource.RUSAGE_CHILDREN)
            begin = time.perf_counter()
            copied = mbsync_copy(binary, server, folder, mdir)
            mbsync_s.append(time.perf_counter() - begin)
            mbsync_cpu.append(_cpu(resource.RUSAGE_CHILDREN) - before)
            shutil.rmtree(mdir)
            if copied != spec.count:
                raise RuntimeError(f"mbsync copied {copied} of {spec.count} messages")
        idir = work / f"ingest-{spec.label}"
        if idir.exists():
            shutil.rmtree(idir)
        app = build(write_config(server, folder, idir))
        before = _cpu(resource.RUSAGE_SELF)
        begin = time.perf_counter()
        report = poll(app)
        ingest_s.append(time.perf_counter() - begin)
        ingest_cpu.append(_cpu(resource.RUSAGE_SELF) - before)
        app.close()
        shutil.rmtree(idir)
        if report.recorded != spec.count:
            raise RuntimeError(f"ingest recorded {report.recorded} of {spec.count} messages")
        say(  # type: ignore[operator]
            f"  run {attempt}/{repeat}: floor {floor_s[-1]:.2f} s"
            + (f", mbsync {mbsync_s[-1]:.2f} s" if mbsync_s else "")
            + f", ingest {ingest_s[-1]:.2f} s"
        )
    with open_client(server, starttls=False) as client:
        client.delete_folder(folder)

    rate = spec.count / median(ingest_s)
    floor_rate = spec.count / median(floor_s)
    section = f"ingest {spec.count} × {mean_size / 1e3:,.0f} KB"
    common = {"count": spec.count, "mean_bytes": round(mean_size), "floor_batch": floor_batch}
    rows = [
        Row(
            section,
            "tdl-inbox poll",
            round(rate, 1),
            "msg/s",
            f"{median(ingest_s):.2f} s, {spec.count * mean_size / 1e6 / median(ingest_s):.0f} MB/s"
            f"; {_median_cpu(ingest_cpu).per_message_ms(spec.count)}",
            samples=[round(s, 3) for s in ingest_s],
            extra={**common, "cpu_s": [[round(c.user, 3), round(c.system, 3)] for c in ingest_cpu]},
        ),
        Row(
            section,
            "floor (IMAPClient fetch, nothing done)",
            round(floor_rate, 1),
            "msg/s",
            f"{median(floor_s):.2f} s; {_median_cpu(floor_cpu).per_message_ms(spec.count)}",
            samples=[round(s, 3) for s in floor_s],
            extra={**common, "cpu_s": [[round(c.user, 3), round(c.system, 3)] for c in floor_cpu]},
        ),
    ]
    floor_ratio = median(floor_s) / median(ingest_s)
    rows.append(
        Row(
            section,
            "ingest / floor throughput",
            round(floor_ratio, 3),
            "×",
            "",
            ">= 0.40",
            floor_ratio >= 0.40,
        )
    )
    if mbsync_s:
        mb_ratio = median(mbsync_s) / median(ingest_s)
        rows.insert(
            2,
            Row(
                section,
                "mbsync (to a Maildir)",
                round(spec.count / median(mbsync_s), 1),
                "msg/s",
                f"{median(mbsync_s):.2f} s; " + _median_cpu(mbsync_cpu).per_message_ms(spec.count),
                samples=[round(s, 3) for s in mbsync_s],
                extra={
                    **common,
                    "cpu_s": [[round(c.user, 3), round(c.system, 3)] for c in mbsync_cpu],
                },
            ),
        )
        rows.append(
            Row(
                section,
                "ingest / mbsync throughput",
                round(mb_ratio, 3),
                "×",
                "",
                ">= 1.0",
                mb_ratio >= 1.0,
            )
        )
    else:
        rows.append(
            Row(
                section,
                "ingest / mbsync throughput",
                None,
                "×",
                "mbsync not installed (Debian: apt-get install isync): reference skipped",
                ">= 1.0",
                None,
            )
        )
    return rows
