"""Retention of scans on both backends: old scans go, every guest's history stays readable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vminv import inventory
from vminv.errors import UsageError
from vminv.inventory.retention import prune_scans


def _four_days(simulate, db_path):
    inventory.record_scan(db_path, simulate({"kvmhost1": ["kvm1", "kvm2"], "kvmhost2": []}, day=1), "w")
    inventory.record_scan(db_path, simulate({"kvmhost1": ["kvm1-4cpu", "kvm2"], "kvmhost2": []}, day=2), "w")
    inventory.record_scan(db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1-4cpu"]}, day=3), "w")
    inventory.record_scan(db_path, simulate({"kvmhost1": [], "kvmhost2": ["kvm1-4cpu"]}, day=4), "w")


def test_keeping_the_last_scans_keeps_the_history(simulate, db_path):
    _four_days(simulate, db_path)
    before = inventory.guest_history(db_path, "kvm1").events
    report = prune_scans(db_path, keep_scans=2, vacuum="always")
    assert report.scans_removed == 2 and report.observations_removed == 4 and report.versions_removed >= 1
    if isinstance(db_path, Path):  # a file: VACUUM leaves it (and its WAL) no larger than before
        assert report.vacuumed and report.bytes_after <= report.bytes_before
    assert [s.id for s in sorted(inventory.list_scans(db_path), key=lambda s: s.id)] == [3, 4]
    after = inventory.guest_history(db_path, "kvm1").events
    assert [(e.event, e.field, e.old_value, e.new_value) for e in after] == [
        (e.event, e.field, e.old_value, e.new_value) for e in before]
    assert {"first_seen", "changed", "moved"} <= {e.event for e in after}
    gone = inventory.guest_history(db_path, "kvm2").events
    assert [e.event for e in gone if e.event in ("first_seen", "gone")] == ["first_seen", "gone"]
    assert inventory.diff_scans(db_path, 3, 4).scan_b == 4  # kept scans still compare


def test_keeping_days_never_removes_the_newest_scan(simulate, db_path):
    _four_days(simulate, db_path)
    now = datetime(2024, 5, 30, tzinfo=UTC)
    assert prune_scans(db_path, keep_days=2, vacuum="never", now=now).scans_removed == 3
    assert [s.id for s in inventory.list_scans(db_path)] == [4]
    assert prune_scans(db_path, keep_days=0, now=now).scans_removed == 0


def test_retention_needs_a_limit(db_path):
    with pytest.raises(UsageError):
        prune_scans(db_path)
    with pytest.raises(UsageError):
        prune_scans(db_path, keep_scans=0)
