"""The submission page in a real browser (headless Chromium through chromedriver): the PDF
viewer, a rendered notebook, grading with the keyboard alone, two graders racing for one
item, and script from mail that never runs.

With ``TDL_SCREENSHOTS=1`` the screenshots of the queue and of a submission page are written
to ``docs/screenshots/`` (the README shows them); otherwise into the test's tmp_path.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium, gone, live_site, loaded, log_in, probes, submitted
from notebooks import ATTACKS, code, display, markdown, notebook, png
from submission_support import CLOUD_LINK, HTML_AS_PDF, PAYLOAD, deliver_mail, pdf
from tdl_inbox.services.grading.roster import import_roster
from web_support import PASSWORD, add_user

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
NOW = datetime(2019, 3, 1, tzinfo=UTC)
CLEAN = {"pwned": "undefined", "alerts": []}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STUDENTS = [
    ("Иван Иванов", "ivan.ivanov@phystech.edu"),
    ("Пётр Петров", "petrov.pa@phystech.edu"),
    ("Anna-Maria Ivanova-Petrova", "a.ivanova-petrova@gmail.com"),
    ("Дарья Смирнова", "smirnova.d@phystech.edu"),
    ("Алексей Кузнецов", "kuznetsov.ai@phystech.edu"),
    ("John Smith", "j.smith@example.org"),
]
ROSTER = "name,email,group,mipt\n" + "".join(
    f"{name},{email},{'' if mipt == 'no' else 'Б05-12' + str(n % 3)},{mipt}\n"
    for n, ((name, email), mipt) in enumerate(
        zip(STUDENTS, ["yes", "yes", "no", "yes", "yes", "no"], strict=True)
    )
)


def wait(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object]) -> None:
    WebDriverWait(driver, 30).until(condition)


def keys(driver: webdriver.Chrome, *typed: str) -> None:
    ActionChains(driver).send_keys(*typed).perform()


def navigating(driver: webdriver.Chrome, act: Callable[[], None]) -> None:
    """Do ``act`` (a key that leaves the page) and wait for the next page to load."""
    old = driver.find_element("tag name", "html")
    act()
    wait(driver, gone(old))
    loaded(driver)


def ctrl_enter(driver: webdriver.Chrome) -> None:
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()


def text_of(driver: webdriver.Chrome, selector: str) -> str:
    return str(driver.find_element("css selector", selector).text)


def grades_of(run, sid: int) -> list[tuple[float, str]]:
    shown = json.loads(run("show", f"s{sid}", "--json")[1])
    return [(g["points"], g["grader"]) for g in shown["grades"]]


def painted(driver: webdriver.Chrome, element: WebElement) -> bool:
    """Whether ``element`` shows more than a flat fill: the bytes of its screenshot's pixels
    take many values (a blank or still-loading frame gives a handful)."""
    png, pos, pixels = element.screenshot_as_png, 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            pixels += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(pixels))) > 64


def pdf_shown(driver: webdriver.Chrome) -> None:
    """Wait until the page's PDF frame holds Chromium's viewer and the viewer has drawn."""
    frame = driver.find_element("css selector", "iframe.pdf")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
    driver.switch_to.frame(frame)
    try:
        wait(driver, lambda d: d.execute_script("return document.contentType") == "application/pdf")
        # The viewer's document: Chromium's PDF embedder, not an error page or a download.
        assert driver.execute_script(
            "return document.querySelector('link[href*=\"pdf_embedder\"]') !== null"
        )
    finally:
        driver.switch_to.default_content()
    wait(driver, lambda d: painted(d, frame))
    driver.execute_script("window.scrollTo(0, 0)")


BLURS = "window.__blurs = 0; window.addEventListener('blur', () => { window.__blurs += 1; });"
"""Counts the times the page lost the focus (to a frame, say)."""


def focus_taken_back(driver: webdriver.Chrome) -> bool:
    """The page lost the focus to its PDF frame once, and has it again."""
    return bool(
        driver.execute_script(
            "return window.__blurs > 0 && document.hasFocus()"
            " && document.activeElement.tagName !== 'IFRAME'"
        )
    )


def screenshot_dir(tmp_path: Path) -> Path:
    if os.environ.get("TDL_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        return DOCS
    return tmp_path


def test_a_pdf_is_shown_in_the_browsers_viewer_and_a_notebook_is_rendered_running_nothing(
    run, monkeypatch, grading_app, tmp_path
):
    add_user(run, monkeypatch, "anna")
    paper = deliver_mail(
        grading_app, "Theory 1 - Иван Иванов", ON_TIME,
        attachments=[("Решение.pdf", pdf()), ("report.pdf", HTML_AS_PDF)],
    )  # fmt: skip
    plot = base64.b64encode(png(40, 20)).decode()
    lab = notebook(
        markdown("# Лабораторная работа 1\nГрадиентный спуск"),
        code("plt.plot(losses)", display({"image/png": plot, "text/plain": "<Figure>"})),
        *ATTACKS.values(),
    )
    lab_id = deliver_mail(
        grading_app, "Lab 1 - Пётр Петров", ON_TIME, "Пётр Петров <petr@example.org>",
        attachments=[("lab1.ipynb", lab)],
    )  # fmt: skip
    with live_site(grading_app) as base, chromium(tmp_path / "anna") as browser:
        log_in(browser, base, "anna", PASSWORD)
        loaded(browser, f"{base}/submissions/s{paper}")
        frames = browser.find_elements("css selector", "iframe.pdf")
        assert len(frames) == 1  # the HTML page called report.pdf is only a download link
        pdf_shown(browser)
        assert "report.pdf" in text_of(browser, ".file-file")
        assert probes(browser) == CLEAN

        loaded(browser, f"{base}/submissions/s{lab_id}")
        rendered = browser.find_element("css selector", ".notebook")
        assert "Лабораторная работа 1" in browser.find_element("css selector", ".notebook h1").text
        assert "plt.plot(losses)" in rendered.text
        picture = browser.find_element("css selector", ".notebook img.output.image")
        wait(browser, lambda d: d.execute_script("return arguments[0].naturalWidth", picture) == 40)
        assert "<script>window.__pwned = 1</script>" in rendered.text  # shown, as text
        assert probes(browser) == CLEAN


def test_three_items_graded_with_the_keyboard_alone(run, monkeypatch, grading_app, tmp_path):
    add_user(run, monkeypatch, "anna")
    # The second is damaged: Chromium's viewer, showing its error, takes the focus.
    papers = [pdf("Theory 1, solution 1"), b"%PDF-1.4 damaged in transit\n", pdf("solution 3")]
    ids = [
        deliver_mail(
            grading_app,
            f"Theory 1 - {name}",
            ON_TIME + timedelta(hours=n),
            email,
            attachments=[("solution.pdf", papers[n])],
        )
        for n, (name, email) in enumerate(STUDENTS[:3])
    ]
    other = deliver_mail(
        grading_app, "Lab 1 - Дарья Смирнова", ON_TIME + timedelta(hours=1), STUDENTS[3][1]
    )
    with live_site(grading_app) as base, chromium(tmp_path / "anna") as browser:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": BLURS})
        log_in(browser, base, "anna", PASSWORD)
        loaded(browser, f"{base}/submissions/s{ids[0]}")
        pdf_shown(browser)
        keys(browser, "?")
        assert browser.find_element("id", "keys-help").get_attribute("open") is not None
        assert "Ctrl+Enter" in text_of(browser, "#keys-help")
        keys(browser, Keys.ESCAPE)
        navigating(browser, lambda: keys(browser, "j"))
        assert browser.current_url == f"{base}/submissions/s{ids[1]}"
        navigating(browser, lambda: keys(browser, "k"))
        assert browser.current_url == f"{base}/submissions/s{ids[0]}"
        navigating(browser, lambda: keys(browser, "c"))
        assert "Claimed by you" in text_of(browser, "#claim-status")
        for points, sid in zip(["7", "8,5", "10"], ids, strict=True):
            assert browser.current_url.startswith(f"{base}/submissions/s{sid}")
            pdf_shown(browser)
            if sid == ids[1]:  # the damaged PDF's viewer takes the focus; the page takes it back
                wait(browser, focus_taken_back)
            keys(browser, "g")
            active = browser.switch_to.active_element
            assert active.get_attribute("id") == "points", active.tag_name
            keys(browser, points, Keys.TAB, Keys.TAB, "отлично j")  # a j typed is just a j
            assert browser.current_url.startswith(f"{base}/submissions/s{sid}")
            navigating(browser, lambda: ctrl_enter(browser))
        assert browser.current_url == f"{base}/?assignment=theory-1&notice=nothing-left"
        assert "Nothing is left to grade in that assignment." in text_of(browser, ".notice")
        assert probes(browser) == CLEAN
    assert [grades_of(run, sid) for sid in ids] == [
        [(7.0, "anna")],
        [(8.5, "anna")],
        [(10.0, "anna")],
    ]
    assert json.loads(run("show", f"s{ids[0]}", "--json")[1])["grades"][0]["comment"] == (
        "отлично j"
    )
    assert grades_of(run, other) == []


def test_two_graders_race_for_one_item_and_no_grade_is_lost(
    run, monkeypatch, grading_app, tmp_path
):
    add_user(run, monkeypatch, "anna")
    add_user(run, monkeypatch, "boris")
    contested = deliver_mail(grading_app, "Theory 1 - Иван Иванов", ON_TIME)
    unclaimed = deliver_mail(
        grading_app, "Theory 1 - Пётр Петров", ON_TIME + timedelta(hours=1), "petr@example.org"
    )
    with (
        live_site(grading_app) as base,
        chromium(tmp_path / "anna") as anna,
        chromium(tmp_path / "boris") as boris,
    ):
        graders = {"anna": anna, "boris": boris}
        for name, browser in graders.items():
            log_in(browser, base, name, PASSWORD)
            loaded(browser, f"{base}/submissions/s{contested}")
            assert "Not claimed." in text_of(browser, "#claim-status")
        # Both press "claim" at the same moment.
        start = threading.Barrier(2)

        def claim(browser: webdriver.Chrome) -> None:
            button = browser.find_element("id", "claim")
            start.wait()
            submitted(browser, button)

        racers = [threading.Thread(target=claim, args=(b,)) for b in graders.values()]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)
        winners = [n for n, b in graders.items() if "Claimed by you" in text_of(b, "#claim-status")]
        assert len(winners) == 1
        winner = winners[0]
        loser = "boris" if winner == "anna" else "anna"
        told = graders[loser]
        assert f"is claimed by {winner} until" in text_of(told, "#refusal")
        # The loser grades anyway: refused, told who holds it, nothing saved.
        told.find_element("id", "points").send_keys("4")
        submitted(told, told.find_element("id", "save"))
        assert f"is claimed by {winner} until" in text_of(told, "#refusal")
        assert told.find_element("id", "points").get_attribute("value") == "4"
        held = graders[winner]
        held.find_element("id", "points").send_keys("9")
        submitted(held, held.find_element("id", "save"))
        assert "Grade saved." in text_of(held, ".notice")
        assert grades_of(run, contested) == [(9.0, winner)]

        # An item nobody claimed, open in both browsers: the second save is a conflict.
        for browser in graders.values():
            loaded(browser, f"{base}/submissions/s{unclaimed}")
        anna.find_element("id", "points").send_keys("6")
        submitted(anna, anna.find_element("id", "save"))
        boris.find_element("id", "points").send_keys("3")
        boris.find_element("id", "comment").send_keys("мало")
        submitted(boris, boris.find_element("id", "save"))
        conflict = text_of(boris, "#refusal")
        assert "was graded by anna" in conflict
        assert "Their grade: 6 + 0 extra, by anna" in conflict
        assert grades_of(run, unclaimed) == [(6.0, "anna")]
        # Boris has seen it and saves his grade knowingly: both are in the history.
        assert boris.find_element("id", "points").get_attribute("value") == "3"
        submitted(boris, boris.find_element("id", "save"))
        assert "Grade saved." in text_of(boris, ".notice")
        assert grades_of(run, unclaimed) == [(6.0, "anna"), (3.0, "boris")]
        history = text_of(boris, "#grades")
        assert "anna 6 0" in history
        assert "boris 3 0 мало" in history


def test_script_in_a_subject_name_file_name_mail_text_or_notebook_output_never_runs(
    run, monkeypatch, grading_app, tmp_path
):
    add_user(run, monkeypatch, "anna")
    hostile = notebook(*ATTACKS.values())
    sid = deliver_mail(
        grading_app,
        f"Theory 1 - Иван {PAYLOAD}",
        ON_TIME,
        sender=f'"Иван {PAYLOAD}" <ivan@example.org>',
        attachments=[(f"{PAYLOAD}.pdf", pdf()), (f"{PAYLOAD}.ipynb", hostile),
                     (f"{PAYLOAD}.html", HTML_AS_PDF)],
        body=f"Решение: {PAYLOAD}\n{CLOUD_LINK}",
    )  # fmt: skip
    with live_site(grading_app) as base, chromium(tmp_path / "anna") as browser:
        log_in(browser, base, "anna", PASSWORD)
        loaded(browser, f"{base}/")
        assert PAYLOAD in text_of(browser, "table")
        loaded(browser, f"{base}/submissions/s{sid}")
        assert PAYLOAD in text_of(browser, "h1")
        assert PAYLOAD in text_of(browser, "#subject")
        assert PAYLOAD in text_of(browser, "#mail-text")
        names = [h.text for h in browser.find_elements("css selector", ".file h3")]
        assert len(names) == 3
        assert all(PAYLOAD in name for name in names)
        assert CLOUD_LINK in text_of(browser, "#links")
        assert browser.find_elements("css selector", ".notebook")
        assert probes(browser) == CLEAN
        keys(browser, "?")  # the page's own script runs, the mail's does not
        assert browser.find_element("id", "keys-help").get_attribute("open") is not None
        assert probes(browser) == CLEAN


def test_screenshots_of_the_queue_and_of_a_submission(run, monkeypatch, grading_app, tmp_path):
    with grading_app.sessions.begin() as db:
        import_roster(db, ROSTER, actor="admin", now=NOW)
    add_user(run, monkeypatch, "anna")
    add_user(run, monkeypatch, "boris")
    ids = [
        deliver_mail(
            grading_app,
            f"Theory 1 - {name}",
            ON_TIME + timedelta(hours=5 * n, minutes=7 * n),
            f"{name} <{email}>",
            attachments=[(f"ДЗ1 {name}.pdf", pdf(f"Theory 1: {email}"))],
            body=f"Добрый день! Решение во вложении.\n{name}",
        )
        for n, (name, email) in enumerate(STUDENTS)
    ]
    deliver_mail(
        grading_app, "Theory 1 - Иван Иванов (v2, исправлено)", ON_TIME + timedelta(days=8),
        f"Иван Иванов <{STUDENTS[0][1]}>", attachments=[("ДЗ1 Иванов v2.pdf", pdf("v2"))],
    )  # fmt: skip
    deliver_mail(
        grading_app, "Lab 1 - Пётр Петров", ON_TIME + timedelta(days=2),
        f"Пётр Петров <{STUDENTS[1][1]}>",
        attachments=[("lab1.ipynb", notebook(markdown("# Лаба 1")))],
        body=f"Ноутбук во вложении, данные в облаке: {CLOUD_LINK}",
    )  # fmt: skip
    assert run("claim", f"s{ids[2]}", "-g", "boris")[0] == 0
    assert run("grade", f"s{ids[1]}", "-p", "8", "-m", "Задача 3 без доказательства", "-g",
               "boris")[0] == 0  # fmt: skip
    shots = screenshot_dir(tmp_path)
    with live_site(grading_app) as base, chromium(tmp_path / "anna", 1400, 1000) as browser:
        log_in(browser, base, "anna", PASSWORD)
        loaded(browser, f"{base}/")
        browser.save_screenshot(str(shots / "queue.png"))
        loaded(browser, f"{base}/submissions/s{ids[3]}")
        navigating(browser, lambda: keys(browser, "c"))
        assert "Claimed by you" in text_of(browser, "#claim-status")
        keys(browser, "g", "9", Keys.TAB, Keys.TAB, "Аккуратно, всё верно")
        pdf_shown(browser)
        browser.save_screenshot(str(shots / "submission.png"))
        assert probes(browser) == CLEAN
    for name in ("queue.png", "submission.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG")
