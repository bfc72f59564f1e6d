"""Writing scans of simulated hosts (libvirt's test driver) into a real SQLite file."""

from __future__ import annotations

import pytest

from tests.inventory.rows import Rows
from vminv import inventory
from vminv.inventory import format_write_report, load_scan, record_scan
from vminv.inventory.location import Location
from vminv.scanner.model import DomainProblem

H1, H2 = "kvmhost1", "kvmhost2"


def vm_rows(db_path: Location) -> dict[str, tuple]:
    return {r["node"]: (r["host"], r["cpus"], r["storage"]) for r in Rows(db_path).query("SELECT node, host, cpus, storage FROM vm")}


def pairs(entries) -> set[tuple[str, str]]:
    return {(e.node, e.host) for e in entries}


SCENARIO_1 = {H1: ["kvm1"], H2: ["kvm1-other"]}
SCENARIO_2 = {H1: ["kvm1-4cpu"], H2: ["kvm1-other"]}
IMAGE = "/var/lib/libvirt/images/kvm1.qcow2"
OTHER_IMAGE = "/data/vms/kvm1.qcow2"

# (case, kvm1 already written from kvmhost1?, hosts, mode, vm rows after, written, updated, skipped, conflicts)
CASES = [
    ("scenario 1 -w", False, SCENARIO_1, "w", {"kvm1": (H2, "2", OTHER_IMAGE)}, {("kvm1", H2)}, set(), set(),
     {("kvm1", H1)}),
    ("scenario 1 -n", False, SCENARIO_1, "n", {"kvm1": (H2, "2", OTHER_IMAGE)}, {("kvm1", H2)}, set(), set(),
     {("kvm1", H1)}),
    ("scenario 1 -u", False, SCENARIO_1, "u", {}, set(), set(), set(), {("kvm1", H1), ("kvm1", H2)}),
    ("scenario 1, no flag", False, SCENARIO_1, None, {}, set(), set(), set(), {("kvm1", H1), ("kvm1", H2)}),
    ("scenario 2 -w", True, SCENARIO_2, "w", {"kvm1": (H1, "4", IMAGE)}, set(), {("kvm1", H1)}, set(),
     {("kvm1", H2)}),
    ("scenario 2 -u", True, SCENARIO_2, "u", {"kvm1": (H1, "4", IMAGE)}, set(), {("kvm1", H1)}, set(),
     {("kvm1", H2)}),
    ("scenario 2 -n", True, SCENARIO_2, "n", {"kvm1": (H1, "2", IMAGE)}, set(), set(), {("kvm1", H1)},
     {("kvm1", H2)}),
    ("scenario 2, no flag", True, SCENARIO_2, None, {"kvm1": (H1, "2", IMAGE)}, set(), set(), set(),
     {("kvm1", H1), ("kvm1", H2)}),
    ("scenario 2, other host only -w", True, {H2: ["kvm1-other"]}, "w", {"kvm1": (H1, "2", IMAGE)}, set(), set(),
     set(), {("kvm1", H2)}),
]


@pytest.mark.parametrize(
    "case, seeded, hosts, mode, vm_after, written, updated, skipped, conflicts", CASES, ids=[c[0] for c in CASES]
)
def test_design_scenarios(simulate, db_path, case, seeded, hosts, mode, vm_after, written, updated, skipped, conflicts):
    if seeded:
        record_scan(db_path, simulate({H1: ["kvm1"]}, day=1), "w")
    report = record_scan(db_path, simulate(hosts, day=2), mode)
    assert vm_rows(db_path) == vm_after
    assert pairs(report.written) == written
    assert pairs(report.updated) == updated
    assert pairs(report.skipped) == skipped
    assert pairs(report.conflicts) == conflicts
    # Each skipped or conflicting guest has a line of its own with its reason.
    lines = format_write_report(report)
    for entry in (*report.skipped, *report.conflicts):
        assert f"{entry.node} on {entry.host}: {entry.action}: {entry.reason}" in lines


