"""Disk capacities in the inventory (issue 8.6): stored per disk, migrated in, and in history.

A size that changes between two scans is a change (a disk was grown); a size that only
becomes known (the first scan with block stats) or unknown (stats refused) is not.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.inventory.rows import Rows
from vminv import inventory
from vminv.inventory import schema
from vminv.inventory.db import database
from vminv.scanner.disksizes import CAPACITY_MAX, DISK_SIZES_FILE
from vminv.scanner.replay import scan_replay

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WEB01 = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"
GIB = 2**30


def _scan(tmp_path: Path, sizes: dict[str, dict[str, int]] | None):
    folder = tmp_path / "replay"
    if not folder.exists():
        shutil.copytree(FIXTURES / "replay" / "kvmhost1", folder / "kvmhost1")
    sizes_file = folder / "kvmhost1" / DISK_SIZES_FILE
    if sizes is None:
        sizes_file.unlink(missing_ok=True)
    else:
        sizes_file.write_text(json.dumps(sizes))
    return scan_replay(folder)


def _web01_disks(db_path) -> dict[str, int | None]:
    rows = Rows(db_path).query(
        "SELECT d.target, d.capacity_bytes FROM guest_disks d JOIN guests g ON g.id = d.guest_id"
        " WHERE g.node = 'web01' ORDER BY d.position")
    return {r["target"]: r["capacity_bytes"] for r in rows}


def test_capacities_are_stored_per_disk_up_to_the_bound(db_path, tmp_path):
    inventory.record_scan(db_path, _scan(tmp_path, {WEB01: {"vda": 20 * GIB, "vdb": CAPACITY_MAX}}), "w")
    assert _web01_disks(db_path) == {"vda": 20 * GIB, "vdb": CAPACITY_MAX, "sda": None}
    stored = inventory.load_scan(db_path)
    web01 = next(g for g in stored.guests if g.name == "web01")
    assert [d.capacity_bytes for d in web01.disks] == [20 * GIB, CAPACITY_MAX, None]


def _size_events(db_path) -> list[tuple[str | None, str | None]]:
    return [(e.old_value, e.new_value) for e in inventory.guest_history(db_path, "web01").events
            if e.field == "disk_sizes"]


def test_a_grown_disk_is_a_change_and_a_size_becoming_known_or_unknown_is_not(db_path, tmp_path):
    for sizes in (None,                                        # scan 1: no block stats
                  {WEB01: {"vda": 20 * GIB, "vdb": 100 * GIB}},  # 2: first scan with them
                  {WEB01: {"vda": 30 * GIB, "vdb": 100 * GIB}},  # 3: vda grown
                  None,                                        # 4: stats refused
                  {WEB01: {"vda": 30 * GIB}},                  # 5: vdb unknown this time
                  {WEB01: {"vda": 30 * GIB + 512, "vdb": 100 * GIB}}):  # 6: grown by a sector
        inventory.record_scan(db_path, _scan(tmp_path, sizes), None)
    assert _size_events(db_path) == [
        ("vda 20 GiB; vdb 100 GiB", "vda 30 GiB; vdb 100 GiB"),
        ("vda 30 GiB", "vda 30.00 GiB (32212255232 bytes); vdb 100 GiB"),
    ]
    assert [(e.field, e.old_value) for e in inventory.diff_scans(db_path, 1, 2).entries] == []
    assert [(e.field, e.new_value) for e in inventory.diff_scans(db_path, 2, 3).entries] == [
        ("disk_sizes", "vda 30 GiB; vdb 100 GiB")]
    assert inventory.diff_scans(db_path, 3, 5).entries == ()


def test_an_inventory_from_before_the_step_gets_the_column(db_path, tmp_path):
    inventory.record_scan(db_path, _scan(tmp_path, None), "w")
    step = [name for name, _ in schema.MIGRATIONS].index("disk capacities") + 1
    with database(db_path, create=False, write=True) as db, db.write_transaction():
        db.execute("ALTER TABLE guest_disks DROP COLUMN capacity_bytes")  # as the step before left it
        db.execute("DELETE FROM _migrations WHERE version >= ?", [step])
        db.set_schema_version(step - 1)
    inventory.record_scan(db_path, _scan(tmp_path, {WEB01: {"vda": CAPACITY_MAX}}), "w")  # migrates first
    assert _web01_disks(db_path)["vda"] == CAPACITY_MAX  # BIGINT on PostgreSQL, not INTEGER
    assert Rows(db_path)["_migrations"].count == inventory.SCHEMA_VERSION


def test_a_file_whose_step_records_were_lost_keeps_its_column(sqlite_path, tmp_path):
    inventory.record_scan(sqlite_path, _scan(tmp_path, {WEB01: {"vda": GIB}}), "w")
    step = [name for name, _ in schema.MIGRATIONS].index("disk capacities") + 1
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("DELETE FROM _migrations WHERE version >= ?", [step])
        conn.execute(f"PRAGMA user_version = {step - 1}")
    assert len(inventory.list_guests(sqlite_path)) == 6  # the step runs again without harm
    assert _web01_disks(sqlite_path)["vda"] == GIB


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (512, "512 bytes"), (GIB, "1 GiB"), (20 * GIB, "20 GiB"), (3 * 2**40, "3 TiB"),
    (GIB + 1, "1.00 GiB (1073741825 bytes)"), (CAPACITY_MAX, "8192.00 PiB (9223372036854775807 bytes)"),
])
def test_sizes_read_exactly_in_history(size, text):
    from vminv.scanner.units import bytes_text

    assert bytes_text(size) == text
