"""A rendered attack notebook in a real browser: headless Chromium, driven by Selenium through
Debian's ``chromedriver``, runs nothing from it, with or without the page's own CSP.

A control page with a real ``<script>`` and ``onerror`` first shows that the probes see script
when it runs, so "nothing fired" means something.  Chromium and chromium-driver come from
``scripts/install-test-servers.sh``. Without them the test is skipped with the reason shown;
with ``CI=true`` that is a failure.  Selenium Manager is never asked to download anything: the
driver and browser paths are given and ``SE_OFFLINE`` is set.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium
from notebooks import ATTACKS, code, display, notebook, png
from tdl_inbox.services.grading.notebook import NOTEBOOK_CSS, render_notebook

STRICT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path / "profile") as driver:
        yield driver


def page(tmp_path: Path, name: str, fragment: str, *, csp: str | None) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">' if csp else ""
    path = tmp_path / name
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8">{meta}<title>lab</title>'
        f"<style>{NOTEBOOK_CSS}</style></head><body>{fragment}</body></html>",
        encoding="utf-8",
    )
    return path.as_uri()


def visit(driver: webdriver.Chrome, url: str) -> dict[str, Any]:
    """Open ``url``, wait for its load event (after every image loaded or failed, so an
    ``onerror`` has had its turn), and read the probes."""
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    result: dict[str, Any] = driver.execute_script(
        "return {pwned: typeof window.__pwned, alerts: window.__alerts,"
        " scripts: document.scripts.length,"
        " images: Array.from(document.images, i => i.naturalWidth)}"
    )
    return result


def test_a_rendered_attack_notebook_runs_nothing_in_chromium(chrome, tmp_path):
    control = visit(
        chrome,
        page(
            tmp_path,
            "control.html",
            '<script>window.__pwned = 1</script><img src="x" onerror="alert(1)">',
            csp=None,
        ),
    )
    assert control["pwned"] == "number"  # the probes do see script that runs
    assert control["alerts"] == ["1"]

    plot = base64.b64encode(png()).decode("ascii")
    attack = notebook(*ATTACKS.values(), code("plot()", display({"image/png": plot})))
    fragment = render_notebook(attack)
    for name, csp in (("bare.html", None), ("strict.html", STRICT_CSP)):
        seen = visit(chrome, page(tmp_path, name, fragment, csp=csp))
        assert seen["pwned"] == "undefined", name
        assert seen["alerts"] == [], name
        assert seen["scripts"] == 0, name
        assert seen["images"] == [2], name  # the checked PNG shows, even under the strict CSP
    text = chrome.find_element("css selector", ".notebook").text
    assert "<script>window.__pwned = 1</script>" in text  # shown as text