def test_columns_written_as_rscan_shows_them(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm2", "kvm3:shutoff"], H2: ["kvm4"]}), "w")
    db = Rows(db_path)
    vm = {r["node"]: r for r in db["vm"].rows}
    assert vm["kvm2"]["nics"] == "br0,default"
    assert vm["kvm2"]["nicmodel"] == "virtio,e1000"
    assert vm["kvm2"]["storage"] == "/var/lib/libvirt/images/kvm2.qcow2"  # the cdrom is not storage
    assert vm["kvm2"]["memory"] == "1024" and vm["kvm2"]["cpus"] == "1"
    assert vm["kvm3"]["memory"] == "976.56" and vm["kvm3"]["powerstate"] == "shutoff"
    assert vm["kvm2"]["powerstate"] == "running"
    assert vm["kvm4"]["storage"] == "/var/lib/libvirt/images/kvm4-root.qcow2,/var/lib/libvirt/images/kvm4-data.raw"
    assert db["mac"].get("kvm2")["mac"] == "52:54:00:00:01:02|52:54:00:00:01:12"
    assert db["vpd"].get("kvm2")["uuid"] == "0b6f3d2e-7f3a-4c1e-9a55-5d2b8c7e1f02"
    assert db["nodetype"].get("kvm4")["arch"] == "x86_64"
    assert db["nodelist"].get("kvm3")["groups"] == "vm,all"
    nodehm = db["nodehm"].get("kvm3")
    assert (nodehm["mgt"], nodehm["serialport"], nodehm["serialspeed"]) == ("kvm", "0", "115200")
    assert {r["node"]: r["type"] for r in db["hypervisor"].rows} == {H1: "kvm", H2: "kvm"}
    assert db["guest_nics"].count == 4 and db["guest_disks"].count == 5


def test_admin_values_survive_updates(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1"]}, day=1), "w")
    db = Rows(db_path)
    db["nodelist"].update("kvm1", {"groups": "web,vm", "status": "booted", "comments": "owner: ops"})
    db["vm"].update("kvm1", {"othersettings": "vcpupin:0-3", "comments": "keep me", "mgr": "rhevm.example.com",
                             "cluster": "prod", "datacenter": "dc1"})
    db["nodetype"].update("kvm1", {"os": "rhels8.6"})
    db["nodehm"].update("kvm1", {"mgt": "ipmi", "serialport": "1", "serialspeed": "9600"})
    db["mac"].update("kvm1", {"comments": "pxe nic"})
    db["vpd"].update("kvm1", {"comments": "asset 42"})
    db.close()

    report = record_scan(db_path, simulate({H1: ["kvm1-4cpu"]}, day=2), "u")

    db = Rows(db_path)
    assert db["nodelist"].get("kvm1") == {
        "node": "kvm1", "groups": "web,vm,all", "status": "booted", "comments": "owner: ops", "disable": None
    }
    vm = db["vm"].get("kvm1")
    assert (vm["cpus"], vm["memory"]) == ("4", "4096")
    assert (vm["othersettings"], vm["comments"], vm["mgr"], vm["cluster"], vm["datacenter"]) == (
        "vcpupin:0-3", "keep me", "rhevm.example.com", "prod", "dc1"
    )
    assert db["nodetype"].get("kvm1")["os"] == "rhels8.6"
    nodehm = db["nodehm"].get("kvm1")
    assert (nodehm["mgt"], nodehm["serialport"], nodehm["serialspeed"]) == ("ipmi", "1", "9600")
    assert db["mac"].get("kvm1")["comments"] == "pxe nic"
    assert db["vpd"].get("kvm1")["comments"] == "asset 42"
    (entry,) = report.updated
    assert entry.reason.endswith("changed vm.cpus, vm.memory, nodelist.groups")


def test_unchanged_scan_writes_nothing_and_owned_columns_are_restored(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=1), "w")
    report = record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=2), "w")
    assert (report.unchanged, report.updated, report.written) == (2, (), ())
    # A scan-owned column edited by hand is put back to what the host says.
    Rows(db_path)["vm"].update("kvm2", {"cpus": "99"})
    report = record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=3), "u")
    assert [(e.node, e.reason.split("; ")[-1]) for e in report.updated] == [("kvm2", "changed vm.cpus")]
    assert vm_rows(db_path)["kvm2"][1] == "1"


def test_invalid_node_names_are_skipped_with_a_reason(simulate, db_path):
    report = record_scan(db_path, simulate({H1: ["web.example.com", "kvm2"]}), "w")
    assert pairs(report.written) == {("kvm2", H1)}
    assert [e.reason for e in report.skipped] == [
        "'web.example.com' is not a valid xCAT node name (letters, digits, '-' and '_' only); "
        "not written to the node tables"
    ]
    # It is still in the inventory's own record of what the scan saw.
    assert {g.name for g in inventory.list_guests(db_path)} == {"kvm2", "web.example.com"}


