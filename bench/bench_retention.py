"""Inventory growth per scan and what retention costs: 10,000 guests (100 hosts x 100).

Measures the bytes the database's pages hold (page_count - freelist_count, after a
WAL checkpoint) before and after recording scans:
  1. unchanged scans (every guest as before: one observation row each);
  2. scans in which 1% and 10% of the guests changed (a new record version each, events);
  3. prune_scans keeping the last N scans: its time, the pages it frees, and a VACUUM's time.
Then extrapolates a year of hourly scans with and without retention.

Usage: .venv/bin/python bench/bench_retention.py [--hosts 100] [--guests-per-host 100] [--scans 24] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inventory.inventory_synthetic import synthetic_scan  # noqa: E402
from vminv.inventory import record_scan  # noqa: E402
from vminv.inventory.retention import prune_scans  # noqa: E402
from vminv.scanner.model import ScanResult  # noqa: E402


def used_bytes(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
        return int((pages - free) * size)
    finally:
        conn.close()


def changed(scan: ScanResult, share: float, generation: int, started: str) -> ScanResult:
    """``share`` of the guests with a changed vCPU count (a different one each generation)."""
    step = max(1, round(1 / share))
    guests = tuple(
        dataclasses.replace(g, vcpus_current=2 + generation % 3 + 1, vcpus=8) if i % step == generation % step else g
        for i, g in enumerate(scan.guests)
    )
    return dataclasses.replace(scan, guests=guests, started=started, finished=started)


def stamp(hour: int) -> str:
    return f"2024-05-{1 + hour // 24:02d}T{hour % 24:02d}:00:00+00:00"


def scenario(base: ScanResult, share: float, scans: int) -> dict[str, float]:
    """A fresh inventory: the first scan, then ``scans`` hourly scans with ``share`` of the guests changed."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "inv.db"
        record_scan(db, dataclasses.replace(base, started=stamp(0), finished=stamp(0)), "w")
        first = used_bytes(db)
        for hour in range(1, scans + 1):
            scan = changed(base, share, hour, stamp(hour)) if share else dataclasses.replace(
                base, started=stamp(hour), finished=stamp(hour))
            record_scan(db, scan, "w")
        grown = used_bytes(db) - first
        started = time.perf_counter()
        report = prune_scans(db, keep_scans=1, vacuum="never")
        prune_s = time.perf_counter() - started
        kept = used_bytes(db) - first  # what retention never removes: the guests' history
        started = time.perf_counter()
        conn = sqlite3.connect(db)
        conn.execute("VACUUM")
        conn.close()
        return {"first_scan_bytes": float(first), "bytes_per_scan": grown / scans,
                "history_bytes_per_scan": kept / scans, "prune_seconds": prune_s,
                "pruned_scans": float(report.scans_removed), "vacuum_seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--guests-per-host", type=int, default=100)
    parser.add_argument("--scans", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = synthetic_scan(range(args.hosts), args.guests_per_host)
    guests = args.hosts * args.guests_per_host
    print(f"{guests} guests, {args.scans} scans per scenario, median of {args.runs} runs, "
          f"load {os.getloadavg()[0]:.2f} (shared machine)")
    medians: dict[float, dict[str, float]] = {}
    for share in (0.0, 0.01, 0.10):
        runs = [scenario(base, share, args.scans) for _ in range(args.runs)]
        medians[share] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        m = medians[share]
        print(f"  {share:4.0%} changed per scan: {m['bytes_per_scan'] / 1024:9,.1f} KiB/scan, of which history kept "
              f"after pruning {m['history_bytes_per_scan'] / 1024:8,.1f} KiB; prune of {m['pruned_scans']:.0f} scans "
              f"{m['prune_seconds']:.2f} s, VACUUM {m['vacuum_seconds']:.2f} s")
    first = medians[0.0]["first_scan_bytes"]
    mib = 2**20
    year = 24 * 365
    print(f"first scan (node tables, guests, devices): {first / mib:,.1f} MiB; "
          f"an unchanged scan: {medians[0.0]['bytes_per_scan'] / guests:.1f} bytes per guest")
    for share in (0.0, 0.01):
        m = medians[share]
        print(f"a year of hourly scans, {share:.0%} changing each hour, no retention: "
              f"{(first + year * m['bytes_per_scan']) / mib:,.0f} MiB")
        for days in (30, 90):
            kept = 24 * days
            steady = first + kept * (m["bytes_per_scan"] - m["history_bytes_per_scan"]) + year * m["history_bytes_per_scan"]
            print(f"  with retention = {{ days = {days} }}: {steady / mib:,.0f} MiB after a year")


if __name__ == "__main__":
    main()
