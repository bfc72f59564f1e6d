"""A first scan into a new inventory skips staging and matching in SQL: it must store what the general path stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vminv.inventory import record_scan, store

# kvm1 twice on kvmhost1 (the last counts) and once on kvmhost2 (a conflict), a
# name xCAT refuses, a host that fails; then changed, gone, moved and new guests.
FIRST = {"kvmhost1": ["kvm1", "kvm2", "kvm1-4cpu"], "kvmhost2": ["kvm1-other", "kvm3", "web.example.com"],
         "kvmhost3": None}
SECOND = {"kvmhost1": ["kvm1", "kvm3"], "kvmhost2": ["kvm1-other", "kvm4"], "kvmhost3": ["kvm2"]}


def _dump(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a fixed order (_migrations holds when the file was made)."""
    with sqlite3.connect(db_path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}"), key=repr) for t in tables if t != "_migrations"}


@pytest.mark.parametrize("mode", [None, "w"])
def test_a_first_scan_stores_what_the_general_path_stores(simulate, tmp_path, monkeypatch, mode):
    first, second = simulate(FIRST, day=1), simulate(SECOND, day=2)
    fast, general = tmp_path / "fast.db", tmp_path / "general.db"
    record_scan(fast, first, mode)
    with monkeypatch.context() as patch:
        # As if the inventory had guests: the scan is staged and matched in SQL.
        patch.setattr(store, "_has_guests", lambda _db: True)
        record_scan(general, first, mode)
    dumped = _dump(fast)
    assert dumped == _dump(general)
    assert len(dumped["guests"]) == 5 and len(dumped["guest_events"]) == 5 and dumped["guest_disks"]
    # A second scan (the general path for both) finds the same history in both.
    for path in (fast, general):
        record_scan(path, second, mode)
    assert _dump(fast) == _dump(general)