def test_a_scan_without_flag_is_recorded_but_writes_no_node_table(simulate, db_path):
    report = record_scan(db_path, simulate({H1: ["kvm1"], H2: None}), None)
    assert vm_rows(db_path) == {}
    (summary,) = inventory.list_scans(db_path)
    assert (summary.id, summary.mode, summary.hosts_ok, summary.hosts_failed) == (report.scan_id, None, 1, 1)
    assert summary.failed_hosts == ("kvmhost2 (unreachable)",)
    _, coverage = inventory.scan_coverage(db_path, report.scan_id)
    assert [(h.host, h.status, h.error_class, h.error) for h in coverage] == [
        (H1, "ok", None, None),
        (H2, "failed", "unreachable", "cannot reach kvmhost2: connection refused"),
    ]
    assert [g.name for g in inventory.list_guests(db_path)] == ["kvm1"]


def test_a_host_that_fails_keeps_all_its_guests(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"], H2: ["kvm3"]}, day=1), "w")
    report = record_scan(db_path, simulate({H1: None, H2: []}, day=2), "w")
    assert pairs(report.gone) == {("kvm3", H2)}  # kvmhost2 answered without it
    states = {(g.name, g.hypervisor): (g.state, g.last_seen) for g in inventory.list_guests(db_path)}
    assert states == {
        ("kvm1", H1): ("running", "2024-05-01T10:00:00+00:00"),
        ("kvm2", H1): ("running", "2024-05-01T10:00:00+00:00"),
        ("kvm3", H2): ("gone", "2024-05-01T10:00:00+00:00"),
    }
    assert set(vm_rows(db_path)) == {"kvm1", "kvm2", "kvm3"}  # gone is not deleted


def test_a_domain_the_host_could_not_read_is_not_gone(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=1), None)
    scan = simulate({H1: ["kvm1"]}, day=2)
    host = scan.hosts[0]
    damaged = host.__class__(**{**host.__dict__, "problems": (DomainProblem("kvm2", "XMLDesc failed"),)})
    report = record_scan(db_path, scan.__class__(**{**scan.__dict__, "hosts": (damaged,)}), None)
    assert report.gone == ()


def test_a_stored_scan_rebuilds_exactly(simulate, db_path):
    scan = simulate({H1: ["kvm1", "kvm2", "kvm3:shutoff"], H2: None, "kvmhost3": ["kvm4", "web.example.com"]})
    record_scan(db_path, simulate({H1: ["kvm1"]}, day=1), "w")
    report = record_scan(db_path, scan, "w")
    assert load_scan(db_path, report.scan_id) == scan
    assert load_scan(db_path) == scan
    assert load_scan(db_path, 1).guests[0].name == "kvm1"


def test_the_database_directory_is_created(simulate, tmp_path):
    db_path = tmp_path / "deep" / "er" / "inventory.db"
    record_scan(db_path, simulate({H1: ["kvm1"]}), None)
    assert db_path.exists()


def test_a_new_guest_joins_rows_the_administrator_prepared(simulate, db_path):
    record_scan(db_path, simulate({H1: []}, day=1), None)  # creates the file
    db = Rows(db_path)
    db["nodelist"].insert({"node": "kvm2", "groups": "compute", "comments": "reserved"})
    db["nodehm"].insert({"node": "kvm2", "mgt": "", "serialport": None})
    db["nodetype"].insert({"node": "kvm2", "os": "rhels9"})
    db.close()
    report = record_scan(db_path, simulate({H1: ["kvm2"]}, day=2), "n")
    assert pairs(report.written) == {("kvm2", H1)}
    db = Rows(db_path)
    assert db["nodelist"].get("kvm2")["groups"] == "compute,vm,all"
    assert db["nodelist"].get("kvm2")["comments"] == "reserved"
    nodehm = db["nodehm"].get("kvm2")
    assert (nodehm["mgt"], nodehm["serialport"]) == ("kvm", None)  # serial settings only on a new row
    assert (db["nodetype"].get("kvm2")["arch"], db["nodetype"].get("kvm2")["os"]) == ("x86_64", "rhels9")
    assert db["vm"].get("kvm2")["host"] == H1
