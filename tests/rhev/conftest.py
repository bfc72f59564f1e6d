"""Fixtures for the rhev tests: certificates, the simulated engine, scanned hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine_sim import EngineMode, EngineSimulator, Pki, Scenario, load, make_pki
from vminv.rhev.settings import EngineSettings
from vminv.scanner.model import ScanResult

ROOT = Path(__file__).resolve().parents[2]
ENGINE_FIXTURES = ROOT / "fixtures" / "engine"
HOSTS_DIR = ENGINE_FIXTURES / "hosts"

# Scanned name -> node file. kvm02 is scanned under its FQDN (matched to the engine
# host by address); kvm04 has no node file, so its scan fails (unreachable).
SITE_HOSTS = {
    "kvm01": "kvm01.xml",
    "kvm02.example.com": "kvm02.xml",
    "kvm03": "kvm03.xml",
    "kvm04": "kvm04.xml",
}


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def site_scenario() -> Scenario:
    return load(ENGINE_FIXTURES / "site.json")


@pytest.fixture
def start_engine(pki: Pki) -> Iterator[Callable[..., EngineSimulator]]:
    """Start simulators: ``start_engine(mode=EngineMode(...), scenario=...)``; all stopped after the test."""
    started: list[EngineSimulator] = []

    def start(mode: EngineMode | None = None, scenario: Scenario | None = None) -> EngineSimulator:
        simulator = EngineSimulator(scenario or site_scenario(), pki, mode)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


def settings_for(engine: EngineSimulator, pki: Pki, **overrides: object) -> EngineSettings:
    values: dict[str, object] = {
        "url": engine.url, "user": engine.user, "password": engine.password, "ca_file": pki.ca_file,
        "timeout_s": 5.0, "backoff_s": 0.01, "page_size": 500,
    }
    values.update(overrides)
    return EngineSettings(**values)  # type: ignore[arg-type]


def scan_site() -> ScanResult:
    """Scan the simulated hosts through libvirt's test driver, as rscan would."""
    from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

    targets = [HostTarget(name, f"test://{HOSTS_DIR / file}") for name, file in SITE_HOSTS.items()]
    return scan_hosts(targets, ScanSettings(timeout_s=20.0, concurrency=4), noderange=",".join(SITE_HOSTS))


@pytest.fixture(scope="session")
def site_scan() -> ScanResult:
    return scan_site()
