"""Engine facts an inventory wants, the same from every API version the simulator speaks.

VM: FQDN, guest OS, guest IP addresses (guest agent: v4 NIC reported_devices,
v3 guest_info), guaranteed memory, high availability, pinned hosts, pending
configuration. Host: OS, VDSM and libvirt versions, CPU model, hardware serial.
"""

from __future__ import annotations

import pytest

from tests.engine_sim import EngineMode
from tests.rhev.conftest import settings_for
from vminv.rhev.lsve import build_lsve, format_lsve
from vminv.rhev.snapshot import read_engine

GIB = 2**30


@pytest.fixture(params=["4.3", "4.1", "3.6"])
def snapshot(request, start_engine, pki):
    engine = start_engine(EngineMode(version=request.param))
    return read_engine(settings_for(engine, pki))


def test_vm_facts(snapshot) -> None:
    v4 = snapshot.api.version >= 4
    web = next(vm for vm in snapshot.vms if vm.name == "web01")
    hosts = {h.name: h.id for h in snapshot.hosts}
    assert web.fqdn == "web01.example.com"
    assert web.guest_ips == ("10.0.10.21", "fe80::21a:4aff:fe16:101")
    assert web.guaranteed_memory_bytes == GIB and web.memory_bytes == 2 * GIB
    assert (web.high_availability, web.ha_priority, web.placement_affinity) == (True, 50, "user_migratable")
    # v3 before 3.6's <hosts> names one pinned host; the simulator's 3.x writes that form.
    assert web.pinned_host_ids == ((hosts["kvm01"], hosts["kvm02"]) if v4 else (hosts["kvm01"],))
    assert web.pending_configuration is False
    if v4:  # guest_operating_system exists in v4 only
        assert (web.guest_os_distribution, web.guest_os_version, web.guest_os_family) == ("CentOS Linux", "7", "Linux")
        assert web.guest_os_kernel == "3.10.0-957.27.2.el7.x86_64"
        assert web.max_memory_bytes == 8 * GIB
    else:
        assert web.guest_os_distribution is None and web.max_memory_bytes is None
    db = next(vm for vm in snapshot.vms if vm.name == "db01")
    assert db.pending_configuration is True and db.fqdn is None and db.guest_ips == ()
    down = next(vm for vm in snapshot.vms if vm.status == "down")
    assert down.fqdn is None and down.guest_ips == ()


def test_host_facts(snapshot) -> None:
    kvm01 = next(h for h in snapshot.hosts if h.name == "kvm01")
    assert kvm01.os_type == "RHEL" and kvm01.os_version == "7.9 - 9.el7"
    assert kvm01.vdsm_version == "vdsm-4.30.50-1.el7ev"
    assert kvm01.libvirt_version == "libvirt-4.5.0-36.el7_9.5"
    assert kvm01.hardware_serial == "8F1VQ01"
    assert kvm01.cpu_model and "Xeon" in kvm01.cpu_model
    assert (kvm01.cpu_type is not None) == (snapshot.api.version >= 4)


def test_facts_are_in_the_snapshot_json(snapshot) -> None:
    data = snapshot.to_dict()
    web = next(vm for vm in data["vms"] if vm["name"] == "web01")
    assert web["fqdn"] == "web01.example.com" and web["guest_ips"][0] == "10.0.10.21"
    assert {"guaranteed_memory_bytes", "high_availability", "pinned_host_ids", "pending_configuration"} <= set(web)
    host = next(h for h in data["hosts"] if h["name"] == "kvm01")
    assert host["vdsm_version"] == "vdsm-4.30.50-1.el7ev" and host["hardware_serial"] == "8F1VQ01"


def test_lsve_shows_vms_and_hosts(snapshot) -> None:
    text = format_lsve(build_lsve(snapshot, "vm", "web01"))
    assert text.startswith("vms: [web01]\n")
    for line in (" fqdn: web01.example.com", " ips: 10.0.10.21,fe80::21a:4aff:fe16:101", " ha: true",
                 " guaranteed_memory: 1073741824", " pending_configuration: false", " pinned_hosts: kvm01"):
        assert line in text
    host_text = format_lsve(build_lsve(snapshot, "host", "kvm01"))
    for line in (" vdsm: vdsm-4.30.50-1.el7ev", " libvirt: libvirt-4.5.0-36.el7_9.5", " serial: 8F1VQ01",
                 " os: RHEL 7.9 - 9.el7"):
        assert line in host_text

