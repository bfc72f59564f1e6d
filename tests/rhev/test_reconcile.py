"""Reconciliation: pure unit cases, and end to end (scanned test-driver hosts vs the simulated engine)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.engine_sim import EngineMode
from tests.rhev.conftest import settings_for
from vminv.cli.common import render_table
from vminv.rhev.attributes import engine_attributes
from vminv.rhev.matching import match_hosts
from vminv.rhev.model import EngineApi, EngineDisk, EngineHost, EngineNic, EngineSnapshot, EngineVm
from vminv.rhev.reconcile import KINDS, Finding, reconcile, summarize
from vminv.rhev.snapshot import read_engine
from vminv.scanner.model import Disk, GuestRecord, HostFacts, HostResult, Nic, ScanResult

API = EngineApi(version=4, base_path="/ovirt-engine/api", product_name="oVirt Engine", vendor="ovirt.org",
                product_version="4.3.10", major=4, minor=3, links=())


def facts(uuid: str | None = None, hostname: str | None = None) -> HostFacts:
    return HostFacts(hostname=hostname, hypervisor_type="QEMU", hypervisor_version="7.2.0", libvirt_version="9.0.0",
                     uuid=uuid, arch="x86_64", cpu_model=None, cpu_sockets=2, cpu_cores=8, cpu_threads=2, cpus=32,
                     memory_kib=2**26)


def scanned_host(name: str, ok: bool = True, **kwargs: Any) -> HostResult:
    return HostResult(name=name, uri=f"qemu+ssh://root@{name}/system", status="ok" if ok else "failed",
                      error_class=None if ok else "unreachable", error=None if ok else "no route to host",
                      facts=facts(**kwargs) if ok else None, duration_s=0.1)


def guest(name: str, uuid: str, host: str, state: str = "running", **changes: Any) -> GuestRecord:
    record = GuestRecord(
        hypervisor=host, type="kvm", name=name, uuid=uuid, id=1 if state != "shutoff" else None, state=state,
        vcpus=16, vcpus_current=2, memory_kib=2 * 2**20, current_memory_kib=2 * 2**20, os_type="hvm",
        arch="x86_64", machine="pc", cpu_sockets=16, cpu_dies=1, cpu_cores=1, cpu_threads=1,
        nics=(Nic("bridge", "00:1a:4a:00:00:01", "ovirtmgmt", "virtio", None),),
        disks=(Disk("disk", "file", "/rhev/x", "vda", "virtio", "qcow2", False),
               Disk("cdrom", "file", None, "hdc", "ide", "raw", True)),
        graphics=(), title=None, description=None,
    )
    return dataclasses.replace(record, **changes)


def engine_host(name: str, **changes: Any) -> EngineHost:
    host = EngineHost(id=f"id-{name}", name=name, address=f"{name}.example.com", cluster_id=None, status="up",
                      type="rhel", hardware_uuid=None, cpu_sockets=2, cpu_cores=8, cpu_threads=2, memory_bytes=2**36)
    return dataclasses.replace(host, **changes)


def engine_vm(name: str, uuid: str, status: str = "up", host: str | None = "kvm1", **changes: Any) -> EngineVm:
    vm = EngineVm(
        id=uuid, name=name, status=status, host_id=f"id-{host}" if host else None, cluster_id=None, template_id=None,
        memory_bytes=2 * 2**30, cpu_sockets=2, cpu_cores=1, cpu_threads=1, os_type="rhel_7x64", origin="ovirt",
        type="server", description=None, creation_time=None, start_time=None, stop_time=None,
        nics=(EngineNic("n1", "nic1", "00:1a:4a:00:00:01", "virtio", True, None, None),),
        disks=(EngineDisk("d1", "d", 2**34, 2**30, "cow", "virtio", True, True, False, "ok", "data", ()),),
    )
    return dataclasses.replace(vm, **changes)


def snapshot(vms: list[EngineVm], hosts: list[EngineHost] | None = None) -> EngineSnapshot:
    hosts = hosts if hosts is not None else [engine_host("kvm1"), engine_host("kvm2"), engine_host("kvm3")]
    return EngineSnapshot(url="https://rhevm.example.com", api=API, read_at="2024-01-01T00:00:00Z",
                          hosts=tuple(hosts), vms=tuple(vms))


def scan(guests: list[GuestRecord], hosts: list[HostResult] | None = None) -> ScanResult:
    hosts = hosts if hosts is not None else [scanned_host("kvm1"), scanned_host("kvm2"), scanned_host("kvm3")]
    return ScanResult(started="s", finished="f", version="0", noderange="kvm[1-3]", hosts=tuple(hosts),
                      guests=tuple(guests))


U1 = "11111111-1111-1111-1111-111111111111"
U2 = "22222222-2222-2222-2222-222222222222"


def kinds(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.kind, f.guest) for f in findings]


# --- host matching -------------------------------------------------------------------


def test_hosts_match_by_hardware_uuid_in_any_case_then_address_then_name() -> None:
    scanned = [
        scanned_host("node-a", uuid="4c4c4544-0046-3110-8056-b8c04f513233"),
        scanned_host("kvm2.example.com"),
        scanned_host("kvm3"),
    ]
    engine = [
        engine_host("kvm1", hardware_uuid="4C4C4544-0046-3110-8056-B8C04F513233", address="10.0.0.1"),
        engine_host("kvm2"),
        engine_host("kvm3", address="192.0.2.3"),
    ]
    links = {l.scanned: (l.engine_host_id, l.by) for l in match_hosts(scanned, engine)}
    assert links == {
        "node-a": ("id-kvm1", "hardware_uuid"),
        "kvm2.example.com": ("id-kvm2", "address"),
        "kvm3": ("id-kvm3", "name"),
    }


def test_duplicate_hardware_uuids_are_not_trusted() -> None:
    placeholder = "03000200-0400-0500-0006-000700080009"  # a board vendor's placeholder
    scanned = [scanned_host("x1", uuid=placeholder), scanned_host("kvm2", uuid=placeholder.lower())]
    engine = [engine_host("kvm1", hardware_uuid=placeholder), engine_host("kvm2", hardware_uuid=placeholder)]
    links = {l.scanned: l.by for l in match_hosts(scanned, engine)}
    assert links == {"kvm2": "address"}  # its short name; x1 stays unmatched


def test_short_names_match_fqdns() -> None:
    links = match_hosts([scanned_host("kvm1")], [engine_host("kvm1.example.com", address="10.1.1.1")])
    assert [(l.scanned, l.by) for l in links] == [("kvm1", "name")]


# --- every finding kind --------------------------------------------------------------


def test_ok_and_drift() -> None:
    vms = [engine_vm("same", U1), engine_vm("drifted", U2, memory_bytes=4 * 2**30, cpu_sockets=4)]
    guests = [guest("same", U1, "kvm1"),
              guest("drifted", U2, "kvm1", nics=(Nic("bridge", "00:1A:4A:00:00:99", "x", "virtio", None),))]
    findings = reconcile(scan(guests), snapshot(vms))
    assert kinds(findings) == [("drift", "drifted"), ("ok", "same")]
    detail = findings[0].detail
    assert "memory 4096 MiB in the engine, 2048 MiB on kvm1" in detail
    assert "vcpus 4 in the engine" in detail and "2 on kvm1" in detail
    assert "only in the engine 00:1a:4a:00:00:01" in detail and "only on kvm1 00:1a:4a:00:00:99" in detail
    assert "disks" not in detail  # the cdrom is not a disk the engine lists


def test_disk_count_drift_ignores_unplugged_and_metadata_disks() -> None:
    extra = EngineDisk("d2", "ovf", 2**27, 2**27, "raw", "virtio", False, True, False, "ok", "ovf_store", ())
    unplugged = EngineDisk("d3", "old", 2**30, 2**30, "cow", "virtio", False, False, False, "ok", "data", ())
    added = EngineDisk("d4", "new", 2**30, 2**30, "cow", "virtio", False, True, False, "ok", "data", ())
    base = engine_vm("a", U1)
    vm_ok = dataclasses.replace(base, disks=(*(base.disks or ()), extra, unplugged))
    assert kinds(reconcile(scan([guest("a", U1, "kvm1")]), snapshot([vm_ok]))) == [("ok", "a")]
    vm_more = dataclasses.replace(base, disks=(*(base.disks or ()), added))
    findings = reconcile(scan([guest("a", U1, "kvm1")]), snapshot([vm_more]))
    assert findings[0].kind == "drift" and findings[0].detail == "disks 2 in the engine, 1 on kvm1"


def test_wrong_host() -> None:
    findings = reconcile(scan([guest("a", U1, "kvm2")]), snapshot([engine_vm("a", U1, host="kvm1")]))
    assert findings == [Finding("wrong_host", "a", U1, "kvm1", "kvm2",
                                "the engine says it runs on kvm1, it runs on kvm2", "uuid")]


def test_state_mismatch_both_ways() -> None:
    vms = [engine_vm("down-but-running", U1, status="down", host=None), engine_vm("up-but-paused", U2)]
    guests = [guest("down-but-running", U1, "kvm3"), guest("up-but-paused", U2, "kvm1", state="paused")]
    findings = reconcile(scan(guests), snapshot(vms))
    assert kinds(findings) == [("state_mismatch", "down-but-running"), ("state_mismatch", "up-but-paused")]
    assert findings[0].detail == "the engine says down, kvm3 has it running"


def test_missing_and_not_covered() -> None:
    hosts = [scanned_host("kvm1"), scanned_host("kvm2", ok=False)]
    vms = [engine_vm("gone", U1, host="kvm1"), engine_vm("unreachable", U2, host="kvm2"),
           engine_vm("elsewhere", "33333333-3333-3333-3333-333333333333", host="kvm3")]
    findings = reconcile(scan([], hosts), snapshot(vms))
    assert kinds(findings) == [("missing", "gone"), ("not_covered", "elsewhere"), ("not_covered", "unreachable")]
    assert "could not be scanned (unreachable)" in findings[2].detail
    assert "which was not scanned" in findings[1].detail


def test_engine_up_but_only_shut_off_copy_is_a_state_mismatch() -> None:
    findings = reconcile(scan([guest("a", U1, "kvm1", state="shutoff")]), snapshot([engine_vm("a", U1)]))
    assert kinds(findings) == [("state_mismatch", "a")]


def test_unmanaged_only_on_engine_hosts() -> None:
    hosts = [scanned_host("kvm1"), scanned_host("plainkvm")]
    guests = [guest("scratch", U1, "kvm1"), guest("other", U2, "plainkvm")]
    findings = reconcile(scan(guests, hosts), snapshot([]))
    assert findings == [Finding("unmanaged", "scratch", U1, "kvm1", "kvm1", "running on kvm1, unknown to the engine")]


def test_duplicate_active_and_migration() -> None:
    vms = [engine_vm("twice", U1), engine_vm("moving", U2, status="migrating")]
    guests = [guest("twice", U1, "kvm1"), guest("twice", U1, "kvm2"),
              guest("moving", U2, "kvm1"), guest("moving", U2, "kvm2", state="paused")]
    findings = reconcile(scan(guests), snapshot(vms))
    assert kinds(findings) == [("duplicate_active", "twice"), ("ok", "moving")]
    assert findings[0].scanned_host == "kvm1,kvm2"
    assert findings[1].detail.startswith("migrating from kvm1 to kvm2")


def test_stale_definition() -> None:
    vms = [engine_vm("moved", U1, host="kvm2"), engine_vm("stopped", U2, status="down", host=None)]
    guests = [guest("moved", U1, "kvm1", state="shutoff"), guest("moved", U1, "kvm2"),
              guest("stopped", U2, "kvm3", state="shutoff")]
    findings = reconcile(scan(guests), snapshot(vms))
    assert kinds(findings) == [("stale_definition", "moved"), ("stale_definition", "stopped"),
                               ("ok", "moved"), ("ok", "stopped")]
    assert findings[0].scanned_host == "kvm1"


def test_name_only_match_is_reported_as_such() -> None:
    findings = reconcile(scan([guest("app", U2, "kvm1")]), snapshot([engine_vm("app", U1)]))
    assert [(f.kind, f.match) for f in findings] == [("ok", "name")]
    assert findings[0].detail.startswith(f"matched by name only (libvirt uuid {U2})")


def test_external_vm_matches_by_uuid_and_skips_device_drift() -> None:
    vm = engine_vm("external-legacy", U1, origin="external", nics=(), disks=())
    findings = reconcile(scan([guest("legacy", U1, "kvm1")]), snapshot([vm]))
    assert [(f.kind, f.match) for f in findings] == [("ok", "uuid")]


def test_summary_counts_every_kind() -> None:
    summary = summarize([Finding("ok", "a", U1, None, None, "")])
    assert list(summary) == list(KINDS) and summary["ok"] == 1 and summary["missing"] == 0


def test_engine_attributes() -> None:
    values = engine_attributes(scan([guest("a", U1, "kvm1")]), snapshot([engine_vm("a", U1)]))
    assert values.vm_attrs == {"a": {"host": "kvm1", "mgr": "rhevm.example.com"}}
    assert values.host_attrs["kvm1"] == {"type": "rhevh", "mgr": "rhevm.example.com"}


# --- end to end: test-driver hosts scanned, then reconciled against the simulator ------------


EXPECTED = {
    "missing": {"ghost01"},
    "wrong_host": {"db01"},
    "duplicate_active": {"dup01"},
    "state_mismatch": {"off01", "pause01"},
    "unmanaged": {"scratch", "HostedEngineLocal"},
    "stale_definition": {"moved01"},
    "drift": {"big01"},
    "not_covered": {"far01", "lab-vm01"},
    "ok": {"web01", "mig01", "moved01", "HostedEngine", "external-legacy01", "crème-brûlée", "数据库01",
           "app-new", "legacy-app", "archive01"},
}


def findings_table(findings: list[Finding]) -> str:
    columns = ("kind", "guest", "uuid", "engine_host", "scanned_host", "match", "detail")
    return render_table([[getattr(f, c) for c in columns] for f in findings], columns) + "\n"


@pytest.fixture(scope="module")
def site_findings(pki, site_scan) -> dict[int, list[Finding]]:
    from tests.engine_sim import EngineSimulator
    from tests.rhev.conftest import site_scenario

    results = {}
    for api_version in (4, 3):
        with EngineSimulator(site_scenario(), pki, EngineMode(version="4.3")) as engine:
            results[api_version] = reconcile(site_scan, read_engine(settings_for(engine, pki, api_version=api_version)))
    return results


def test_every_finding_kind_end_to_end(site_findings: dict[int, list[Finding]]) -> None:
    found: dict[str, set[str]] = {}
    for finding in site_findings[4]:
        found.setdefault(finding.kind, set()).add(finding.guest)
    assert found == EXPECTED
    assert set(found) == set(KINDS)


def test_v3_and_v4_give_the_same_findings(site_findings: dict[int, list[Finding]]) -> None:
    assert site_findings[3] == site_findings[4]


def test_rhev_3_6_engine_gives_the_same_findings(pki, site_scan, site_findings, start_engine) -> None:
    engine = start_engine(EngineMode(version="3.6"))
    assert reconcile(site_scan, read_engine(settings_for(engine, pki))) == site_findings[4]


def test_end_to_end_details(site_findings: dict[int, list[Finding]], golden) -> None:
    by_guest = {(f.kind, f.guest): f for f in site_findings[4]}
    assert by_guest[("wrong_host", "db01")].scanned_host == "kvm02.example.com"  # matched by address
    assert by_guest[("not_covered", "far01")].detail.endswith("kvm04 could not be scanned (libvirt)")
    assert by_guest[("ok", "legacy-app")].match == "name"
    assert by_guest[("ok", "mig01")].scanned_host == "kvm01,kvm02.example.com"
    golden.check("rhev/reconcile-site.txt", findings_table(site_findings[4]))


def test_a_domain_the_scan_could_not_read_is_not_covered_not_missing() -> None:
    from vminv.scanner.model import DomainProblem

    hosts = [dataclasses.replace(scanned_host("kvm1"), problems=(DomainProblem("unreadable", "bad XML"),)),
             scanned_host("kvm2")]
    vms = [engine_vm("unreadable", U1, host="kvm1"), engine_vm("gone", U2, host="kvm1")]
    findings = reconcile(scan([], hosts), snapshot(vms))
    assert kinds(findings) == [("missing", "gone"), ("not_covered", "unreadable")]
    assert findings[1].detail == ("the engine says it runs on kvm1; the scan of kvm1 could not read domain"
                                  " unreadable (bad XML)")
    # Replay scans name the problem by file; UUID-named files count too.
    hosts = [dataclasses.replace(scanned_host("kvm1"), problems=(DomainProblem(f"{U2}.xml", "not XML"),))]
    assert kinds(reconcile(scan([], hosts), snapshot(vms))) == [("missing", "unreadable"), ("not_covered", "gone")]
    # ... and so do the NAME_UUID.xml files rscan --save writes.
    hosts = [dataclasses.replace(scanned_host("kvm1"), problems=(DomainProblem(f"gone_{U2}.xml", "not XML"),))]
    assert kinds(reconcile(scan([], hosts), snapshot(vms))) == [("missing", "unreadable"), ("not_covered", "gone")]


def test_duplicate_active_says_what_the_engine_says() -> None:
    vms = [engine_vm("off", U1, status="down", host=None), engine_vm("moving", U2, status="migrating", host="kvm3")]
    guests = [guest("off", U1, "kvm1"), guest("off", U1, "kvm2"), guest("moving", U2, "kvm1"),
              guest("moving", U2, "kvm2")]
    findings = reconcile(scan(guests), snapshot(vms))
    assert kinds(findings) == [("duplicate_active", "moving"), ("duplicate_active", "off")]
    assert findings[0].detail.endswith("(the engine says migrating from kvm3)")  # neither copy is the source
    assert findings[1].detail == "active on 2 hosts: kvm1, kvm2 (the engine says down)"
