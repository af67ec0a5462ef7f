"""The workspace in a real browser (headless Chromium through chromedriver)."""

from __future__ import annotations

from datetime import UTC, datetime

from browser import chromium, live_site, loaded, log_in, probes
from web_support import PASSWORD, add_user

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
PAYLOAD = '<img src=x onerror="alert(1)"><script>window.__pwned=1</script>'


def test_a_grader_logs_in_and_sees_the_queue_with_a_hostile_name_as_text(
    run, monkeypatch, grading_app, deliver, tmp_path
):
    add_user(run, monkeypatch, "anna")
    deliver(f"Theory 1 - Ivan {PAYLOAD}", ON_TIME)
    deliver("Theory 1 - Пётр Петров", ON_TIME, "petr@example.org")
    with live_site(grading_app) as base, chromium(tmp_path / "anna") as browser:
        loaded(browser, base + "/")
        assert browser.current_url == base + "/login"  # the queue needs a login
        log_in(browser, base, "anna", PASSWORD)
        assert browser.current_url == base + "/"
        table = browser.find_element("css selector", "table").text
        assert "Пётр Петров" in table
        assert "<script>window.__pwned=1</script>" in table  # shown, not run
        assert probes(browser) == {"pwned": "undefined", "alerts": []}
