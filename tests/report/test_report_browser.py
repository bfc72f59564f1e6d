"""The HTML report in a real headless Chromium: self-contained, interactive, and hostile text stays text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.report.conftest import HOSTILE_NAME, NOW
from vminv.report import build_report, write_report

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(chromium, hostile_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    write_report(build_report(hostile_db, now=NOW), "html", path)
    chromium.get_log("browser")  # start both logs afresh for this page
    chromium.get_log("performance")
    chromium.get(path.as_uri())
    WebDriverWait(chromium, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    return chromium


def _guest_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#guests tbody tr")


def _column(driver, name: str) -> list[str]:
    headers = [th.text.strip(" ▲▼") for th in driver.find_elements(By.CSS_SELECTOR, "#guests thead th")]
    index = headers.index(name)
    return [row.find_elements(By.TAG_NAME, "td")[index].text for row in _guest_rows(driver)]


def test_opens_from_file_with_no_console_error_and_no_request(page):
    errors = [entry for entry in page.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    requests = []
    for entry in page.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    assert requests and all(url.startswith("file://") for url in requests), requests
    assert len(requests) == 1  # the page itself, nothing else


def test_hostile_name_is_text_and_runs_nothing(page):
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert  # noqa: B018 - an alert(1) would be waiting here
    assert page.find_elements(By.TAG_NAME, "img") == []
    assert HOSTILE_NAME in _column(page, "name")
    assert "</script><script>alert(2)</script>" in _column(page, "title")


def test_filter_narrows_the_guest_table(page):
    box = page.find_element(By.CSS_SELECTOR, "#guests .filter")
    assert len(_guest_rows(page)) == 3
    box.send_keys("plain")
    WebDriverWait(page, 5).until(lambda d: len(_guest_rows(d)) == 1)
    assert _column(page, "name") == ["plain-guest"]
    assert "of 1 (filtered from 3)" in page.find_element(By.CSS_SELECTOR, "#guests .count").text
    box.clear()
    box.send_keys(" ")  # clear() sends no input event; a key does
    WebDriverWait(page, 5).until(lambda d: len(_guest_rows(d)) == 3)


def test_sorting_by_a_column(page):
    header = next(th for th in page.find_elements(By.CSS_SELECTOR, "#guests thead th") if th.text == "memory_mib")
    header.click()
    assert _column(page, "memory_mib") == ["512", "1024", "2048"]
    header.click()
    assert _column(page, "memory_mib") == ["2048", "1024", "512"]
    assert header.get_attribute("aria-sort") == "descending"


def test_closed_sections_load_when_opened(page):
    page.find_element(By.CSS_SELECTOR, "#disks summary").click()
    WebDriverWait(page, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#disks tbody tr"))
    cells = [td.text for td in page.find_elements(By.CSS_SELECTOR, "#disks tbody td")]
    assert any("<svg onload=alert(3)>" in text for text in cells)


def test_screenshot(page, tmp_path: Path):
    shot = tmp_path / "report.png"
    assert page.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_prints_to_pdf_with_every_section_open(page):
    import base64

    pdf = base64.b64decode(page.print_page())
    assert pdf[:5] == b"%PDF-"
    closed = page.execute_script("return [...document.querySelectorAll('details')].filter(d => !d.open).length")
    assert closed == 0  # beforeprint opened them
