"""History, diff, export and prune over a sequence of scans, checked through the CLI against golden files.

The sequence: a guest is added (kvm4, day 2), changed (kvm1, day 2), moved
between hosts (kvm2, day 3) and removed (kvm4, day 4); on day 5 kvmhost1
fails and keeps its guests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from vminv import inventory
from vminv.cli import inventory_cmds
from vminv.inventory import format_write_report, record_scan

H1, H2 = "kvmhost1", "kvmhost2"
DAYS = [
    {H1: ["kvm1", "kvm2"], H2: ["kvm3"]},
    {H1: ["kvm1-4cpu", "kvm2"], H2: ["kvm3", "kvm4"]},
    {H1: ["kvm1-4cpu"], H2: ["kvm3", "kvm4", "kvm2"]},
    {H1: ["kvm1-4cpu"], H2: ["kvm3", "kvm2"]},
    {H1: None, H2: ["kvm3", "kvm2"]},
]


@pytest.fixture
def history_db(simulate, db_path: Path) -> tuple[Path, list[inventory.WriteReport]]:
    reports = [record_scan(db_path, simulate(hosts, day=day), "w") for day, hosts in enumerate(DAYS, start=1)]
    return db_path, reports


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    group = click.Group("vminv")
    inventory_cmds.register(group)
    result = CliRunner().invoke(group, [*args, "--db", str(db_path)], prog_name="vminv")
    return result.exit_code, result.stdout, result.stderr


def test_history_of_a_moved_guest(history_db):
    db_path, _ = history_db
    history = inventory.guest_history(db_path, "kvm2")
    assert [(e.scan_id, e.host, e.event, e.old_value, e.new_value) for e in history.events] == [
        (1, H1, "first_seen", None, None),
        (2, H1, "last_seen", None, None),
        (3, H2, "moved", H1, H2),
        (5, H2, "last_seen", None, None),
    ]
    assert [(h.host, h.status) for h in history.hosts] == [(H1, "gone"), (H2, "present")]


def test_history_of_changed_and_removed_guests(history_db):
    db_path, _ = history_db
    kvm1 = inventory.guest_history(db_path, "kvm1")
    assert [(e.scan_id, e.event, e.field) for e in kvm1.events] == [
        (1, "first_seen", None),
        (2, "changed", "vcpus"),
        (2, "changed", "vcpus_current"),
        (2, "changed", "memory_kib"),
        (2, "changed", "current_memory_kib"),
        (4, "last_seen", None),  # kvmhost1 failed on day 5: not seen, not gone
    ]
    assert kvm1.events[1].old_value == "2" and kvm1.events[1].new_value == "4"
    kvm4 = inventory.guest_history(db_path, "kvm4")
    assert [(e.scan_id, e.event) for e in kvm4.events] == [(2, "first_seen"), (3, "last_seen"), (4, "gone")]


def test_write_reports_over_the_sequence(history_db):
    _, reports = history_db
    assert [len(r.written) for r in reports] == [3, 1, 0, 0, 0]
    assert [(e.node, e.host, e.reason) for e in reports[2].moved] == [("kvm2", H2, f"from {H1}")]
    assert [(e.node, e.host) for e in reports[2].conflicts] == [("kvm2", H2)]
    assert [(e.node, e.host) for e in reports[3].gone] == [("kvm4", H2)]
    assert reports[4].gone == ()


def test_diffs_over_the_sequence(history_db):
    db_path, _ = history_db

    def summary(a, b):
        return [(e.change, e.node, e.host, e.field) for e in inventory.diff_scans(db_path, a, b).entries]

    assert summary(1, 2) == [
        ("changed", "kvm1", H1, "vcpus"),
        ("changed", "kvm1", H1, "vcpus_current"),
        ("changed", "kvm1", H1, "memory_kib"),
        ("changed", "kvm1", H1, "current_memory_kib"),
        ("added", "kvm4", H2, None),
    ]
    assert summary(2, 3) == [("moved", "kvm2", H2, "host")]
    assert summary(3, 4) == [("gone", "kvm4", H2, None)]
    assert summary(4, 5) == [("unscanned", "kvm1", H1, None)]
    assert summary(None, None) == summary(4, 5)
    assert summary(5, 5) == []


def test_prune_removes_only_long_gone_guests(history_db):
    db_path, _ = history_db
    now = datetime(2024, 5, 10, tzinfo=UTC)
    assert inventory.prune(db_path, 30, now=now) == []
    dry = inventory.prune(db_path, 7.5, now=now, dry_run=True)
    assert [(p.node, p.host) for p in dry] == [("kvm2", H1)]  # last seen day 2; kvm4 on day 3
    removed = inventory.prune(db_path, 5, now=now)
    assert [(p.node, p.host, p.node_tables) for p in removed] == [("kvm2", H1, True), ("kvm4", H2, True)]
    names = {(g.name, g.hypervisor) for g in inventory.list_guests(db_path)}
    assert names == {("kvm1", H1), ("kvm2", H2), ("kvm3", H2)}
    assert [n.node for n in inventory.export_nodes(db_path)[0]] == ["kvm1", "kvm3"]
    assert inventory.guest_history(db_path, "kvm4").events[-1].event == "pruned"
    # kvm1's host failed: never gone, never pruned, whatever its age.
    assert inventory.prune(db_path, 0, now=datetime(2030, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize(
    "name, args",
    [
        ("ls.txt", ["ls"]),
        ("ls_running_h2.csv", ["ls", "--host", H2, "--state", "running", "--format", "csv"]),
        ("ls_group.txt", ["ls", "vm,-kvm3"]),
        ("ls.json", ["ls", "kvm[1-2]", "--format", "json"]),
        ("scans.txt", ["scans"]),
        ("scan_5.txt", ["scans", "5"]),
        ("history_kvm2.txt", ["history", "kvm2"]),
        ("history_kvm4.json", ["history", "kvm4", "--format", "json"]),
        ("diff_1_2.txt", ["diff", "1", "2"]),
        ("diff_default.txt", ["diff"]),
        ("diff_2_3.json", ["diff", "2", "3", "--format", "json"]),
        ("export.stanza", ["export"]),
        ("export.csv", ["export", "--format", "csv", "kvm[1-3]"]),
        ("hosts.txt", ["host", "ls"]),
    ],
)
def test_cli_golden(history_db, golden, name, args):
    db_path, _ = history_db
    code, out, err = run(db_path, *args)
    assert (code, err) == (0, "")
    golden.check(f"inventory/{name}", out)


def test_write_report_golden(history_db, golden):
    _, reports = history_db
    text = "".join("\n".join(format_write_report(r)) + "\n" for r in reports)
    golden.check("inventory/write_reports.txt", text)


def test_cli_errors_are_one_line(history_db, tmp_path):
    db_path, _ = history_db
    assert run(tmp_path / "missing.db", "ls")[0:2] == (1, "")
    assert "no inventory database at" in run(tmp_path / "missing.db", "ls")[2]
    assert not (tmp_path / "missing.db").exists()
    code, _, err = run(db_path, "diff", "9")
    assert (code, err) == (2, "vminv: error: there is no scan 9 in the database; see `vminv scans`\n")
    code, _, err = run(db_path, "history", "nobody")
    assert code == 2 and err.count("\n") == 1
    code, _, err = run(db_path, "ls", "kvm[1-")
    assert code == 2 and "unbalanced brackets" in err
    code, _, err = run(db_path, "host", "set-uri", H1, "kvmhost1")
    assert code == 2 and "is not a libvirt URI" in err


def test_host_uri_round_trip(history_db):
    db_path, _ = history_db
    code, _, err = run(db_path, "host", "set-uri", H1, "qemu+ssh://admin@kvmhost1.example.com:2222/system")
    assert code == 0 and "kvmhost1" in err
    assert inventory.host_uris(db_path) == {H1: "qemu+ssh://admin@kvmhost1.example.com:2222/system"}
    assert inventory.known_nodes(db_path) >= {H1, H2, "kvm1", "kvm2", "kvm3", "kvm4"}
    assert inventory.load_groups(db_path) == {"all": ["kvm1", "kvm2", "kvm3", "kvm4"], "vm": ["kvm1", "kvm2", "kvm3", "kvm4"]}


def test_prune_command_says_what_it_removed(history_db):
    db_path, _ = history_db
    code, out, err = run(db_path, "prune", "--older-than", "0", "--dry-run")
    assert code == 0
    assert out.splitlines()[0].split() == ["node", "host", "last_seen", "gone_at", "node_tables"]
    assert err == "would remove 2 guests gone for more than 0 days\n"


def test_the_documentation_shows_the_real_outputs():
    root = Path(__file__).resolve().parents[2]
    golden_dir = root / "tests" / "golden" / "inventory"
    docs = [p.read_text() for p in (root / "docs" / "inventory.md", root / "README.md") if p.exists()]
    for command, name in (("vminv ls", "ls.txt"), ("vminv history kvm2", "history_kvm2.txt"), ("vminv diff 1 2", "diff_1_2.txt")):
        block = f"$ {command}\n{(golden_dir / name).read_text()}"
        assert any(block in text for text in docs), f"the documented output of `{command}` differs from {name}"
