"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) builds the chart,
turns student text into text (never into elements), and fetches nothing the page names.

Chromium comes from ``scripts/install-test-servers.sh``. Without it the test is skipped with
the reason shown; with ``CI=true`` that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reports.html_checks import assert_self_contained
from support import submission

CUT = datetime(2019, 3, 16, 21, 0, tzinfo=UTC)  # theory-1: the first late instant
TRAP = "http://127.0.0.1:9/pwned"  # anything the browser fetched from here would be in its log
NAME = f"<script src={TRAP}-js>alert(1)</script>"
HOP = f'from [10.0.0.5] (<img src="{TRAP}-img">) by mx.example.org; Sat, 16 Mar 2019 21:00:30 +0000'


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "chromium is not installed (sudo scripts/install-test-servers.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: it is mandatory)", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the browser checks the page, which is the same on either database."""
    return f"sqlite:///{tmp_path}/chromium.db"


def test_html_report_renders_the_chart_and_no_student_markup(run, deliver, deliver_raw, tmp_path):
    browser = chromium()
    raw = submission(f"Theory 1 - {NAME}", f'"<link rel=stylesheet href={TRAP}-css>" <e@x.org>')
    deliver_raw(b"Received: " + HOP.encode() + b"\r\n" + raw, CUT + timedelta(seconds=30))
    deliver("Theory 1 - Ivan Ivanov", CUT - timedelta(seconds=20))
    page = tmp_path / "late.html"
    code, _, err = run("report", "late", "--format", "html", "--output", str(page))
    assert (code, err) == (0, "")

    net_log = tmp_path / "net-log.json"
    done = subprocess.run(
        [
            browser,
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"),
            *("--no-first-run", "--disable-background-networking", "--disable-component-update"),
            *("--disable-sync", "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}"),
            f"--log-net-log={net_log}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    dom = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]

    tags = assert_self_contained(dom)  # what the browser built, not just what we wrote
    assert tags.count("script") == dom.lower().count("<script") == 0
    assert "img" not in tags
    assert tags.count("svg") == 3  # one chart per configured deadline
    assert tags.count("rect") == 3 * 7
    assert dom.count('class="bar ok"') == 3 * 4
    assert "last min" in dom
    assert "1st min" in dom
    assert "deadline" in dom
    assert ">1</text>" in dom  # the bar labels: one arrival in the last minute, one just after
    assert "&lt;script src=" in dom  # the name shown as text
    assert "Late versions: 1" in dom
    assert "pwned" not in net_log.read_text(encoding="utf-8", errors="replace")
