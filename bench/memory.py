"""Peak RSS of a poll that ingests one big message, in a child process of its own.

Measured as the child's own ``VmHWM`` (``/proc/self/status``, read just before it exits): not
``ru_maxrss``, which Linux carries over from the forking parent's size across ``exec``. A
baseline child that only imports what a poll imports is subtracted. Figure: (peak - baseline)
/ message size, median of ``runs``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench.common import Row, build, median, write_config
from bench.mail import MessageFactory
from bench.servers import Dovecot, create_folder, fill_folder, open_client, warm

FOLDER = "memory"
TARGET = 4.0


def _child(config: Path, *extra: str) -> tuple[int, dict[str, int]]:
    """Run the child; (its VmHWM in bytes, its JSON report)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.memory_child", str(config), *extra],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    if proc.wait() != 0:
        raise RuntimeError(f"memory child failed ({proc.returncode})")
    report = json.loads(output.decode().strip().splitlines()[-1])
    return int(report["vm_hwm"]), report


def run(server: Dovecot, work: Path, size: int, runs: int, log: Callable[[str], None]) -> list[Row]:
    create_folder(server, FOLDER)
    raw, arrived = MessageFactory(seed=8).make(size)
    fill_folder(server, FOLDER, [(raw, arrived)])
    warm(server, FOLDER)
    peaks, baselines = [], []
    for _ in range(runs):
        directory = work / "memory"
        if directory.exists():
            shutil.rmtree(directory)
        config = write_config(server, FOLDER, directory)
        build(config).close()  # migrate in this process, not in the measured one
        base, _ = _child(config, "--baseline")
        peak, report = _child(config)
        if report["recorded"] != 1:
            raise RuntimeError(f"the memory poll recorded {report['recorded']} messages")
        baselines.append(base)
        peaks.append(peak)
        log(f"memory: baseline {base / 1e6:.0f} MB, poll peak {peak / 1e6:.0f} MB")
    shutil.rmtree(work / "memory")
    with open_client(server, starttls=False) as client:
        client.delete_folder(FOLDER)
    net = [(p - b) / len(raw) for p, b in zip(peaks, baselines, strict=True)]
    section = f"memory, one {len(raw) / 1e6:.0f} MB message"
    return [
        Row(
            section,
            "peak RSS of the poll − baseline",
            round(median(net), 2),
            "× message",
            f"peak {median(peaks) / 1e6:.0f} MB, baseline {median(baselines) / 1e6:.0f} MB",
            f"< {TARGET:g}×",
            median(net) < TARGET,
            samples=[round(x, 3) for x in net],
            extra={"message_bytes": len(raw), "peak_bytes": peaks, "baseline_bytes": baselines},
        ),
        Row(
            section,
            "peak RSS of the poll (whole process)",
            round(median(peaks) / len(raw), 2),
            "× message",
            "incl. interpreter and imports",
        ),
    ]
