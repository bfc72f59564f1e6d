"""--follow-moves: a migrated guest (same UUID, old host answered without it) is moved, not a conflict."""

from __future__ import annotations

from tests.inventory.rows import Rows
from vminv import inventory
from vminv.inventory import record_scan


def _vm(db_path, node):
    return Rows(db_path)["vm"].get(node)


def _written(simulate, db_path):
    record_scan(db_path, simulate({"kvmhost1": ["kvm1", "kvm2"], "kvmhost2": []}, day=1), "w")
    Rows(db_path).execute("UPDATE vm SET comments = 'owner: web team' WHERE node = 'kvm1'")


def test_a_migrated_guest_is_followed_keeping_admin_values_and_history_shows_the_move(simulate, db_path):
    _written(simulate, db_path)
    report = record_scan(db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1"]}, day=2), "w", follow_moves=True)
    assert report.conflicts == ()
    assert [(e.node, e.host) for e in report.moved] == [("kvm1", "kvmhost2")]
    assert any(e.node == "kvm1" and "vm.host" in e.reason for e in report.updated)
    row = _vm(db_path, "kvm1")
    assert (row["host"], row["comments"]) == ("kvmhost2", "owner: web team")
    events = [(e.event, e.old_value, e.new_value) for e in inventory.guest_history(db_path, "kvm1").events]
    assert ("moved", "kvmhost1", "kvmhost2") in events
    # Next scan: the guest is simply "same" on its new host.
    again = record_scan(db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1"]}, day=3), "w", follow_moves=True)
    assert again.conflicts == () and again.unchanged == 2


def test_without_follow_moves_the_migration_stays_a_conflict(simulate, db_path):
    _written(simulate, db_path)
    report = record_scan(db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1"]}, day=2), "w")
    assert [e.node for e in report.conflicts] == ["kvm1"]
    assert _vm(db_path, "kvm1")["host"] == "kvmhost1"


def test_a_different_uuid_under_the_same_name_stays_a_conflict(simulate, db_path):
    _written(simulate, db_path)
    report = record_scan(
        db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1-other"]}, day=2), "w", follow_moves=True
    )
    assert [e.node for e in report.conflicts] == ["kvm1"]
    assert _vm(db_path, "kvm1")["host"] == "kvmhost1"


def test_no_move_is_followed_while_the_old_host_did_not_answer(simulate, db_path):
    _written(simulate, db_path)
    report = record_scan(db_path, simulate({"kvmhost1": None, "kvmhost2": ["kvm1"]}, day=2), "w", follow_moves=True)
    assert [e.node for e in report.conflicts] == ["kvm1"]
    assert _vm(db_path, "kvm1")["host"] == "kvmhost1"


def test_no_move_is_followed_while_the_old_host_still_has_it(simulate, db_path):
    _written(simulate, db_path)
    report = record_scan(
        db_path, simulate({"kvmhost1": ["kvm1", "kvm2"], "kvmhost2": ["kvm1"]}, day=2), "w", follow_moves=True
    )
    assert {e.node for e in report.conflicts} == {"kvm1"}
    assert _vm(db_path, "kvm1")["host"] == "kvmhost1"


def test_without_a_write_flag_only_vm_host_follows(simulate, db_path):
    _written(simulate, db_path)
    before = _vm(db_path, "kvm1")
    report = record_scan(
        db_path, simulate({"kvmhost1": ["kvm2"], "kvmhost2": ["kvm1-4cpu"]}, day=2), None, follow_moves=True
    )
    assert report.conflicts == ()
    after = _vm(db_path, "kvm1")
    assert after["host"] == "kvmhost2"
    assert {k: v for k, v in after.items() if k != "host"} == {k: v for k, v in before.items() if k != "host"}
