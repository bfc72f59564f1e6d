"""Make the README's screenshots of the HTML report in headless Chromium.

    .venv/bin/python docs/report_screenshot.py

docs/report-screenshot.png: the health fixture fleet (tests/report/conftest.py), so that
every kind of finding shows; docs/report-demo.png: the demo inventory ./install.sh makes
from test:///default, reported with `vminv report --format html -o report.html`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.conftest import NOW, build_fleet  # noqa: E402
from vminv.report import build_report, write_report  # noqa: E402


def shoot(html: Path, png: Path, height: int) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--proxy-server=127.0.0.1:9", f"--window-size=1280,{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(html.as_uri())
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
        driver.save_screenshot(str(png))
    finally:
        driver.quit()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        fleet = work / "fleet.db"
        build_fleet(fleet)
        write_report(build_report(fleet, now=NOW), "html", work / "fleet.html")
        shoot(work / "fleet.html", ROOT / "docs" / "report-screenshot.png", 1500)
        demo = work / "vminv-demo.db"
        bin_dir = Path(sys.executable).parent
        subprocess.run([bin_dir / "rscan", "localhost", "--uri", "test:///default", "--db", demo, "-w"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([bin_dir / "vminv", "report", "--db", demo, "--format", "html", "-o", work / "report.html"],
                       check=True)
        shoot(work / "report.html", ROOT / "docs" / "report-demo.png", 1100)


if __name__ == "__main__":
    main()
