"""Noderanges over a real inventory: the nodegroup table, dynamic groups, attribute selection (issue 8.1).

Dynamic groups follow xCAT's DBobjUtils.pm ``getGroupMembers`` (members: the
nodes matching every ``attr<op>value`` of ``wherevals``, split on ``::``),
Utils.pm ``parse_selection_string`` (operators) and ``selection_string_match``
(an attribute the node lacks matches nothing, not even ``!=``). Static groups:
expandatom reads members from nodelist.groups only; a nodegroup row with no
members there selects nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.inventory.inventory_synthetic import synthetic_scan
from tests.inventory.rows import Rows
from vminv import inventory
from vminv.errors import NodeRangeError
from vminv.inventory import SCHEMA_VERSION, schema
from vminv.inventory.location import Location

H0 = [f"vm0000x{g:03d}" for g in range(3)]  # on kvmhost0000
H1 = [f"vm0001x{g:03d}" for g in range(3)]  # on kvmhost0001

GROUPS = [
    ("onhost0", "dynamic", "vmhost==kvmhost0000", None),
    ("maint0", "dynamic", "vmhost==kvmhost0000::groups=~maint", None),
    ("notonhost0", "dynamic", "vmhost!=kvmhost0000", None),
    ("byname", "dynamic", "node=~x002$", None),
    ("lastwins", "dynamic", "vmhost==kvmhost0000::vmhost=kvmhost0001", None),
    ("regexslashes", "dynamic", "vmhost=~/0001$/", None),
    ("off", "dynamic", "vmhost==kvmhost0000", "yes"),
    ("emptystatic", "static", None, None),
    ("vm", "static", None, None),
    ("bad", "dynamic", "vmhost", None),
    ("unknownattr", "dynamic", "color==blue", None),
]


@pytest.fixture
def db(db_path: Location) -> Location:
    inventory.record_scan(db_path, synthetic_scan(range(2), 3), "w")
    rows = Rows(db_path)
    rows.execute("UPDATE nodelist SET groups = 'vm,all,maint' WHERE node = ?", [H0[1]])
    rows.execute("INSERT INTO nodelist (node, groups) VALUES ('bare1', 'all')")  # no vm row
    for group in GROUPS:
        rows.execute("INSERT INTO nodegroup (groupname, grouptype, wherevals, disable) VALUES (?, ?, ?, ?)", group)
    return db_path


def names(db: Path, text: str) -> list[str]:
    return [row.name for row in inventory.list_guests(db, text)]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("onhost0", H0),
        ("maint0", [H0[1]]),  # every pair must match
        ("notonhost0", H1),  # bare1 has no vmhost: '!=' does not match it
        ("byname", [H0[2], H1[2]]),  # the attribute 'node' is the node's name
        ("lastwins", H1),  # a later pair of the same attribute replaces the earlier
        ("regexslashes", H1),  # one '/' stripped from each end
        ("vm", H0 + H1),  # static: members from nodelist.groups
        ("onhost0,-maint0", [H0[0], H0[2]]),
        ("all@onhost0", H0),
    ],
)
def test_dynamic_and_static_groups(db, text, expected):
    assert names(db, text) == expected


def test_a_disabled_group_is_no_group(db):
    assert inventory.resolve_noderange(db, "off") == ["off"]  # a host name then, as any unknown name


def test_a_static_group_without_members_selects_nothing(db):
    with pytest.raises(NodeRangeError, match="selects nothing"):
        inventory.resolve_noderange(db, "emptystatic")
    assert inventory.resolve_noderange(db, "emptystatic,bare1") == ["bare1"]  # not kept as a host name


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("bad", "dynamic group 'bad' has an incorrect attr*val pair 'vmhost' in wherevals"),
        ("unknownattr", "no node attribute 'color'"),
        ("vm.nosuch==1", "table 'vm' has no column 'nosuch'"),
        ("nodegroup.groupname==vm", "no table 'nodegroup' to select nodes by"),
        ("scans.id==1", "no table 'scans'"),
    ],
)
def test_bad_selections_are_one_line(db, text, fragment):
    with pytest.raises(NodeRangeError) as caught:
        inventory.resolve_noderange(db, text)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("vm.host==kvmhost0000", H0),
        ("vm.host!=kvmhost0000", H1),
        ("vm.host=~0001", H1),
        ("vm.host!~0001", H0),
        ("groups=~maint", [H0[1]]),
        ("nodetype.arch==x86_64@vm.host==kvmhost0001", H1),
        ("mgt==kvm,-vm.host==kvmhost0000", H1),
        ("(vm.host==kvmhost0000,vm.host==kvmhost0001)@groups=~maint", [H0[1]]),
    ],
)
def test_attribute_selection_over_the_tables(db, text, expected):
    assert names(db, text) == expected
    nodes, _ = inventory.export_nodes(db, text)
    assert [n.node for n in nodes] == expected


def test_noderange_file(db, tmp_path):
    listing = tmp_path / "hosts.txt"
    listing.write_text(f"# patch window\n{H0[0]}  first\nonhost0\n-{H0[1]}\n^{tmp_path}/other\n", encoding="utf-8")
    assert names(db, f"^{listing}") == [H0[0], H0[2]]
    with pytest.raises(NodeRangeError, match="cannot read noderange file"):
        inventory.resolve_noderange(db, f"^{tmp_path}/missing.txt")
    with pytest.raises(NodeRangeError, match="is not a regular file"):
        inventory.resolve_noderange(db, f"^{tmp_path}")
    os.mkfifo(tmp_path / "fifo")  # would hang a reader that waits for a writer
    with pytest.raises(NodeRangeError, match="is not a regular file"):
        inventory.resolve_noderange(db, f"^{tmp_path}/fifo")
    (tmp_path / "big").write_bytes(b"a\n" * 600_000)
    with pytest.raises(NodeRangeError, match="is over 1,048,576 bytes"):
        inventory.resolve_noderange(db, f"^{tmp_path}/big")
    (tmp_path / "latin1").write_bytes(b"caf\xe9\n")
    with pytest.raises(NodeRangeError, match="is not UTF-8"):
        inventory.resolve_noderange(db, f"^{tmp_path}/latin1")


def test_the_nodegroup_table_is_added_by_a_migration(sqlite_path):
    db_path = sqlite_path
    inventory.record_scan(db_path, synthetic_scan(range(1), 1), "w")
    step = [name for name, _ in schema.MIGRATIONS].index("xCAT nodegroup table") + 1
    with sqlite3.connect(db_path) as conn:  # a file written before the step
        conn.execute("DROP TABLE nodegroup")
        conn.execute("DELETE FROM _migrations WHERE version >= ?", [step])
        conn.execute(f"PRAGMA user_version = {step - 1}")
    assert len(inventory.list_guests(db_path)) == 1
    with sqlite3.connect(db_path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(nodegroup)")]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # xCAT's columns (perl-xCAT Schema.pm nodegroup), keyed by groupname.
    assert columns == ["groupname", "grouptype", "members", "membergroups", "wherevals", "comments", "disable"]


def test_a_run_profile_reads_the_whole_grammar(db):
    """``vminv run``'s targets come from the same expansion as rscan's."""
    from vminv.runner.config import Profile
    from vminv.runner.targets import profile_targets

    Rows(db).execute("UPDATE nodelist SET groups = 'hosts' WHERE node = 'bare1'")
    plan = profile_targets(Profile("nightly", "kvmhost0000,groups=~hosts"), db, None)
    assert [t.name for t in plan.targets] == ["bare1", "kvmhost0000"]


def test_hosts_are_selected_by_their_hypervisor_rows(db):
    """rscan -w gives every scanned host a hypervisor row (no nodelist row): rscan hypervisor.type==kvm rescans them."""
    assert inventory.resolve_noderange(db, "hypervisor.type==kvm") == ["kvmhost0000", "kvmhost0001"]
