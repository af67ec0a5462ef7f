"""A real browser for the web workspace's tests: Debian's headless Chromium driven by Selenium
through Debian's ``chromedriver``, and the workspace served by uvicorn on a free loopback port.

Chromium and chromium-driver come from ``scripts/install-test-servers.sh``. Without them a test
is skipped with the reason shown; with ``CI=true`` that is a failure. Selenium Manager is never
asked to download anything: the driver and browser paths are given and ``SE_OFFLINE`` is set.
A probe installed before any page script replaces ``alert``/``confirm``/``prompt`` so that
script which runs leaves a mark (``window.__alerts``) instead of blocking the driver.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from support import wait_until
from tdl_inbox.app import App

CHROMEDRIVER = "/usr/bin/chromedriver"
PROBE = """
window.__alerts = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (message) => { window.__alerts.push(String(message)); };
}
"""


def browser_paths() -> tuple[str, str]:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    reason = ""
    if found is None:
        reason = "chromium is not installed (sudo scripts/install-test-servers.sh)"
    elif not os.access(CHROMEDRIVER, os.X_OK):
        reason = f"chromium-driver is not installed, no {CHROMEDRIVER} (install-test-servers.sh)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: it is mandatory)", pytrace=False)
        pytest.skip(reason)
    assert found is not None
    return found, CHROMEDRIVER


@contextmanager
def chromium(profile: Path, width: int = 1280, height: int = 900) -> Iterator[webdriver.Chrome]:
    """One headless Chromium with its own profile directory (two of them are two graders)."""
    binary, driver_path = browser_paths()
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        *("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"),
        *("--no-first-run", "--disable-background-networking", "--disable-component-update"),
        *("--disable-sync", "--disable-extensions", f"--user-data-dir={profile}"),
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        yield driver
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_site(app: App) -> Iterator[str]:
    """Serve the workspace for ``app`` from a thread; yields its base URL."""
    from tdl_inbox.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 30, "the web workspace to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def loaded(driver: webdriver.Chrome, url: str | None = None) -> None:
    """Open ``url`` (or stay) and wait for the load event."""
    if url is not None:
        driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def probes(driver: webdriver.Chrome) -> dict[str, Any]:
    """What script that ran would have left behind."""
    found: dict[str, Any] = driver.execute_script(
        "return {pwned: typeof window.__pwned, alerts: window.__alerts || []}"
    )
    return found


def gone(element: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """``staleness_of``, also when chromedriver, asked in the middle of the navigation, says
    the node "does not belong to the document" rather than that it is stale."""
    stale = expected_conditions.staleness_of(element)

    def check(driver: webdriver.Chrome) -> bool:
        try:
            return bool(stale(driver))
        except WebDriverException as error:
            if "does not belong to the document" in str(error.msg):
                return True
            raise

    return check


def submitted(driver: webdriver.Chrome, button: WebElement) -> None:
    """Click a button that submits a form and wait for the next page to load (the old page's
    own ``readyState`` is "complete" too, so wait for its elements to go first)."""
    button.click()
    WebDriverWait(driver, 30).until(gone(button))
    loaded(driver)


def log_in(driver: webdriver.Chrome, base: str, name: str, password: str) -> None:
    loaded(driver, f"{base}/login")
    driver.find_element("name", "username").send_keys(name)
    driver.find_element("name", "password").send_keys(password)
    submitted(driver, driver.find_element("css selector", "form[action='/login'] button"))
