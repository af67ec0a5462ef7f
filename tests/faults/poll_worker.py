"""``tdl-inbox poll`` that starts on cue, for the kill -9 test.

Run as ``python poll_worker.py CONFIG``: imports the CLI, writes ``ready`` to standard output,
then waits for one byte on standard input before running ``tdl-inbox --config CONFIG poll``
in-process (the same code as the command). The test starts the next worker while the current
one runs, so Python's start-up time stays outside the window in which it kills.
"""

from __future__ import annotations

import sys

from tdl_inbox.cli.main import main

READY = b"ready\n"


def run() -> int:
    config = sys.argv[1]
    sys.stdout.buffer.write(READY)
    sys.stdout.buffer.flush()
    if not sys.stdin.buffer.read(1):  # the test gave up on this worker
        return 0
    return main(["--config", config, "poll", "--json"])


if __name__ == "__main__":
    sys.exit(run())
