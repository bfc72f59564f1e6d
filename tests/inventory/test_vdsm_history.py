"""VDSM's run-time bookkeeping is not a change; the engine's configuration is.

The rules (scanner/vdsm.py) are read from VDSM's code: the ovirt-vm keys that
lib/vdsm/virt/vm.py writes itself (``Vm._update_metadata``,
``Vm.sync_jobs_metadata``, ``Vm._initCpuManagement``) and the active volume
that a snapshot or live merge moves (livemerge.py, ``Vm.sync_disk_metadata``).
fixtures/vdsm holds one VM at five moments of its life.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vminv import inventory
from vminv.inventory.records import changed_fields, tracked_fields
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.replay import scan_replay
from vminv.scanner.vdsm import VDSM_RUNTIME_KEYS, configuration_metadata, image_path

VDSM = Path(__file__).resolve().parents[2] / "fixtures" / "vdsm"
MOMENTS = ["app02-1-running", "app02-2-merging", "app02-3-merged", "app02-4-restarted", "app02-5-reconfigured"]


def record(moment: str):
    return parse_domain((VDSM / f"{moment}.xml").read_bytes(), "kvmhost1", "running")


@pytest.mark.parametrize(
    "before,after",
    [(MOMENTS[0], MOMENTS[1]), (MOMENTS[1], MOMENTS[2]), (MOMENTS[2], MOMENTS[3]), (MOMENTS[0], MOMENTS[3])],
)
def test_merge_and_restart_are_not_changes(before, after):
    old, new = record(before), record(after)
    assert old != new  # the records do differ: ids, volume, start time...
    assert changed_fields(old, new) == []


def test_the_engines_configuration_is_a_change():
    changes = changed_fields(record(MOMENTS[3]), record(MOMENTS[4]))
    assert [field for field, _, _ in changes] == ["ovirt"]
    _, old, new = changes[0]
    assert '"clusterVersion": "4.7"' in old and '"clusterVersion": "4.8"' in new
    assert '"minGuaranteedMemoryMb": "1536"' in new and '"resumeBehavior": "kill"' in new
    assert "startTime" not in new and "memGuaranteedSize" not in new


def test_the_record_keeps_everything_only_tracking_leaves_bookkeeping_out():
    merging = record(MOMENTS[1])
    assert merging.ovirt is not None and "jobs" in merging.ovirt and "startTime" in merging.ovirt
    assert merging.disks[1].vdsm_volume_id == "2e4a6c8e-0b2d-4f6a-9c8e-4b6d8f0a2c4e"
    assert record(MOMENTS[2]).disks[1].vdsm_volume_id == "9d1b3f5a-7c9e-4b1d-8f3a-5c7e9b1d3f5a"
    tracked = tracked_fields(merging)
    assert "jobs" not in (tracked["ovirt"] or "") and "(active volume)" in (tracked["disks"] or "")


def test_a_disk_replaced_by_another_image_is_still_a_change():
    old = record(MOMENTS[0])
    other_image = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    text = (VDSM / f"{MOMENTS[0]}.xml").read_text().replace("c41d7e2a-9b3f-4a6c-8d5e-1f7a3b9c2d4e", other_image)
    new = parse_domain(text, "kvmhost1", "running")
    assert [field for field, _, _ in changed_fields(old, new)] == ["disks"]


def test_a_plain_disk_keeps_its_path_and_format_tracked():
    xml = (VDSM / f"{MOMENTS[0]}.xml").read_text()
    plain = xml.replace("/rhev/data-center/mnt/nfs02.example.com:_exports_data2/8f2e4d6c-1a3b-4c5d-9e7f-0a2b4c6d8e1f"
                        "/images/c41d7e2a-9b3f-4a6c-8d5e-1f7a3b9c2d4e/", "/var/lib/libvirt/images/")
    reformatted = plain.replace("type='qcow2' cache='none'", "type='raw' cache='none'")
    changes = changed_fields(parse_domain(plain, "h", "running"), parse_domain(reformatted, "h", "running"))
    assert [field for field, _, _ in changes] == ["disks"]


@pytest.mark.parametrize(
    "path,image",
    [
        ("/rhev/data-center/mnt/blockSD/c0b55558-5038-4a2b-bc96-47aff28d0218/images/"
         "222d9718-f2d9-4b95-bd7f-e8dfe565cf56/6c0f1c64-90ac-4a68-839d-5a47af1d3890",
         "/rhev/data-center/mnt/blockSD/c0b55558-5038-4a2b-bc96-47aff28d0218/images/222d9718-f2d9-4b95-bd7f-e8dfe565cf56"),
        ("/var/lib/libvirt/images/a.qcow2", None),
        ("/srv/images/222d9718-f2d9-4b95-bd7f-e8dfe565cf56/6c0f1c64-90ac-4a68-839d-5a47af1d3890", None),  # no domain dir
        (None, None),
    ],
)
def test_image_path_only_for_vdsms_layout(path, image):
    assert image_path(path) == image


def test_configuration_keeps_unknown_keys_and_drops_vdsms_own():
    values = dict.fromkeys(VDSM_RUNTIME_KEYS, "x") | {"clusterVersion": "4.8", "someFutureEngineKey": "1"}
    assert configuration_metadata(values) == {"clusterVersion": "4.8", "someFutureEngineKey": "1"}
    assert configuration_metadata(None) is None


def test_history_and_diff_through_the_inventory(tmp_path):
    db = tmp_path / "inv.db"
    for moment in MOMENTS:
        folder = tmp_path / moment / "kvmhost1"
        folder.mkdir(parents=True)
        shutil.copy(VDSM / f"{moment}.xml", folder / "app02.xml")
        inventory.record_scan(db, scan_replay(tmp_path / moment), None)
    changed = [e for e in inventory.guest_history(db, "app02").events if e.event == "changed"]
    assert [(e.scan_id, e.field) for e in changed] == [(5, "ovirt")]
    for first, second in ((1, 2), (2, 3), (3, 4)):
        assert inventory.diff_scans(db, first, second).entries == ()
    assert [(e.change, e.field) for e in inventory.diff_scans(db, 4, 5).entries] == [("changed", "ovirt")]
