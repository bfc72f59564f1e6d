"""A writer killed inside its transaction, and writers racing each other, on a real SQLite file."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.inventory.inventory_synthetic import synthetic_scan
from tests.inventory.rows import Rows
from vminv.inventory import SCHEMA_VERSION, record_scan
from vminv.inventory.location import Location

ROOT = Path(__file__).resolve().parents[2]

# Writes a scan of 100 guests per host (20,000 here); says "begun" once its write transaction holds the lock.
WRITER = """
import sys, time
from pathlib import Path
from vminv import inventory
from vminv.inventory.location import parse_location
from tests.inventory.inventory_synthetic import synthetic_scan

db, first_host, hosts, barrier = parse_location(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
scan = synthetic_scan(range(first_host, first_host + hosts), 100, started="2024-06-01T10:00:00+00:00")
if barrier != "-":
    while not Path(barrier).exists():
        time.sleep(0.005)

def progress(stage):
    if stage == "transaction started":
        print("begun", flush=True)

inventory.record_scan(db, scan, "w", progress)
print("done", flush=True)
"""


def writer(db_path: Location, first_host: int, hosts: int, barrier: str = "-") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), str(first_host), str(hosts), barrier],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def contents(db_path: Location) -> list[str]:
    """Every row of every table, in a stable order; on SQLite the file passes integrity_check too."""
    if isinstance(db_path, Path):
        conn = sqlite3.connect(db_path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    rows = Rows(db_path)
    return [f"{table}: {row!r}" for table in rows.table_names() for row in sorted(map(repr, rows.query(f"SELECT * FROM {table}")))]


def test_killed_writer_leaves_the_database_as_it_was(db_path):
    record_scan(db_path, synthetic_scan(range(5), 20), "w")
    before = contents(db_path)
    rng = random.Random(20240501)
    killed_inside = 0
    for _ in range(20):
        process = writer(db_path, 5, 200)
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 0.3))  # anywhere: starting up, opening, writing
        else:
            assert process.stdout.readline() == "begun\n", process.stderr.read()
            killed_inside += 1
            time.sleep(rng.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
        assert process.returncode == -signal.SIGKILL, "the writer finished before it was killed: make it slower"
        assert contents(db_path) == before
    assert killed_inside >= 10
    # The file is still fully usable afterwards.
    report = record_scan(db_path, synthetic_scan(range(5), 20, started="2024-06-02T10:00:00+00:00"), "w")
    assert report.unchanged == 100


def test_concurrent_writers_both_land(db_path, tmp_path):
    record_scan(db_path, synthetic_scan(range(2), 10), "w")
    barrier = tmp_path / "go"
    first = writer(db_path, 100, 30, str(barrier))
    second = writer(db_path, 200, 30, str(barrier))
    time.sleep(0.5)
    barrier.touch()
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert (process.returncode, out, err) == (0, "begun\ndone\n", "")
    contents(db_path)  # integrity
    rows = Rows(db_path)
    assert rows["scans"].count == 3
    assert rows["vm"].count == 20 + 3000 + 3000
    assert rows["observations"].count == 20 + 3000 + 3000
    hosts = {row["host"] for row in rows.query("SELECT DISTINCT host FROM vm")}
    assert {"kvmhost0100", "kvmhost0129", "kvmhost0200", "kvmhost0229"} <= hosts


def test_concurrent_writers_on_a_new_file(tmp_path):
    db_path = tmp_path / "new" / "inventory.db"
    _concurrent_writers_on_a_new_inventory(db_path, tmp_path)


@pytest.mark.postgres
def test_concurrent_writers_on_an_empty_postgres_schema(pg_location, tmp_path):
    _concurrent_writers_on_a_new_inventory(pg_location, tmp_path)


def _concurrent_writers_on_a_new_inventory(db_path: Location, tmp_path: Path) -> None:
    barrier = tmp_path / "go"
    writers = [writer(db_path, first, 3, str(barrier)) for first in (0, 10, 20)]
    time.sleep(0.5)
    barrier.touch()
    for process in writers:
        out, err = process.communicate(timeout=120)
        assert (process.returncode, out, err) == (0, "begun\ndone\n", "")
    contents(db_path)
    rows = Rows(db_path)
    assert (rows["scans"].count, rows["vm"].count) == (3, 900)
    assert rows["_migrations"].count == SCHEMA_VERSION  # each step once
