"""Edge cases found in review: guests moving back, hosts failing in the earlier scan,
stanza values mkdef would misread, prune's bounds, damaged files, node names."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.inventory.rows import Rows
from vminv import inventory
from vminv.cli import inventory_cmds
from vminv.errors import UsageError
from vminv.inventory import record_scan
from vminv.inventory.errors import InventoryError
from vminv.inventory.sqlite_file import DamagedDatabaseWarning
from vminv.inventory.xcat import is_valid_node_name

H1, H2 = "kvmhost1", "kvmhost2"


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    group = click.Group("vminv")
    inventory_cmds.register(group)
    result = CliRunner().invoke(group, [*args, "--db", str(db_path)], prog_name="vminv")
    return result.exit_code, result.stdout, result.stderr


def test_a_guest_that_moves_back_and_changes_has_its_change_in_history(simulate, db_path):
    # kvm1 and kvm1-4cpu are the same domain (same UUID): 2 vCPUs, then 4.
    record_scan(db_path, simulate({H1: ["kvm1"], H2: ["kvm3"]}, day=1), "w")
    record_scan(db_path, simulate({H1: [], H2: ["kvm3", "kvm1-4cpu"]}, day=2), "w")  # moved to H2, grown
    # Back on H1 with 2 vCPUs: equal to H1's old row, but a change from what H2 had.
    record_scan(db_path, simulate({H1: ["kvm1"], H2: ["kvm3"]}, day=3), "w")
    events = [(e.scan_id, e.event, e.field, e.old_value, e.new_value) for e in inventory.guest_history(db_path, "kvm1").events]
    assert (2, "moved", "host", H1, H2) in events and (2, "changed", "vcpus", "2", "4") in events
    assert (3, "moved", "host", H2, H1) in events
    assert (3, "changed", "vcpus", "4", "2") in events
    # History and diff agree.
    diff = [(e.change, e.field, e.old_value, e.new_value) for e in inventory.diff_scans(db_path, 2, 3).entries]
    assert ("changed", "vcpus", "4", "2") in diff


def test_guests_of_a_host_that_failed_in_the_earlier_scan_are_not_added(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1"], H2: ["kvm3"]}, day=1), "w")
    record_scan(db_path, simulate({H1: None, H2: ["kvm3"]}, day=2), "w")  # kvmhost1 fails
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"], H2: ["kvm3", "kvm4"]}, day=3), "w")
    diff = inventory.diff_scans(db_path, 2, 3)
    # kvm4 is new on a host that answered both scans; kvm1 and kvm2 were not seen by scan 2 at all.
    assert [(e.change, e.node, e.host, e.old_value, e.new_value) for e in diff.entries] == [
        ("unscanned", "kvm1", H1, "host failed", None),
        ("unscanned", "kvm2", H1, "host failed", None),
        ("added", "kvm4", H2, None, None),
    ]
    assert diff.counts()["added"] == 1
    # A host outside the earlier scan's noderange: the same.
    record_scan(db_path, simulate({"kvmhost3": ["kvm4"]}, day=4), None)
    entries = inventory.diff_scans(db_path, 1, 4).entries
    assert ("unscanned", "kvm4", "kvmhost3", "host not scanned") in [
        (e.change, e.node, e.host, e.old_value) for e in entries
    ]


def test_prune_refuses_days_that_are_not_numbers_and_survives_huge_ones(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1"]}, day=1), "w")
    record_scan(db_path, simulate({H1: []}, day=2), "w")  # kvm1 gone
    for days in (float("nan"), float("inf")):
        with pytest.raises(UsageError):
            inventory.prune(db_path, days)
    assert inventory.prune(db_path, 1e12, now=datetime(2024, 6, 1, tzinfo=UTC)) == []
    for days in ("nan", "inf", "1e12"):
        code, _, err = run(db_path, "prune", "--older-than", days)
        assert "Traceback" not in err and err.count("\n") == 1, err
        assert code == (0 if days == "1e12" else 2)
    assert [p.node for p in inventory.prune(db_path, 1, now=datetime(2024, 6, 1, tzinfo=UTC))] == ["kvm1"]


def read_stanza_as_mkdef_does(text: str) -> dict[str, dict[str, str]]:
    """xCAT's ``DBobjUtils::readFileInput`` (used by ``mkdef -z``), line for line."""
    objects: dict[str, dict[str, str]] = {}
    name, look_for_colon = None, True
    for line in text.split("\n"):
        if re.match(r"^\s*$", line) or re.match(r"^\s*#", line):
            continue
        if re.search(r":\s*$", line):
            look_for_colon = False
            stripped = re.sub(r"\s*$", "", line)
            head, tail = re.match(r"^(.*):(.*?)$", stripped).groups()
            if tail or "=" in head:
                look_for_colon = True  # invalid header: skip to the next object
                continue
            name = head.strip()
            objects[name] = {}
        elif (match := re.match(r"^\s*(.*?)\s*=\s*(.*)\s*", line)) and not look_for_colon:
            attr, value = match.group(1).strip(), match.group(2).strip()
            value = re.sub(r'\s*"\s*$', "", re.sub(r'^\s*"\s*', "", value, count=1), count=1)
            objects[name][attr] = value
        else:
            look_for_colon = True
    return objects


