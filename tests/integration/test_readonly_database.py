"""A database file that cannot be written: every command says so in one line, ``check`` too.

Two real ways a term's database becomes unwritable: its mode (0444, e.g. restored from a
backup) and the immutable attribute (``chattr +i``). Root ignores file modes, so the 0444 case
runs the command without CAP_DAC_OVERRIDE (``setpriv``), which is what an ordinary user has.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servers.imap_fill import append
from support import cli, cli_env, poll, submission
from tdl_inbox.adapters.db.engine import sqlite_path

pytestmark = pytest.mark.dovecot

ARRIVED = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
NO_DAC_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-fowner", "--"]


@contextlib.contextmanager
def _mode(path: Path, mode: int) -> Iterator[list[str]]:
    """Yields the command prefix that makes the mode apply to this process's user."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.fail("running as root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    before = path.stat().st_mode
    path.chmod(mode)
    try:
        yield NO_DAC_OVERRIDE if os.geteuid() == 0 else []
    finally:
        path.chmod(before)


def read_only_mode(path: Path) -> contextlib.AbstractContextManager[list[str]]:
    return _mode(path, 0o444)


def read_only_directory(path: Path) -> contextlib.AbstractContextManager[list[str]]:
    """The file is writable, but its -wal and -shm files cannot be created beside it."""
    return _mode(path.parent, 0o555)


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[list[str]]:
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {made.stderr.strip()}")
    try:
        yield []
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


LOCKS = {"mode 0444": read_only_mode, "chattr +i": immutable, "directory 0555": read_only_directory}


@pytest.fixture(params=list(LOCKS))
def locked(request):
    return LOCKS[request.param]


def test_every_command_says_the_database_cannot_be_written(
    dovecot, imap_folder, make_app, tmp_path, locked
):
    app = make_app(imap_folder, db_url=f"sqlite:///{tmp_path}/db/term.db")
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), ARRIVED)
    poll(app)
    append(dovecot, imap_folder, submission("Theory 1 - Anna Petrova", "anna@example.org"), ARRIVED)
    database = sqlite_path(app.settings.database.url)
    assert database is not None
    app.close()
    env = cli_env(dovecot.password, TDL_INBOX_GRADER="grader")
    expected = (
        f"tdl-inbox: error: the database {database} cannot be written "
        "(attempt to write a readonly database): check its permissions and attributes "
        "(ls -l, lsattr) and those of its directory"
    )

    with locked(database) as prefix:
        for args in (["grade", "1", "--points", "7"], ["next"], ["poll"]):
            result = subprocess.run(
                [*prefix, *cli(app, *args)], env=env, capture_output=True, text=True
            )
            assert result.returncode == 1, (args, result.stderr)
            assert result.stderr.strip() == expected, args

        checked = subprocess.run(
            [*prefix, *cli(app, "check")], env=env, capture_output=True, text=True
        )
        assert checked.returncode == 1
        [line] = [line for line in checked.stderr.splitlines() if "database:" in line]
        assert line == expected.replace("tdl-inbox: error: ", "FAIL database: ")

    # Writable again: the same commands work, nothing was half-recorded.
    after = subprocess.run(cli(app, "poll", "--json"), env=env, capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    graded = subprocess.run(
        cli(app, "grade", "1", "--points", "7"), env=env, capture_output=True, text=True
    )
    assert graded.returncode == 0, graded.stderr
