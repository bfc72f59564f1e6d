"""Report fixtures: the health fleet (libvirt test driver, real scanner, dated scans) and a real Chromium."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vminv.inventory import record_scan, store_findings
from vminv.scanner.model import ScanResult
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

FLEET = Path(__file__).resolve().parents[2] / "fixtures" / "health"
DAY0 = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
NOW = DAY0 + timedelta(days=100)


def _at(day: int) -> str:
    return (DAY0 + timedelta(days=day)).isoformat(timespec="seconds")


def fleet_scan(hosts: list[str], day: int, leave_out: frozenset[str] = frozenset(), down: frozenset[str] = frozenset()) -> ScanResult:
    """Scan fleet hosts with the real scanner, dated ``day``.

    Hosts in ``down`` (and hE, which has no node file) are pointed at a node
    file that does not exist: libvirt fails them. ``leave_out`` drops guests
    by name, as if they had been undefined before this scan.
    """
    targets = [
        HostTarget(host, f"test://{FLEET / ((host + '-down' if host in down else host) + '.xml')}") for host in hosts
    ]
    scan = scan_hosts(targets, ScanSettings(), noderange=",".join(hosts))
    guests = tuple(g for g in scan.guests if g.name not in leave_out)
    hosts_out = tuple(
        dataclasses.replace(h, guest_count=sum(1 for g in guests if g.hypervisor == h.name)) for h in scan.hosts
    )
    return dataclasses.replace(scan, started=_at(day), finished=_at(day), guests=guests, hosts=hosts_out)


def build_fleet(db_path: Path) -> None:
    """Four scans over 96 days; the report is made on day 100 (see fixtures/health/build_health_nodes.py)."""
    everyone = ["hA", "hB", "hC", "hD", "hE", "hF"]
    record_scan(db_path, fleet_scan([*everyone, "hG"], 0, frozenset({"recent-off"})), None)
    hf_down = frozenset({"hF"})
    record_scan(db_path, fleet_scan([*everyone, "hG"], 20, frozenset({"gone-old"}), hf_down), None)
    record_scan(db_path, fleet_scan(["hH"], 95), None)
    record_scan(db_path, fleet_scan(everyone, 96, frozenset({"gone-old", "gone-recent"}), hf_down), None)
    store_findings(
        db_path, 4, "https://engine.example.com",
        [
            {"kind": "wrong_host", "guest": "mac-a", "uuid": "00000000-0000-4000-8000-000000000009",
             "engine_host": "hB", "scanned_host": "hA", "detail": "the engine says it runs on hB, it runs on hA"},
            {"kind": "ok", "guest": "split1", "uuid": "5b1e0000-0000-4000-8000-000000000001",
             "engine_host": "hA", "scanned_host": "hA", "detail": "up on hA"},
        ],
        recorded_at=_at(96),
    )


@pytest.fixture(scope="session")
def fleet_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fleet") / "inventory.db"
    build_fleet(path)
    return path


CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Headless Debian Chromium through Selenium, behind a dead proxy so that any network request fails and shows."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if shutil.which("chromium") is None or not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium and chromium-driver are not installed: run .ci/services")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--proxy-server=127.0.0.1:9", "--window-size=1400,1000", "--disable-extensions",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


HOSTILE_NODE = Path(__file__).resolve().parents[2] / "fixtures" / "report" / "hostile-node.xml"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two scans of a host whose guests have hostile names, titles, descriptions and sources."""
    path = tmp_path_factory.mktemp("hostile") / "inventory.db"
    target = [HostTarget("kvm-hostile", f"test://{HOSTILE_NODE}")]
    first = scan_hosts(target, ScanSettings(), noderange="kvm-hostile")
    earlier = tuple(g for g in first.guests if not g.name.startswith("="))  # added by the second scan
    record_scan(path, dataclasses.replace(first, started=_at(0), finished=_at(0), guests=earlier), "w")
    second = scan_hosts(target, ScanSettings(), noderange="kvm-hostile")
    record_scan(path, dataclasses.replace(second, started=_at(1), finished=_at(1)), "w")
    return path
