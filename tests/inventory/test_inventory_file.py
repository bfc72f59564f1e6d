"""The SQLite file as something a user hands us: someone else's database stays byte for byte
as it was, a damaged file is never written into, new files are private, scan ids stay in range."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.inventory.inventory_synthetic import synthetic_scan
from tests.inventory.rows import Rows
from vminv import inventory
from vminv.cli import inventory_cmds, rhev_cmds
from vminv.cli.rscan import cli as rscan_cli
from vminv.inventory import record_scan
from vminv.inventory.db import database
from vminv.inventory.errors import DamagedDatabaseError, UnknownScanError
from vminv.inventory.sqlite_file import DamagedDatabaseWarning

NODES = Path(__file__).resolve().parents[2] / "fixtures" / "nodes"


def vminv(*args: str) -> tuple[int, str]:
    group = click.Group("vminv")
    inventory_cmds.register(group)
    rhev_cmds.register(group)
    result = CliRunner().invoke(group, list(args), prog_name="vminv")
    return result.exit_code, result.stderr


def rscan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(rscan_cli, list(args), prog_name="rscan")
    return result.exit_code, result.stderr


def every_command(db: str) -> list[tuple[str, tuple[int, str]]]:
    """Each command that opens the inventory, run against ``db``."""
    test_uri = f"test://{NODES}/{{host}}.xml"
    return [
        ("ls", vminv("ls", "--db", db)),
        ("scans", vminv("scans", "--db", db)),
        ("scans 1", vminv("scans", "1", "--db", db)),
        ("history", vminv("history", "kvm1", "--db", db)),
        ("diff", vminv("diff", "--db", db)),
        ("export", vminv("export", "--db", db)),
        ("prune", vminv("prune", "--older-than", "1", "--db", db)),
        ("move", vminv("move", "kvm1", "kvmhost2", "--db", db)),
        ("host ls", vminv("host", "ls", "--db", db)),
        ("host set-uri", vminv("host", "set-uri", "kvmhost1", "qemu+ssh://root@kvmhost1/system", "--db", db)),
        ("rscan", rscan("kvmhost1", "--uri", test_uri, "--db", db)),
        ("rscan -w", rscan("kvmhost1", "--uri", test_uri, "--db", db, "-w")),
    ]


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _foreign_rollback(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE vm (node TEXT, whatever TEXT)")
        conn.execute("INSERT INTO vm VALUES ('kvm1', 'theirs')")
    conn.close()


def _foreign_with_version(path: Path) -> None:
    # Another program's own schema version and a table named like ours, with other columns.
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, step TEXT)")
        conn.execute("INSERT INTO _migrations (step) VALUES ('create users')")
        conn.execute("PRAGMA user_version = 1")
    conn.close()


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 a zip file, say\n" * 64)


@pytest.mark.parametrize("make", [_foreign_rollback, _foreign_with_version, _not_sqlite])
def test_a_foreign_file_is_byte_identical_after_every_command(tmp_path, make):
    directory = tmp_path / "theirs"
    directory.mkdir()
    foreign = directory / "app.db"
    make(foreign)
    before = listing(directory)
    for name, (code, err) in every_command(str(foreign)):
        assert code == 1 or (name == "rscan" and code == 1), (name, code, err)
        assert "Traceback" not in err, (name, err)
        assert listing(directory) == before, f"`{name}` changed the foreign file or left files beside it"


def test_a_new_inventory_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        db_path = tmp_path / "new" / "deeper" / "inventory.db"
        record_scan(db_path, synthetic_scan(range(2), 3), "w")
        with database(db_path, create=False) as db:  # a reader holds -wal/-shm open
            db.execute("SELECT COUNT(*) FROM vm").fetchone()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in db_path.parent.iterdir()}
    finally:
        os.umask(old)
    assert modes == {"inventory.db": 0o600, "inventory.db-wal": 0o600, "inventory.db-shm": 0o600}
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "deeper").stat().st_mode) == 0o700


def test_existing_files_and_directories_keep_their_modes(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    db_path = shared / "inventory.db"
    db_path.touch()
    os.chmod(db_path, 0o640)
    record_scan(db_path, synthetic_scan(range(1), 1), "w")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o640


def _damage_table(db_path: Path, table: str) -> None:
    """Overwrite the first page of ``table``'s b-tree with garbage (as a failing disk would)."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db_path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = bytes((i * 151 + 7) % 256 for i in range(page_size))
    db_path.write_bytes(bytes(data))


