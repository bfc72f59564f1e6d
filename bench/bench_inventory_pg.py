"""The inventory on PostgreSQL against SQLite, measured in the same run.

1. a 100,000-guest scan (1,000 hosts) written with -w into an empty inventory,
   then the same scan again, unchanged, on SQLite and on PostgreSQL
   (target: PostgreSQL within 2x of SQLite for both);
2. 8 scanner processes of 100 hosts each writing into one inventory at once
   (each its own scan; the wall time until all have committed).

The PostgreSQL server is a throwaway cluster made like the tests' one
(tests/pgcluster.py: initdb in a temporary directory, unix socket), with
durability on (fsync, synchronous_commit) as a production server runs it.
The writing process is not pinned: the server is another process and shares
this machine's 2 cores with it.

Usage (as root, Debian's postgresql installed):
    .venv/bin/python bench/bench_inventory_pg.py [--runs 3] [--hosts 1000] [--guests-per-host 100]
                                                 [--writers 8] [--writer-hosts 100] [--writer-guests 25]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inventory.inventory_synthetic import synthetic_scan  # noqa: E402
from tests.pgcluster import PgCluster  # noqa: E402
from vminv.inventory import PostgresLocation, record_scan  # noqa: E402
from vminv.inventory.location import Location  # noqa: E402

WRITER = """
import sys, time
from pathlib import Path
from vminv import inventory
from tests.inventory.inventory_synthetic import synthetic_scan
db, first, hosts, guests, barrier = sys.argv[1:6]
scan = synthetic_scan(range(int(first), int(first) + int(hosts)), int(guests), started="2024-06-01T10:00:00+00:00")
while not Path(barrier).exists():
    time.sleep(0.002)
inventory.record_scan(inventory.parse_location(db), scan, "w")
"""


def _write_twice(location: Location, hosts: int, per_host: int) -> tuple[float, float]:
    first = synthetic_scan(range(hosts), per_host, "2024-05-01T10:00:00+00:00")
    again = dataclasses.replace(first, started="2024-05-02T10:00:00+00:00", finished="2024-05-02T10:00:00+00:00")
    start = time.perf_counter()
    report = record_scan(location, first, "w")
    first_s = time.perf_counter() - start
    assert len(report.written) == hosts * per_host
    start = time.perf_counter()
    report = record_scan(location, again, "w")
    again_s = time.perf_counter() - start
    assert report.unchanged == hosts * per_host and not report.updated
    return first_s, again_s


def _concurrent(location: Location, writers: int, hosts: int, guests: int, tmp: Path) -> float:
    barrier = tmp / f"go-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(location), str(10_000 * (i + 1)), str(hosts), str(guests),
                          str(barrier)], cwd=ROOT, env=env)
        for i in range(writers)
    ]
    time.sleep(3.0)  # every writer has built its scan and waits
    start = time.perf_counter()
    barrier.touch()
    for process in processes:
        if process.wait(timeout=1800) != 0:
            raise SystemExit("a writer failed")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--guests-per-host", type=int, default=100)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writer-hosts", type=int, default=100)
    parser.add_argument("--writer-guests", type=int, default=25)
    args = parser.parse_args()

    cluster = PgCluster(durable=True).start()
    try:
        database = cluster.new_database()
        times: dict[str, list[float]] = {k: [] for k in ("sqlite first", "sqlite again", "pg first", "pg again",
                                                         "sqlite 8 writers", "pg 8 writers")}
        with tempfile.TemporaryDirectory() as tmp_text:
            tmp = Path(tmp_text)
            for run in range(args.runs):
                sqlite_first, sqlite_again = _write_twice(tmp / f"bench{run}.db", args.hosts, args.guests_per_host)
                pg = PostgresLocation(cluster.new_schema_url(database))
                pg_first, pg_again = _write_twice(pg, args.hosts, args.guests_per_host)
                sqlite_many = _concurrent(tmp / f"many{run}.db", args.writers, args.writer_hosts, args.writer_guests, tmp)
                pg_many = _concurrent(PostgresLocation(cluster.new_schema_url(database)), args.writers,
                                      args.writer_hosts, args.writer_guests, tmp)
                for key, value in zip(times, (sqlite_first, sqlite_again, pg_first, pg_again, sqlite_many, pg_many)):
                    times[key].append(value)
                print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        load = os.getloadavg()
        medians = {k: statistics.median(v) for k, v in times.items()}
        print(f"medians of {args.runs} runs ({args.hosts * args.guests_per_host} guests; "
              f"{args.writers} writers x {args.writer_hosts} hosts x {args.writer_guests} guests); "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for key, value in medians.items():
            print(f"  {key:18} {value:7.2f} s")
        first_ratio = medians["pg first"] / medians["sqlite first"]
        again_ratio = medians["pg again"] / medians["sqlite again"]
        print(f"  PostgreSQL / SQLite: first write {first_ratio:.2f}x, unchanged rewrite {again_ratio:.2f}x (target <= 2x)")
        if first_ratio > 2 or again_ratio > 2:
            raise SystemExit(1)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
