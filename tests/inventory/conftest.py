"""Simulated hosts for the inventory tests: libvirt's test driver serving fixture domains."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from vminv.inventory.location import Location
from vminv.scanner.domainxml import parse_domain, state_name
from vminv.scanner.model import HostFacts, HostResult, ScanResult
from vminv.scanner.noderange import natural_key

DOMAINS = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "domains"
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"

Hosts = Mapping[str, Sequence[str] | None]  # host -> fixture names ("kvm2:shutoff"), None = host fails


def _domain_xml(spec: str) -> str:
    name, _, state = spec.partition(":")
    text = (DOMAINS / f"{name}.xml").read_text()
    if state == "shutoff":
        # The test driver's own way to seed a shut-off guest.
        text = re.sub(r"<domain ([^>]*)>", rf"<domain \1 xmlns:test='{TEST_NS}'>", text, count=1)
        text = text.replace("</domain>", "  <test:runstate>5</test:runstate>\n</domain>")
    return text


def _scan_host(directory: Path, host: str, specs: Sequence[str]) -> tuple[HostResult, list]:
    node_file = directory / f"{host}.xml"
    node_file.write_text("<node>\n" + "".join(_domain_xml(s) for s in specs) + "</node>\n")
    uri = f"test://{node_file}"
    libvirt = pytest.importorskip("libvirt")  # only the simulated hosts need it
    conn = libvirt.openReadOnly(uri)
    try:
        guests = [
            parse_domain(dom.XMLDesc(0), host, state_name(dom.state()[0])) for dom in conn.listAllDomains(0)
        ]
        info = conn.getInfo()
        facts = HostFacts(
            hostname=host,
            hypervisor_type=conn.getType(),
            hypervisor_version=None,
            libvirt_version=None,
            uuid=None,
            arch=info[0],
            cpu_model=None,
            cpu_sockets=info[5],
            cpu_cores=info[6],
            cpu_threads=info[7],
            cpus=info[2],
            memory_kib=info[1] * 1024,
        )
    finally:
        conn.close()
    guests.sort(key=lambda g: natural_key(g.name))
    return HostResult(host, uri, "ok", None, None, facts, 0.25, len(guests)), guests


@pytest.fixture
def simulate(tmp_path: Path) -> Callable[..., ScanResult]:
    """``simulate({"kvmhost1": ["kvm1"], "kvmhost2": None}, day=1)``: a scan of simulated hosts."""
    counter = iter(range(1, 10_000))

    def scan(hosts: Hosts, day: int = 1, noderange: str | None = None) -> ScanResult:
        directory = tmp_path / f"hosts{next(counter)}"
        directory.mkdir()
        results, guests = [], []
        for host, specs in hosts.items():
            if specs is None:
                results.append(
                    HostResult(
                        host,
                        f"qemu+ssh://root@{host}/system",
                        "failed",
                        "unreachable",
                        f"cannot reach {host}: connection refused",
                        None,
                        3.0,
                    )
                )
                continue
            result, found = _scan_host(directory, host, specs)
            results.append(result)
            guests.extend(found)
        started = f"2024-05-{day:02d}T10:00:00+00:00"
        return ScanResult(
            started=started,
            finished=f"2024-05-{day:02d}T10:00:05+00:00",
            version="0.1.0",
            noderange=noderange or ",".join(hosts),
            hosts=tuple(results),
            guests=tuple(guests),
            options={"concurrency": 16},
        )

    return scan


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_path(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """The inventory under test, on each backend: an SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return tmp_path / "inventory.db"
    return request.getfixturevalue("pg_location")  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """For what only the SQLite backend has: the file, its modes, damage, WAL."""
    return tmp_path / "inventory.db"
