"""Push settings and the poll runner that push and the interval share."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from support import wait_until
from tdl_inbox.config import load_config
from tdl_inbox.errors import ConfigError
from tdl_inbox.services.intake.push import PollRunner

MAILBOX = """
[mailbox]
username = "course@example.org"
password_env = "TDL_TEST_PASSWORD"
"""


def settings_with(tmp_path: Path, extra: str):
    path = tmp_path / "tdl-inbox.toml"
    path.write_text(MAILBOX + extra, encoding="utf-8")
    return load_config(path)


def test_push_is_on_by_default_and_renews_every_ten_minutes(tmp_path):
    mailbox = settings_with(tmp_path, "").mailbox
    assert mailbox.idle is True
    assert mailbox.idle_renew_seconds == 600
    off = settings_with(tmp_path, "idle = false\nidle_renew_seconds = 1740\n").mailbox
    assert off.idle is False


def test_an_idle_renewal_beyond_rfc_2177s_29_minutes_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"mailbox\.idle_renew_seconds: .*at most 1740"):
        settings_with(tmp_path, "idle_renew_seconds = 1741\n")


def test_requests_during_a_poll_coalesce_into_one_more_poll():
    started, release = threading.Event(), threading.Event()
    polls: list[int] = []

    def poll() -> None:
        polls.append(len(polls))
        if len(polls) == 1:
            started.set()
            release.wait(10)

    runner = PollRunner(poll)
    first = threading.Thread(target=runner.run)
    first.start()
    assert started.wait(10)
    for _ in range(50):  # a burst of arrivals while the first poll ingests
        runner.run()  # returns at once: that poll is asked to run once more
    assert polls == [0]
    release.set()
    first.join(10)
    assert polls == [0, 1]


def test_a_requested_poll_runs_on_the_serving_thread_until_stopped():
    polls: list[str] = []
    runner = PollRunner(lambda: polls.append(threading.current_thread().name))
    stop = threading.Event()
    server = threading.Thread(target=runner.serve, args=(stop,), name="server")
    server.start()
    runner.request()
    wait_until(lambda: polls == ["server"], 10, "the requested poll")
    stop.set()
    server.join(10)
    assert not server.is_alive()
    assert polls == ["server"]
