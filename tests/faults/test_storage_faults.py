"""The store cannot take a file (disk full, file size limit, a file where a directory should
be, no permission): the poll stops with one clear error, and nothing is recorded that is not
backed by its file. Works as root too: root ignores permissions but not RLIMIT_FSIZE."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from faults.helpers import recorded, store_problems, student_name, temp_files
from servers.imap_fill import multiappend
from support import cli, cli_env, poll, submission
from tdl_inbox.daemon import Daemon
from tdl_inbox.errors import StorageError

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
FILE_SIZE_LIMIT = 1_500_000  # the database stays far below it; the 2 MB attachment does not


def with_file_size_limit(command: list[str], limit: int) -> list[str]:
    """``command`` (a ``python -m tdl_inbox ...`` line) with RLIMIT_FSIZE set first: a write
    past ``limit`` fails with EFBIG, as on a full disk (Python ignores SIGXFSZ)."""
    module_args = command[command.index("tdl_inbox") + 1 :]
    code = (
        "import resource, runpy, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        f"sys.argv = ['tdl-inbox', *{module_args!r}]; "
        "runpy.run_module('tdl_inbox', run_name='__main__')"
    )
    return [sys.executable, "-c", code]


def assert_backed_by_files(app) -> None:
    state = recorded(app)
    assert all(app.store.verify(digest) for digest in state.digests)
    assert store_problems(app.store.root) == []
    assert temp_files(app.store.root) == []


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_FSIZE)[1] not in (resource.RLIM_INFINITY,),
    reason="a file size limit is already set for this process",
)
def test_a_write_the_disk_refuses_stops_the_poll_and_records_nothing_without_its_file(
    dovecot, imap_folder, make_app
):
    raws = [submission(f"Theory 1 - {student_name(n)}") for n in range(3)]
    raws.append(submission("Theory 1 - Big File", attachments=[("big.bin", os.urandom(2_000_000))]))
    raws += [submission(f"Theory 1 - {student_name(n)}") for n in range(3, 5)]
    uids = multiappend(
        dovecot, imap_folder, [(raw, BASE + timedelta(minutes=n)) for n, raw in enumerate(raws)]
    )
    app = make_app(imap_folder)
    env = cli_env(dovecot.password)

    limited = subprocess.run(
        with_file_size_limit(cli(app, "poll"), FILE_SIZE_LIMIT),
        env=env,
        capture_output=True,
        text=True,
    )

    assert limited.returncode == 1, limited
    assert limited.stderr == (
        f"tdl-inbox: error: cannot write to store directory {app.store.root}: the file is "
        "larger than this file system or the process's file size limit allows\n"
    )
    state = recorded(app)
    # One FETCH batch is one transaction: the batch holding the big message is not recorded,
    # messages before it in the batch included, and the checkpoint does not move past it.
    assert state.uids == []
    assert state.last_uid is None
    assert_backed_by_files(app)

    again = subprocess.run(cli(app, "poll"), env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert sorted(recorded(app).uids) == uids
    assert_backed_by_files(app)


def test_a_store_path_that_is_not_a_directory_fails_the_poll_before_anything_is_recorded(
    dovecot, imap_folder, make_app
):
    multiappend(dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), BASE)])
    app = make_app(imap_folder)
    app.store.root.parent.mkdir(parents=True, exist_ok=True)
    app.store.root.write_text("not a directory")
    result = subprocess.run(
        cli(app, "poll"), env=cli_env(dovecot.password), capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"tdl-inbox: error: cannot create store directory {app.store.root}: "
        "a file is in the way of a directory\n"
    )
    assert recorded(app).uids == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories anyway")
def test_a_read_only_store_directory_fails_the_poll_before_anything_is_recorded(
    dovecot, imap_folder, make_app
):
    multiappend(dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), BASE)])
    app = make_app(imap_folder)
    app.store.ensure()
    app.store.root.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="is not writable"):
            poll(app)
    finally:
        app.store.root.chmod(0o700)
    assert recorded(app).uids == []


def test_the_daemon_logs_a_storage_failure_backs_off_and_recovers(
    dovecot, imap_folder, make_app, caplog
):
    uids = multiappend(dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), BASE)])
    app = make_app(imap_folder)
    app.store.root.parent.mkdir(parents=True, exist_ok=True)
    app.store.root.write_text("not a directory")
    daemon = Daemon(app)
    caplog.set_level(logging.INFO, logger="tdl_inbox")

    daemon.poll_job()

    assert daemon.backoff.failures == 1
    assert daemon.backoff.not_before is not None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"poll failed: cannot create store directory {app.store.root}: a file is in the way "
        "of a directory; next attempt in 0:00:25"
    ]
    assert recorded(app).uids == []
    app.store.root.unlink()
    daemon.backoff.not_before = None  # the admin fixed it; don't wait for the next attempt
    daemon.poll_job()
    assert daemon.backoff.failures == 0
    assert recorded(app).uids == uids


def test_unfinished_writes_are_removed_by_the_next_poll_but_not_by_check(
    dovecot, imap_folder, make_app
):
    """``check`` runs beside a working daemon, whose write in flight it must not delete; the
    ingester (holding the daemon lock) removes what a killed process left behind."""
    uids = multiappend(dovecot, imap_folder, [(submission("Theory 1 - Ivan Ivanov"), BASE)])
    app = make_app(imap_folder)
    app.store.ensure()
    leftover = app.store.tmp_dir / ".tmp-killed-mid-write"
    leftover.write_bytes(b"half a message")

    app.store.ensure()  # what `check` does
    assert leftover.exists()
    poll(app)

    assert not leftover.exists()
    assert temp_files(app.store.root) == []
    assert recorded(app).uids == uids
