"""Inventory write and diff speed: 100,000 guests on 1,000 hosts.

Measures, on one CPU core, the median of several runs of:
  1. recording a 100,000-guest scan with -w into an empty database (target < 10 s);
  2. recording the same scan again, unchanged (target < 3 s);
  3. diffing those two scans;
  4. recording a scan in which 1% of the guests changed, and diffing it.

Usage: .venv/bin/python bench/bench_inventory.py [--runs 3] [--hosts 1000] [--guests-per-host 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inventory.inventory_synthetic import synthetic_scan  # noqa: E402
from vminv.inventory import diff_scans, record_scan  # noqa: E402


def _timed(func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--guests-per-host", type=int, default=100)
    parser.add_argument("--all-cores", action="store_true", help="do not pin the process to one core")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    first = synthetic_scan(range(args.hosts), args.guests_per_host, "2024-05-01T10:00:00+00:00")
    again = dataclasses.replace(first, started="2024-05-02T10:00:00+00:00", finished="2024-05-02T10:00:00+00:00")
    # 1% of the guests get more vCPUs in a third scan.
    changed_guests = tuple(
        dataclasses.replace(g, vcpus=4, vcpus_current=4) if i % 100 == 0 else g for i, g in enumerate(first.guests)
    )
    changed = dataclasses.replace(again, started="2024-05-03T10:00:00+00:00", guests=changed_guests)
    total = len(first.guests)

    timings: dict[str, list[float]] = {k: [] for k in ("first", "again", "diff", "changed", "diff_changed", "size")}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            seconds, report = _timed(record_scan, db, first, "w")
            assert len(report.written) == total
            timings["first"].append(seconds)
            seconds, report = _timed(record_scan, db, again, "w")
            assert report.unchanged == total and not report.updated
            timings["again"].append(seconds)
            seconds, result = _timed(diff_scans, db, 1, 2)
            assert not result.entries
            timings["diff"].append(seconds)
            seconds, report = _timed(record_scan, db, changed, "w")
            assert len(report.updated) == total // 100
            timings["changed"].append(seconds)
            seconds, result = _timed(diff_scans, db, 2, 3)
            assert result.counts()["changed"] == total // 100
            timings["diff_changed"].append(seconds)
            timings["size"].append(sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20)
        print(
            f"run {run + 1}: first {timings['first'][-1]:.2f} s, again {timings['again'][-1]:.2f} s, "
            f"diff {timings['diff'][-1]:.2f} s, 1% changed {timings['changed'][-1]:.2f} s, "
            f"diff 1% {timings['diff_changed'][-1]:.2f} s, files {timings['size'][-1]:.0f} MiB",
            flush=True,
        )
    median = {k: statistics.median(v) for k, v in timings.items()}
    print(f"\n{total:,} guests on {args.hosts:,} hosts, median of {args.runs} runs"
          f"{'' if args.all_cores else ', one core'}:")
    print(f"  first write (-w, empty database)  {median['first']:6.2f} s   (target < 10 s)")
    print(f"  same scan again, unchanged        {median['again']:6.2f} s   (target < 3 s)")
    print(f"  diff of those two scans           {median['diff']:6.2f} s")
    print(f"  scan with 1% of guests changed    {median['changed']:6.2f} s")
    print(f"  diff with 1% changed              {median['diff_changed']:6.2f} s")
    print(f"  database size after three scans   {median['size']:6.0f} MiB")


if __name__ == "__main__":
    main()