@pytest.fixture
def damaged(sqlite_path: Path) -> Iterator[Path]:
    record_scan(sqlite_path, synthetic_scan(range(3), 40), "w")
    _damage_table(sqlite_path, "guest_versions")
    yield sqlite_path


def test_a_damaged_file_is_never_written_into(damaged):
    before = damaged.read_bytes()
    with pytest.raises(DamagedDatabaseError) as caught:
        record_scan(damaged, synthetic_scan(range(3), 40, started="2024-05-02T10:00:00+00:00"), "w")
    assert str(damaged) in str(caught.value) and f"sqlite3 {damaged} .recover" in str(caught.value)
    assert damaged.read_bytes() == before
    code, err = rscan("kvmhost1", "--uri", f"test://{NODES}/{{host}}.xml", "--db", str(damaged), "-w")
    assert code == 1 and f"sqlite3 {damaged} .recover" in err.splitlines()[-1]
    code, err = vminv("prune", "--older-than", "0", "--db", str(damaged))
    assert code == 1 and err.count("\n") == 1 and ".recover" in err
    assert damaged.read_bytes() == before


def test_reading_a_damaged_file_warns_and_goes_on(damaged):
    with pytest.warns(DamagedDatabaseWarning, match=r"\.recover"):
        assert len(inventory.list_guests(damaged)) == 120  # ls does not need the damaged table
    group = click.Group("vminv")
    inventory_cmds.register(group)
    result = CliRunner().invoke(group, ["ls", "--db", str(damaged)], prog_name="vminv")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 121
    assert result.stderr.startswith(f"vminv: warning: {damaged} is damaged") and result.stderr.count("\n") == 1


HUGE = str(2**63)
VERY_HUGE = "9" * 30


def test_scan_ids_beyond_the_integer_range_are_one_line(db_path):
    record_scan(db_path, synthetic_scan(range(1), 1), None)
    db = str(db_path)
    for args in (["scans", HUGE], ["scans", VERY_HUGE], ["diff", "1", HUGE], ["diff", VERY_HUGE],
                 ["scans", "0"], ["reconcile", "--scan", HUGE, "--rhevm", "https://engine.invalid"]):
        code, err = vminv(*args, "--db", db)
        # click's usage error: the usage line, then one "Error:" line naming the value and the range.
        assert code == 2 and "Traceback" not in err, (args, err)
        assert [line for line in err.splitlines() if line.startswith("Error:")] == [
            line for line in err.splitlines() if "is not in the range 1<=x<=9223372036854775807" in line], err
    for bad in (2**63, 2**80, 0, -3):
        with pytest.raises(UnknownScanError, match="no scan"):
            inventory.scan_coverage(db_path, bad)
        with pytest.raises(UnknownScanError, match="no scan"):
            inventory.diff_scans(db_path, 1, bad)
        with pytest.raises(UnknownScanError, match="no scan"):
            inventory.load_scan(db_path, bad)
    with pytest.raises(UnknownScanError, match="there is no scan 9223372036854775807"):
        inventory.scan_coverage(db_path, 2**63 - 1)


def test_engine_writes_and_scan_writes_agree_on_a_node_without_a_host(db_path, simulate):
    # The administrator made kvm1's vm row by hand, without a host.
    record_scan(db_path, simulate({"kvmhost1": ["kvm2"]}), "w")
    Rows(db_path).execute("INSERT INTO vm (node, cpus) VALUES ('kvm1', '8')")
    scan_report = record_scan(db_path, simulate({"kvmhost1": ["kvm1"]}, day=2), "w")
    engine_report = inventory.apply_engine_attributes(
        db_path, {"kvm1": {"host": "kvmhost1", "cluster": "prod"}}, {}, "w"
    )
    assert [(e.node, e.action) for e in scan_report.conflicts] == [("kvm1", "conflict")]
    assert [(e.node, e.action) for e in engine_report.conflicts] == [("kvm1", "conflict")]
    assert scan_report.conflicts[0].reason == engine_report.conflicts[0].reason
    assert Rows(db_path)["vm"].get("kvm1")["cluster"] is None
    # Where the engine does not place the VM (it is down), it is the same node: updated.
    engine_report = inventory.apply_engine_attributes(db_path, {"kvm1": {"host": "", "cluster": "prod"}}, {}, "w")
    assert [e.node for e in engine_report.updated] == ["kvm1"]
