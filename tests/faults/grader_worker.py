"""A grader at work while the daemon ingests, for the concurrency test.

Run as ``python grader_worker.py CONFIG GRADER STOP_FILE``: until STOP_FILE exists, loops over
what graders do (``submissions``, ``rejected``, ``queue``, ``next`` and ``grade`` what it got),
each command through the CLI's ``main()`` in-process, and prints one JSON object: how many
commands ran and every failure (a non-zero exit, or anything on standard error).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from tdl_inbox.cli.main import main


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def work() -> None:
    config, grader, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    base = ["--config", config]
    calls, failures, graded = 0, [], 0
    while not stop.exists():
        for command in (["submissions", "--json"], ["rejected", "--json"], ["queue", "--json"]):
            code, _out, err = run(base + command)
            calls += 1
            if code != 0 or err:
                failures.append({"command": command, "code": code, "stderr": err})
        code, out, err = run([*base, "next", "--grader", grader, "--json"])
        calls += 1
        if code != 0 or err:
            failures.append({"command": ["next"], "code": code, "stderr": err})
        elif out.strip():
            item = json.loads(out)
            command = ["grade", str(item["id"]), "--points", "5", "--grader", grader]
            code, _out, err = run(base + command)
            calls += 1
            graded += 1
            if code != 0 or err:
                failures.append({"command": command, "code": code, "stderr": err})
    print(json.dumps({"calls": calls, "graded": graded, "failures": failures}))


if __name__ == "__main__":
    work()
