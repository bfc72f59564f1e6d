"""Disks by the engine's disk id, NICs by MAC (issue 8.6): what the old count comparison missed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.rhev.test_reconcile import engine_vm, scan, snapshot
from vminv.rhev.devices import disk_differences, disk_identities, nic_differences
from vminv.rhev.model import EngineDisk, EngineNic
from vminv.rhev.reconcile import reconcile
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.model import Disk, Nic

DOMAINS = Path(__file__).resolve().parents[2] / "fixtures" / "domains"
APP01 = parse_domain((DOMAINS / "vdsm-running-rhel8-app01.xml").read_bytes(), "kvm1", "running")
IMAGE = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"  # its disk's <serial>, imageID and ua- alias


def engine_disk(disk_id: str, **changes: object) -> EngineDisk:
    disk = EngineDisk(disk_id, "app01_Disk1", 20 * 2**30, 2**30, "cow", "virtio_scsi", True, True, False, "ok",
                      "data", (), shareable=False)
    return dataclasses.replace(disk, **changes)  # type: ignore[arg-type]


def test_the_three_ways_vdsm_names_a_disk():
    assert disk_identities(APP01.disks[1]) == {IMAGE}
    assert disk_identities(Disk("disk", "block", "/dev/x", "sdb", "scsi", "raw", False, alias="ua-ABC")) == {"abc"}
    assert disk_identities(Disk("disk", "file", "/x", "vda", "virtio", "raw", False, alias="virtio-disk0")) == set()


def test_same_count_other_disk_is_drift():
    # One disk on each side, but not the same one: counting saw nothing wrong.
    other = "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d"
    found = disk_differences([engine_disk(other)], APP01.disks, "kvm1")
    assert found == [
        f"disk sda ({IMAGE}) on kvm1, not attached in the engine",
        f"disk app01_Disk1 ({other}) attached in the engine, not on kvm1",
    ]


def test_matched_disk_compared_field_by_field():
    assert disk_differences([engine_disk(IMAGE.upper())], APP01.disks, "kvm1") == []
    drifted = engine_disk(IMAGE, format="raw", interface="virtio", read_only=True, shareable=True)
    assert disk_differences([drifted], APP01.disks, "kvm1") == [
        f"disk app01_Disk1 ({IMAGE}) format raw in the engine, qcow2 on kvm1",
        f"disk app01_Disk1 ({IMAGE}) interface virtio in the engine, scsi on kvm1",
        f"disk app01_Disk1 ({IMAGE}) read-only yes in the engine, no on kvm1",
        f"disk app01_Disk1 ({IMAGE}) shareable yes in the engine, no on kvm1",
    ]


def test_active_volume_the_engine_and_vdsm_disagree_on():
    volume = "e7f8a9b0-c1d2-4e3f-a4b5-c6d7e8f9a0b1"  # VDSM's volumeID of the fixture's disk
    assert disk_differences([engine_disk(IMAGE, image_id=volume.upper())], APP01.disks, "kvm1") == []
    stale = "0f0e0d0c-0b0a-4909-8807-060504030201"
    assert disk_differences([engine_disk(IMAGE, image_id=stale)], APP01.disks, "kvm1") == [
        f"disk app01_Disk1 ({IMAGE}) active volume {stale} in the engine, {volume} on kvm1"]


def test_unplugged_and_metadata_disks_and_cdroms_are_not_compared():
    ovf = engine_disk("ovf-1", content_type="ovf_store")
    unplugged = engine_disk("old-1", active=False)
    assert disk_differences([engine_disk(IMAGE), ovf, unplugged], APP01.disks, "kvm1") == []


def test_a_disk_without_any_id_pairs_with_a_leftover_engine_disk_only_by_count():
    lun = Disk("lun", "block", "/dev/mapper/36001405", "sdb", "scsi", "raw", False)
    disks = (*APP01.disks, lun)
    assert disk_differences([engine_disk(IMAGE), engine_disk("lun-1", storage_type="lun")], disks, "kvm1") == []
    assert disk_differences([engine_disk(IMAGE)], disks, "kvm1") == ["disk sdb on kvm1 has no engine disk id"]


def test_nics_by_mac_then_model():
    mac = APP01.nics[0].mac
    nic = EngineNic("n1", "nic1", mac, "virtio", True, None, None)
    assert nic_differences([nic], APP01.nics, "kvm1") == []
    assert nic_differences([dataclasses.replace(nic, interface="e1000")], APP01.nics, "kvm1") == [
        f"NIC {mac} model e1000 in the engine, virtio on kvm1"]
    passthrough = dataclasses.replace(nic, interface="pci_passthrough")
    assert nic_differences([passthrough], APP01.nics, "kvm1") == [
        f"NIC {mac} passed through in the engine, bridge on kvm1"]
    vf = Nic("hostdev", mac, None, None, None, source_pci="0000:3b:02.1")
    assert nic_differences([passthrough], [vf], "kvm1") == []
    unplugged = dataclasses.replace(nic, mac="00:1a:4a:00:00:77", plugged=False)
    assert nic_differences([nic, unplugged], APP01.nics, "kvm1") == []


def test_reconcile_reports_per_disk_drift_end_to_end():
    guest = dataclasses.replace(APP01, uuid="9a6f3c1e-2b4d-4e8f-a0c2-5d7e9f1a3b5c")
    mac = APP01.nics[0].mac
    vm = engine_vm("rhel8-app01", guest.uuid, memory_bytes=4 * 2**30, cpu_sockets=2,
                   nics=(EngineNic("n1", "nic1", mac, "virtio", True, None, None),),
                   disks=(engine_disk(IMAGE, format="raw"),))
    (finding,) = reconcile(scan([guest]), snapshot([vm]))
    assert finding.kind == "drift"
    assert finding.detail == f"disk app01_Disk1 ({IMAGE}) format raw in the engine, qcow2 on kvm1"
