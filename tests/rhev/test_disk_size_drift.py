"""Disk size drift (issue 8.6): the engine's provisioned size against libvirt's capacity, per disk id.

Pure cases first; then end to end: the simulated site scanned, saved as a replay folder
with a ``disk_sizes.json`` (fixtures/engine/disk_sizes), replayed, recorded, and
reconciled by ``vminv reconcile`` against the simulated engine over v4, v3.6 and v3.0
(which has only ``size``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from tests.engine_sim import EngineMode
from tests.rhev.conftest import ENGINE_FIXTURES, HOSTS_DIR, SITE_HOSTS
from tests.rhev.test_cli import cli, password_file, run  # noqa: F401 (fixtures)
from tests.rhev.test_devices import APP01, IMAGE, engine_disk
from tests.rhev.test_reconcile import engine_vm, scan, snapshot
from vminv import inventory
from vminv.rhev.devices import DiskSizeCheck, disk_differences, disk_size_checks
from vminv.rhev.reconcile import reconcile
from vminv.scanner.disksizes import DISK_SIZES_FILE
from vminv.scanner.replay import scan_replay
from vminv.scanner.savereplay import save_replay
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

GIB = 2**30
WEB01 = "2ec39619-1523-4bd5-9ddc-5a5cf55928f7"


def sized(capacity: int | None):
    """APP01 with its one disk's capacity as libvirt's block stats gave it."""
    disks = tuple(dataclasses.replace(d, capacity_bytes=capacity) if d.serial else d for d in APP01.disks)
    return dataclasses.replace(APP01, disks=disks)


def test_a_size_both_sides_know_and_disagree_on_is_drift():
    guest = sized(30 * GIB)
    assert disk_differences([engine_disk(IMAGE)], guest.disks, "kvm1") == [
        f"disk app01_Disk1 ({IMAGE}) size 20 GiB in the engine, 30 GiB on kvm1"]
    (check,) = disk_size_checks([engine_disk(IMAGE)], guest.disks)
    assert check == DiskSizeCheck(IMAGE, "app01_Disk1", "sda", 20 * GIB, 30 * GIB, compared=True, differs=True)


def test_equal_sizes_and_unknown_sizes_are_no_drift_and_the_unknown_says_so():
    assert disk_differences([engine_disk(IMAGE)], sized(20 * GIB).disks, "kvm1") == []
    assert disk_size_checks([engine_disk(IMAGE)], sized(20 * GIB).disks)[0].compared
    unknown_here = disk_size_checks([engine_disk(IMAGE)], sized(None).disks)
    unknown_there = disk_size_checks([engine_disk(IMAGE, provisioned_size_bytes=None)], sized(20 * GIB).disks)
    for (check,) in (unknown_here, unknown_there):
        assert not check.compared and not check.differs
    assert disk_differences([engine_disk(IMAGE, provisioned_size_bytes=None)], sized(20 * GIB).disks, "kvm1") == []


def test_a_size_off_by_a_sector_reads_exactly():
    found = disk_differences([engine_disk(IMAGE)], sized(20 * GIB + 512).disks, "kvm1")
    assert found == [f"disk app01_Disk1 ({IMAGE}) size 20 GiB in the engine,"
                     f" 20.00 GiB (21474836992 bytes) on kvm1"]


def test_the_finding_carries_the_sizes_for_json():
    guest = dataclasses.replace(sized(30 * GIB), uuid="9a6f3c1e-2b4d-4e8f-a0c2-5d7e9f1a3b5c")
    vm = engine_vm("rhel8-app01", guest.uuid, memory_bytes=4 * 2**30, cpu_sockets=2,
                   nics=(), disks=(engine_disk(IMAGE),))
    vm = dataclasses.replace(vm, nics=None)
    (finding,) = reconcile(scan([guest]), snapshot([vm]))
    assert finding.kind == "drift"
    assert list(finding.to_dict()["disk_sizes"]) == [{
        "disk": IMAGE, "alias": "app01_Disk1", "target": "sda", "engine_bytes": 20 * GIB,
        "libvirt_bytes": 30 * GIB, "compared": True, "differs": True}]
    # An external VM's devices are not the engine's to compare: no sizes either.
    external = dataclasses.replace(vm, origin="external")
    (finding,) = reconcile(scan([guest]), snapshot([external]))
    assert finding.kind == "ok" and finding.disk_sizes == ()


@pytest.fixture(scope="module")
def replay_with_sizes(tmp_path_factory) -> Path:
    """The simulated site scanned as rscan would, saved with --save, kvm01's sizes added."""
    targets = [HostTarget(name, f"test://{HOSTS_DIR / file}") for name, file in SITE_HOSTS.items()]
    scanned = scan_hosts(targets, ScanSettings(timeout_s=20.0, keep_xml=True), noderange=",".join(SITE_HOSTS))
    folder = tmp_path_factory.mktemp("site") / "replay"
    assert save_replay(scanned, folder).complete
    shutil.copy(ENGINE_FIXTURES / "disk_sizes" / "kvm01.json", folder / "kvm01" / DISK_SIZES_FILE)
    return folder


@pytest.mark.parametrize("version", ["4.3", "3.6", "3.0"])
def test_reconcile_reports_size_drift_end_to_end(cli, start_engine, pki, password_file,  # noqa: F811
                                                 replay_with_sizes, tmp_path, version):
    db = tmp_path / "inventory.db"
    inventory.record_scan(db, scan_replay(replay_with_sizes), None)
    engine = start_engine(EngineMode(version=version))
    result = run(cli, ["reconcile", "--rhevm", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = {f["guest"]: f for f in json.loads(result.stdout)["findings"] if f["kind"] in ("ok", "drift")}
    web01 = findings["web01"]
    assert web01["kind"] == "drift" and web01["uuid"] == WEB01
    assert web01["detail"].endswith(" size 20 GiB in the engine, 30 GiB on kvm01")
    (sizes,) = web01["disk_sizes"]
    assert (sizes["target"], sizes["engine_bytes"], sizes["libvirt_bytes"], sizes["compared"]) == (
        "vda", 20 * GIB, 30 * GIB, True)
    hosted = findings["HostedEngine"]
    assert hosted["kind"] == "ok" and hosted["disk_sizes"][0]["compared"] is True
    # kvm02's guests have no sizes in the replay: nothing compared, and JSON says so.
    app_new = findings["app-new"]
    assert app_new["kind"] == "ok"
    assert [(s["compared"], s["libvirt_bytes"], s["engine_bytes"]) for s in app_new["disk_sizes"]] == [
        (False, None, 20 * GIB)]
