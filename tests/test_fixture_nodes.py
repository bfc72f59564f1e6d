"""The simulated hosts in ``fixtures/nodes`` load in libvirt's test driver as intended.

Each node file holds the persistent config of guests from ``fixtures/domains``
(see fixtures/nodes/build_nodes.py); here libvirt itself loads every host, and
every guest it reports is compared with the fixture it came from.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import libvirt
import pytest

from vminv.scanner.domainxml import parse_domain
from vminv.scanner.model import GuestRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NODES = FIXTURES / "nodes"
DOMAINS = FIXTURES / "domains"

# host -> {guest name: state}, as `virsh -c test:///.../HOST.xml list --all` shows it
EXPECTED_HOSTS = {
    "kvmhost1": {
        "web01": "running",
        "db01": "running",
        "rhel8-app01": "running",
        "build01": "shutoff",
        "vm-größe": "shutoff",
        "app01.example.com": "shutoff",
    },
    "kvmhost2": {"web01": "shutoff", "nfv01": "running", "虚拟机1": "running", "pxe-probe01": "running"},
    "kvmhost3": {"numa-guest": "running", "tmpl-centos7": "shutoff", "bare01": "running"},
    "empty": {},
}
STATE_NAMES = {libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_SHUTOFF: "shutoff"}


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_nodes", NODES / "build_nodes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDER = _load_builder()


@pytest.fixture(scope="module", autouse=True)
def quiet_libvirt():
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def _open(host: str) -> libvirt.virConnect:
    return libvirt.openReadOnly(f"test://{NODES / host}.xml")


def test_node_files_are_exactly_the_simulated_hosts():
    assert sorted(p.stem for p in NODES.glob("*.xml")) == sorted(EXPECTED_HOSTS)


@pytest.mark.parametrize("host", sorted(EXPECTED_HOSTS))
def test_host_loads_with_its_guests_and_states(host):
    conn = _open(host)
    try:
        found = {d.name(): STATE_NAMES.get(d.state()[0], str(d.state()[0])) for d in conn.listAllDomains(0)}
        assert found == EXPECTED_HOSTS[host]
        for domain in conn.listAllDomains(0):
            assert (domain.ID() == -1) == (found[domain.name()] == "shutoff")
    finally:
        conn.close()


def _fixture_records() -> dict[str, GuestRecord]:
    records = {}
    for host, members in BUILDER.HOSTS.items():
        for file_name, _shut_off in members:
            record = parse_domain((DOMAINS / file_name).read_bytes(), host)
            records[f"{host}/{record.uuid}"] = record
    return records


def _config_view(record: GuestRecord) -> dict:
    """What a persistent definition fixes; ids, vnet targets and ports are the driver's own."""
    return {
        "type": record.type,
        "name": record.name,
        "memory_kib": record.memory_kib,
        "current_memory_kib": record.current_memory_kib,
        "vcpus": (record.vcpus, record.vcpus_current),
        "topology": (record.cpu_sockets, record.cpu_dies, record.cpu_cores, record.cpu_threads),
        "os": (record.os_type, record.arch, record.machine),
        "nics": [(n.type, n.mac, n.source, n.model) for n in record.nics],
        "disks": [(d.device, d.type, d.source, d.target, d.bus, d.format, d.readonly) for d in record.disks],
        "graphics": [g.type for g in record.graphics],
        "text": (record.title, record.description),
        "ovirt": record.ovirt,
    }


@pytest.mark.parametrize("host", ["kvmhost1", "kvmhost2", "kvmhost3"])
def test_every_guest_dumps_and_matches_its_domain_fixture(host):
    fixtures = _fixture_records()
    conn = _open(host)
    try:
        domains = conn.listAllDomains(0)
        assert domains
        for domain in domains:
            record = parse_domain(domain.XMLDesc(0), host)
            source = fixtures[f"{host}/{record.uuid}"]
            mine = _config_view(source)
            if source.nics and all(n.mac is None for n in source.nics):
                pytest.fail(f"{source.name}: node guests need fixed MACs")  # else libvirt invents them
            assert _config_view(record) == mine, record.name
            assert (record.id is None) == (EXPECTED_HOSTS[host][record.name] == "shutoff")
    finally:
        conn.close()


def test_same_guest_name_on_two_hosts_with_different_uuids():
    uuids = {}
    for host in ("kvmhost1", "kvmhost2"):
        conn = _open(host)
        try:
            uuids[host] = conn.lookupByName("web01").UUIDString()
        finally:
            conn.close()
    assert uuids["kvmhost1"] != uuids["kvmhost2"]


def test_vdsm_guest_keeps_its_ovirt_metadata_in_the_test_driver():
    conn = _open("kvmhost1")
    try:
        record = parse_domain(conn.lookupByName("rhel8-app01").XMLDesc(0), "kvmhost1")
    finally:
        conn.close()
    assert record.ovirt is not None and record.ovirt["clusterVersion"] == "4.7"


def test_node_files_are_up_to_date_with_the_domain_fixtures():
    # build_nodes.py derives the node files; a fixture edited without rebuilding shows here.
    for host in BUILDER.HOSTS:
        assert (NODES / f"{host}.xml").read_text(encoding="utf-8") == BUILDER.node_file(host), host
    assert (NODES / "empty.xml").read_text(encoding="utf-8") == BUILDER.EMPTY_NODE
