"""What only a shared PostgreSQL inventory has: copies both ways, passwords, TLS options, the
writer lock across sessions, and many scanners on many machines writing at once (a real server)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.inventory.rows import Rows
from tests.inventory.test_inventory_history import DAYS
from tests.pgcluster import PASSWORD, PgCluster
from vminv import inventory
from vminv.cli import inventory_cmds
from vminv.errors import UsageError
from vminv.inventory import PostgresLocation, copy_inventory, parse_location, record_scan, writer_lock
from vminv.inventory.errors import InventoryError, WriterBusyError
from vminv.inventory.location import Location

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def vminv(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    group = click.Group("vminv")
    inventory_cmds.register(group)
    result = CliRunner(env=env).invoke(group, list(args), prog_name="vminv")
    return result.exit_code, result.stdout, result.stderr


def everything(location: Location) -> dict[str, list[str]]:
    """Every table's rows as text, sorted: equal inventories give equal results on either backend."""
    rows = Rows(location)
    return {
        table: sorted(repr(tuple(None if v is None else str(v) for v in row.values()))
                      for row in rows.query(f"SELECT * FROM {table}"))
        for table in rows.table_names() if table != "_migrations"
    }


READS = (["ls"], ["scans"], ["scans", "5"], ["history", "kvm2"], ["diff", "1", "2"], ["diff", "2", "3"],
         ["export"], ["host", "ls"], ["ls", "--format", "json"])


def test_copy_to_postgres_and_back_keeps_every_row_and_every_output(simulate, tmp_path, pg_location):
    sqlite_db = tmp_path / "inventory.db"
    for day, hosts in enumerate(DAYS, start=1):
        record_scan(sqlite_db, simulate(hosts, day=day), "w")
    code, out, err = vminv("db", "copy", str(sqlite_db), pg_location.url)
    assert code == 0, err
    assert err.endswith("row counts and contents match\n") and "guest_versions" in out
    back = tmp_path / "back.db"
    report = copy_inventory(pg_location, back)
    assert report.rows > 0
    assert everything(sqlite_db) == everything(pg_location) == everything(back)
    for args in READS:
        outputs = {str(db): vminv(*args, "--db", str(db)) for db in (sqlite_db, pg_location, back)}
        assert len(set(outputs.values())) == 1, (args, outputs)
    # The copy is a working inventory: new scans (new event ids past the copied ones) and prunes.
    again = record_scan(pg_location, simulate(DAYS[-1], day=6), "w")
    assert again.scan_id == 6
    assert inventory.guest_history(pg_location, "kvm4").events[-1].event == "gone"


def test_copy_refuses_a_destination_with_data_and_itself(simulate, tmp_path, pg_location):
    record_scan(pg_location, simulate({"kvmhost1": ["kvm1"]}), "w")
    other = tmp_path / "other.db"
    record_scan(other, simulate({"kvmhost1": ["kvm2"]}), "w")
    with pytest.raises(UsageError, match="already holds data"):
        copy_inventory(other, pg_location)
    with pytest.raises(UsageError, match="the same"):
        copy_inventory(pg_location, pg_location)
    assert [g.name for g in inventory.list_guests(pg_location)] == ["kvm1"]


def test_passwords_never_in_argv_errors_or_the_uri(pg_cluster: PgCluster, pg_database: str, tmp_path):
    url = pg_cluster.tcp_url(pg_database)
    # A password inside the URI is refused, and not repeated.
    with_password = url.replace("vminv_pw@", f"vminv_pw:{PASSWORD}@")
    code, _, err = vminv("ls", "--db", with_password)
    assert code == 2 and PASSWORD not in err and "holds a password" in err and err.count("\n") == 1
    with pytest.raises(UsageError):
        parse_location(url + "?password=" + PASSWORD)
    # No password anywhere: libpq cannot log in; one line, naming the URI.
    clean = {"PGPASSWORD": "", "PGPASSFILE": str(tmp_path / "none"), "VMINV_DB_PASSWORD_FILE": ""}
    code, _, err = vminv("ls", "--db", url, env=clean)
    assert code == 1 and err.startswith(f"vminv: error: cannot connect to {url}") and err.count("\n") == 1
    # A wrong password from a password file: refused, and the secret is not in the line.
    wrong = tmp_path / "wrong.pw"
    wrong.write_text("not-the-Secret-42\n")
    code, _, err = vminv("ls", "--db", url, env={**clean, "VMINV_DB_PASSWORD_FILE": str(wrong)})
    assert code == 1 and "not-the-Secret-42" not in err and "password authentication failed" in err
    # Each right source works: password file, $PGPASSWORD, a pgpass file.
    right = tmp_path / "right.pw"
    right.write_text(PASSWORD + "\n")
    record_scan(PostgresLocation(url, PASSWORD), synthetic_one(), "w")
    assert vminv("ls", "--db", url, env={**clean, "VMINV_DB_PASSWORD_FILE": str(right)})[0] == 0
    assert vminv("ls", "--db", url, env={**clean, "PGPASSWORD": PASSWORD})[0] == 0
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:{pg_database}:vminv_pw:{PASSWORD}\n")
    pgpass.chmod(0o600)
    assert vminv("ls", "--db", url, env={**clean, "PGPASSFILE": str(pgpass)})[0] == 0
    # TLS options reach libpq as they are: this test server has no TLS, so sslmode=require fails.
    code, _, err = vminv("ls", "--db", url + "?sslmode=require", env={**clean, "PGPASSWORD": PASSWORD})
    assert code == 1 and "SSL" in err and PASSWORD not in err and err.count("\n") == 1


