"""``make demo``: tdl-inbox end to end against a throwaway local IMAP server.

Starts pymap on 127.0.0.1 (STARTTLS with a self-signed certificate, like Proton Mail Bridge),
delivers sample submissions into a ``Course`` folder, writes ``.demo/tdl-inbox.toml`` and runs
the real CLI on it. Everything lives in ``.demo/`` and is recreated on every run.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from demo.config import PASSWORD_ENV, write_config
from demo.mailbox import deliver
from demo.samples import COURSE_ADDRESS, MSK, samples
from demo.server import ImapServer, ServerError, running_pymap

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".demo"
FOLDER = "Course"
STEP_TIMEOUT_SECONDS = 120

STEPS: list[tuple[str, str]] = [
    ("db upgrade", "create the SQLite database"),
    ("check", "config, TLS + login, database"),
    ("assignments", "deadlines: publication day + 21 days at 23:59 Moscow time"),
    ("poll", "read the folder and record every message once"),
    ("submissions", "one row per submission, judged by server arrival time"),
    (
        "submissions --assignment theory-1 --json",
        "for scripts; Petrov's Date: header was before the deadline",
    ),
    ("rejected", "not submissions, with the reason a student would be told"),
    ("poll", "again: nothing new, nothing recorded twice"),
    ("queue", "what graders still have to grade: counting, on-time versions"),
    ("next --grader alice", "a grader claims the oldest item"),
    ("grade 1 --points 9 --extra 1 --grader alice", "and grades it"),
    ("report summary", "per assignment: on time, late, missing, graded, pending"),
    ("report late", "late versions with the evidence for disputes"),
    ("grades", "the grade book: min(10, p_hw * 8 + p_exam * 4)"),
]


class StepFailed(Exception):
    pass


def _header(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _cli_env(server: ImapServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TDL_INBOX_CONFIG"}
    env[PASSWORD_ENV] = server.password
    env.setdefault("PYTHONUTF8", "1")
    if not sys.stdout.isatty():  # piped (CI, tee): keep the tables readable
        env.setdefault("COLUMNS", "160")
    return env


def _run_cli(config: Path, command: str, why: str, env: dict[str, str]) -> None:
    _header(f"tdl-inbox {command}    # {why}")
    args = [sys.executable, "-m", "tdl_inbox", "--config", str(config), *command.split()]
    try:
        result = subprocess.run(
            args,
            cwd=DEMO_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=STEP_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(
            f"`tdl-inbox {command}` did not finish within {STEP_TIMEOUT_SECONDS}s"
        ) from None
    if result.returncode != 0:
        raise StepFailed(f"`tdl-inbox {command}` exited with code {result.returncode}")


def _show_delivered(server: ImapServer) -> None:
    mail = samples()
    _header(f"deliver {len(mail)} messages to {COURSE_ADDRESS}, folder {FOLDER!r} (IMAP APPEND)")
    deliver(server, FOLDER, mail)
    for item in mail:
        arrived = item.arrived_at.astimezone(MSK).strftime("%Y-%m-%d %H:%M:%S")
        print(f"  {arrived}  {item.subject:<50}  {item.note}")


def walkthrough() -> None:
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    password = secrets.token_urlsafe(16)
    _header("start pymap (in-memory IMAP server) on 127.0.0.1 with a self-signed certificate")
    with running_pymap(DEMO_DIR, COURSE_ADDRESS, password) as server:
        print(f"  listening on {server.host}:{server.port} (STARTTLS), log: {_rel(server.log)}")
        _show_delivered(server)
        config = DEMO_DIR / "tdl-inbox.toml"
        write_config(config, server, FOLDER)
        _header(f"config {_rel(config)} (password in ${PASSWORD_ENV}, not in the file)")
        env = _cli_env(server)
        for command, why in STEPS:
            _run_cli(config, command, why, env)
    _header("pymap stopped")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop pymap


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        walkthrough()
    except KeyboardInterrupt:
        print("\ndemo: interrupted; pymap stopped", file=sys.stderr)
        return 130
    except (StepFailed, ServerError) as exc:
        print(f"\ndemo: FAILED: {exc}", file=sys.stderr)
        return 1
    print(
        f"\ndemo finished in {time.monotonic() - started:.1f}s; its files are in {_rel(DEMO_DIR)}/"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