def test_export_stanza_reads_back_through_mkdefs_reader(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=1), "w")
    rows = Rows(db_path)
    rows.execute("UPDATE nodelist SET comments = 'moved from rack 4, see ticket:' WHERE node = 'kvm1'")
    rows.execute("UPDATE vm SET othersettings = '\"quoted\"' WHERE node = 'kvm1'")
    rows.execute("UPDATE nodetype SET os = 'rhel8:' WHERE node = 'kvm2'")
    nodes, _ = inventory.export_nodes(db_path)
    code, out, err = run(db_path, "export")
    assert (code, err) == (0, "")
    parsed = read_stanza_as_mkdef_does(out)
    assert parsed == {n.node: {"objtype": "node", **n.attributes} for n in nodes}
    assert parsed["kvm1"]["usercomment"] == "moved from rack 4, see ticket:"
    assert parsed["kvm1"]["vmhost"] == H1  # after the comment: not dropped
    assert parsed["kvm1"]["vmothersetting"] == '"quoted"'
    assert parsed["kvm2"]["os"] == "rhel8:"


def test_a_name_ending_in_a_newline_is_not_a_node_name():
    assert is_valid_node_name("kvm1")
    assert not is_valid_node_name("kvm1\n")


def test_a_damaged_database_is_one_line_that_says_what_to_do(simulate, sqlite_path):
    db_path = sqlite_path
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2", "kvm3", "kvm4"]}, day=1), "w")
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db_path.read_bytes())
    data[3 * page : 4 * page] = b"\xff" * page  # a b-tree page of the schema's tables
    db_path.write_bytes(bytes(data))
    with pytest.raises(InventoryError, match="is damaged") as caught, pytest.warns(DamagedDatabaseWarning):
        inventory.export_nodes(db_path)
    assert caught.value.hint and "backup" in caught.value.hint
    code, _, err = run(db_path, "export")
    # The read warns (quick_check), then fails at the damaged page: the error is the last line.
    assert code == 1 and err.splitlines()[-1].startswith(f"vminv: error: {db_path} is damaged")
    assert all(".recover" in line for line in err.splitlines())


def test_a_directory_given_as_the_database_is_named_as_such(tmp_path):
    code, _, err = run(tmp_path, "ls")
    assert code == 1 and err == f"vminv: error: {tmp_path} is a directory, not a database file; pass --db {tmp_path / 'inventory.db'}\n"


READ_ONLY_LS = """
import sys
from vminv.cli.vminv import main
sys.argv = ["vminv", "ls", "--db", sys.argv[1], "--format", "csv"]
main()
"""


def test_readers_read_an_inventory_they_may_not_write(simulate, tmp_path):
    """E.g. root's cron job writes it, a user lists it: read commands must not need write access."""
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    directory = tmp_path / "shared"
    directory.mkdir()
    db_path = directory / "inventory.db"
    record_scan(db_path, simulate({H1: ["kvm1", "kvm2"]}, day=1), "w")
    # A private mount namespace with the directory bind-mounted read-only (gone when the process ends).
    script = (
        f'mount --bind "{directory}" "{directory}" && mount -o remount,bind,ro "{directory}" || exit 77; '
        f'touch "{directory}/probe" 2>/dev/null && exit 77; '
        f'exec "{sys.executable}" -c \'{READ_ONLY_LS}\' "{db_path}"'
    )
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=60,
    )
    if result.returncode == 77 or "unshare failed" in result.stderr or "Operation not permitted" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()}")
    assert (result.returncode, result.stderr) == (0, "")
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == ["kvm1", "kvm2"]
    assert sorted(p.name for p in directory.iterdir()) == ["inventory.db"]


def test_ls_says_when_nothing_matches_and_refuses_unknown_states(simulate, db_path):
    record_scan(db_path, simulate({H1: ["kvm1"]}, day=1), "w")
    code, out, err = run(db_path, "ls", "kvm9")  # e.g. a mistyped group or node
    assert (code, out, err) == (0, "", "no guest in 'kvm9'; see `vminv ls` for all\n")
    code, out, err = run(db_path, "ls", "--format", "json", "kvm9")
    assert (code, out, err) == (0, "[]\n", "")
    code, _, err = run(db_path, "ls", "--state", "runing")
    assert code == 2 and err.startswith("vminv: error: unknown state 'runing'; use one of ") and "running" in err
    assert [g.name for g in inventory.list_guests(db_path, state="running")] == ["kvm1"]
    assert inventory.list_guests(db_path, state="paused") == []  # a real state nothing is in


def test_a_migrated_guest_stays_a_conflict_until_moved_then_updates_keeping_admin_values(tmp_path):
    import pytest

    from vminv.inventory import UnknownNodeError, move_node, record_scan
    from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

    nodes = Path(__file__).resolve().parents[2] / "fixtures" / "nodes"
    db = tmp_path / "inv.db"
    # web01 on kvmhost1 only: write it.
    first = scan_hosts([HostTarget("kvmhost1", f"test://{nodes}/kvmhost1.xml")], ScanSettings())
    record_scan(db, first, "w")
    Rows(db).execute("UPDATE vm SET comments = 'owner: web team' WHERE node = 'web01'")
    # It "migrates": now only kvmhost2 has it.
    second = scan_hosts([HostTarget("kvmhost2", f"test://{nodes}/kvmhost2.xml")], ScanSettings())
    report = record_scan(db, second, "w")
    conflict = next(e for e in report.conflicts if e.node == "web01")
    assert "vminv move web01 kvmhost2" in conflict.reason
    moved = move_node(db, "web01", "kvmhost2")
    assert (moved.old_host, moved.new_host) == ("kvmhost1", "kvmhost2")
    report = record_scan(db, second, "w")
    assert "web01" not in {e.node for e in report.conflicts}
    row = Rows(db)["vm"].get("web01")
    assert row["host"] == "kvmhost2" and row["comments"] == "owner: web team"
    with pytest.raises(UnknownNodeError):
        move_node(db, "nosuchnode", "kvmhost2")