def synthetic_one():  # type: ignore[no-untyped-def]
    from tests.inventory.inventory_synthetic import synthetic_scan

    return synthetic_scan(range(1), 2)


def test_the_writer_lock_is_an_advisory_lock_across_sessions(pg_location):
    record_scan(pg_location, synthetic_one(), "w")
    with writer_lock(pg_location):
        with pytest.raises(WriterBusyError, match="being written by another vminv"), writer_lock(pg_location, wait_s=0.3):
            pass
        # The lock guards runs, not single writes: a plain write still goes through meanwhile.
        record_scan(pg_location, synthetic_one(), None)
    with writer_lock(pg_location):  # released with its session
        pass


def test_someone_elses_tables_get_no_lock_and_no_schema(pg_location):
    import psycopg

    with psycopg.connect(pg_location.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    with pytest.raises(InventoryError, match="not a vminv inventory"):
        record_scan(pg_location, synthetic_one(), "w")
    with pytest.raises(InventoryError, match="not a vminv inventory"), writer_lock(pg_location):
        pass
    with psycopg.connect(pg_location.url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
    assert tables == ["accounts"]


# Writes one scan of HOSTS hosts (GUESTS guests each) starting at FIRST; with a
# DUP host name, that host also has the guest "dup1". Prints the report as JSON.
WRITER = """
import json, sys, time
from pathlib import Path
from vminv import inventory
from tests.inventory.inventory_synthetic import synthetic_scan, synthetic_guest
import dataclasses

db, first, hosts, guests, dup, barrier = sys.argv[1:7]
scan = synthetic_scan(range(int(first), int(first) + int(hosts)), int(guests), started="2024-06-01T10:00:00+00:00")
if dup != "-":
    extra = dataclasses.replace(synthetic_guest(int(first), 999), name="dup1", hypervisor=scan.hosts[0].name)
    scan = dataclasses.replace(scan, guests=scan.guests + (extra,))
while not Path(barrier).exists():
    time.sleep(0.005)
report = inventory.record_scan(inventory.parse_location(db), scan, "w")
print(json.dumps(report.to_dict()))
"""


def _writers(location: Location, barrier: Path, specs: list[tuple[int, int, int, bool]]) -> list[dict]:  # type: ignore[type-arg]
    import json

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(location), str(first), str(hosts), str(guests),
                          "dup" if dup else "-", str(barrier)], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for first, hosts, guests, dup in specs
    ]
    time.sleep(1.0)
    barrier.touch()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0 and err == "", err
        reports.append(json.loads(out))
    return reports


def test_eight_scanners_of_a_hundred_hosts_all_land(pg_location, tmp_path):
    reports = _writers(pg_location, tmp_path / "go", [(1000 * i, 100, 3, False) for i in range(8)])
    assert sorted(r["scan_id"] for r in reports) == list(range(1, 9))
    assert all(r["counts"]["written"] == 300 and r["counts"]["conflicts"] == 0 for r in reports)
    rows = Rows(pg_location)
    assert (rows["scans"].count, rows["vm"].count, rows["guests"].count, rows["hosts"].count) == (8, 2400, 2400, 800)
    assert rows["_migrations"].count == inventory.SCHEMA_VERSION  # the schema was made once


def test_two_scanners_writing_one_name_from_two_hosts_follow_the_rules_as_if_one_after_the_other(pg_location, tmp_path):
    reports = _writers(pg_location, tmp_path / "go", [(10, 2, 2, True), (20, 2, 2, True)])
    first, second = sorted(reports, key=lambda r: r["scan_id"])
    # The one that committed first wrote dup1 as new; the other found it there, on another host: a conflict.
    assert [e["node"] for e in first["written"]].count("dup1") == 1
    assert [e["node"] for e in second["conflicts"]] == ["dup1"]
    assert "is in the inventory on kvmhost0010" in second["conflicts"][0]["reason"] or \
        "is in the inventory on kvmhost0020" in second["conflicts"][0]["reason"]
    vm = Rows(pg_location).query("SELECT node, host FROM vm WHERE node = 'dup1'")
    assert len(vm) == 1 and vm[0]["host"] == first["written"][-1]["host"]


def test_rscan_writes_into_postgres_under_its_advisory_lock(pg_location):
    from vminv.cli.rscan import cli as rscan_cli

    nodes = ROOT / "fixtures" / "nodes"
    args = ["kvmhost1,kvmhost2", "--uri", f"test://{nodes}/{{host}}.xml", "--db", pg_location.url, "-w"]
    result = CliRunner().invoke(rscan_cli, args, prog_name="rscan")
    assert result.exit_code == 4, result.stderr  # web01 is on both hosts: a conflict, as on SQLite
    assert "web01 on kvmhost1: conflict" in result.stderr
    with writer_lock(pg_location):  # a second writer is refused (exit 6) while the lock is held
        busy = CliRunner().invoke(rscan_cli, args, prog_name="rscan")
    assert busy.exit_code == 6 and "being written by another vminv" in busy.stderr
    code, out, _ = vminv("ls", "--db", pg_location.url)
    assert code == 0 and len(out.splitlines()) == 1 + 6 + 4
