"""Roles and CSRF in a real browser (headless Chromium through chromedriver): a grader is
refused the admin pages, a POST without the CSRF token is refused, an admin sees the chart."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import chromium, live_site, loaded, log_in, probes, submitted
from web_support import PASSWORD, add_user

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LAST_MINUTE = datetime(2019, 3, 16, 20, 59, 30, tzinfo=UTC)  # theory-1: 23:59 Moscow time
LATE = datetime(2019, 3, 17, 10, 0, tzinfo=UTC)
PAYLOAD = '<img src=x onerror="alert(1)"><script>window.__pwned=1</script>'

# A form built in the page the way a forged cross-site form would be: no csrf_token field.
FORM_WITHOUT_TOKEN = """
const form = document.createElement("form");
form.method = "post";
form.action = "/admin/extensions";
for (const [name, value] of Object.entries(arguments[0])) {
  const input = document.createElement("input");
  input.name = name;
  input.value = value;
  form.appendChild(input);
}
document.body.appendChild(form);
form.submit();
"""
FETCH_FORM_WITHOUT_TOKEN = """
const done = arguments[arguments.length - 1];
fetch("/admin/extensions", {method: "POST", body: new URLSearchParams(arguments[0])})
  .then(async (r) => done([r.status, await r.text()]));
"""
FETCH_WITHOUT_HEADER = """
const done = arguments[arguments.length - 1];
fetch("/api/extensions", {method: "POST", headers: {"Content-Type": "application/json"},
                          body: JSON.stringify(arguments[0])})
  .then(async (r) => done([r.status, await r.text()]));
"""
GRANT = {
    "student": "Ivan Ivanov",
    "assignment": "theory-1",
    "until": "2019-03-20T23:59",
    "reason": "r",
}


def test_a_grader_is_refused_the_admin_page(run, monkeypatch, grading_app, tmp_path):
    add_user(run, monkeypatch, "anna")
    with live_site(grading_app) as base, chromium(tmp_path / "anna") as browser:
        log_in(browser, base, "anna", PASSWORD)
        links = [a.text for a in browser.find_elements("css selector", "nav.site a")]
        assert links == ["Queue", "Grade book"]
        loaded(browser, base + "/admin")
        assert browser.find_element("tag name", "h1").text == "Not allowed"
        assert "for admins only" in browser.find_element("css selector", "main").text
        assert browser.find_elements("css selector", "svg.chart") == []


def test_posts_without_the_csrf_token_are_refused(run, monkeypatch, grading_app, deliver, tmp_path):
    deliver("Theory 1 - Ivan Ivanov", LATE)
    assert run("roster", "add", "Ivan Ivanov", "ivan@example.org")[0] == 0
    add_user(run, monkeypatch, "boss", "admin")
    with live_site(grading_app) as base, chromium(tmp_path / "boss") as browser:
        log_in(browser, base, "boss", PASSWORD)
        loaded(browser, base + "/admin/extensions")
        status, text = browser.execute_async_script(FETCH_WITHOUT_HEADER, GRANT)
        assert status == 403
        assert "X-CSRF-Token" in json.loads(text)["error"]
        status, text = browser.execute_async_script(FETCH_FORM_WITHOUT_TOKEN, GRANT)
        assert (status, text) == (403, "missing or wrong CSRF token")
        old_page = browser.find_element("tag name", "body")
        browser.execute_script(FORM_WITHOUT_TOKEN, GRANT)
        WebDriverWait(browser, 30).until(expected_conditions.staleness_of(old_page))
        loaded(browser)
        assert "missing or wrong CSRF token" in browser.find_element("tag name", "body").text
        assert json.loads(run("extensions", "--json")[1]) == []
        # the page's own form, which carries the token, works
        loaded(browser, base + "/admin/extensions")
        browser.find_element("css selector", "#grant [name=student]").send_keys("Ivan Ivanov")
        Select(browser.find_element("css selector", "#grant [name=assignment]")).select_by_value(
            "theory-1"
        )
        browser.find_element("css selector", "#grant [name=until]").send_keys("2019-03-20T23:59")
        submitted(browser, browser.find_element("css selector", "#grant button"))
        notice = browser.find_element("css selector", ".notice").text
        assert notice == "Ivan Ivanov: theory-1 due 2019-03-20 23:59:00 +0300"
        assert [row["student"] for row in json.loads(run("extensions", "--json")[1])] == [
            "Ivan Ivanov"
        ]


def test_an_admin_sees_the_arrivals_chart(run, monkeypatch, grading_app, deliver, tmp_path):
    deliver(f"Theory 1 - Ivan {PAYLOAD}", ON_TIME)
    deliver("Theory 1 - Petr Petrov", LAST_MINUTE, "petr@example.org")
    deliver("Theory 1 - Anna Smirnova", LATE, f'"{PAYLOAD}" <anna.s@example.org>')
    add_user(run, monkeypatch, "boss", "admin")
    with live_site(grading_app) as base, chromium(tmp_path / "boss") as browser:
        log_in(browser, base, "boss", PASSWORD)
        links = [a.text for a in browser.find_elements("css selector", "nav.site a")]
        assert links == ["Queue", "Grade book", "Admin"]
        loaded(browser, base + "/admin")
        charts = browser.find_elements("css selector", "svg.chart")
        assert len(charts) == 3
        theory = next(c for c in charts if "theory-1" in c.text)
        assert theory.is_displayed()
        assert theory.size["width"] >= 400
        bars = theory.find_elements("css selector", "rect.bar")
        heights = [float(bar.get_attribute("height")) for bar in bars]
        # more than 24 h before, ..., last minute, first minute late, first hour late, later
        assert [h > 1 for h in heights] == [True, False, False, True, False, False, True]
        colours = {bar.value_of_css_property("fill") for bar in bars}
        assert colours == {"rgb(63, 124, 172)", "rgb(214, 69, 69)"}  # on time, late: styled
        loaded(browser, base + "/admin/late")
        assert "Anna Smirnova" in browser.find_element("css selector", "table").text
        assert probes(browser) == {"pwned": "undefined", "alerts": []}
        loaded(browser, base + "/grades")
        assert probes(browser) == {"pwned": "undefined", "alerts": []}
