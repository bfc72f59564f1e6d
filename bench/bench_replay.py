"""``rscan --replay`` end to end: 20,000 guests, JSON out, recorded in a new inventory.

    .venv/bin/python bench/bench_replay.py [--hosts 20] [--guests 1000] [--runs 5] [--profile]
                                           [--baseline OTHER/.venv/bin/rscan]

Builds a replay folder of ``--hosts`` x ``--guests`` domain XML files (the
fixtures under fixtures/domains, real ``virsh dumpxml`` shapes, each copy with
its own name and UUID), then times the real command line,

    rscan kvmhost[01-20] --replay DIR --format json --db NEW.db > /dev/null

first pinned to one CPU, then on every CPU of the machine (taskset; a replay
parses host folders in one process per CPU), each run into a fresh database.
It reports the median guests/s over ``--runs`` runs of each (wall time) and
the CPU time per guest (the child's user+sys: on a shared machine the wall
figure also counts time other processes held the cores). ``--profile`` runs the
same work once in-process under cProfile and prints where the time goes.
``--baseline`` names the ``rscan`` of another checkout (an earlier commit, in
its own virtualenv): its runs alternate with
this one's on the same folder, so a change is measured against the code before
it under the same load (this machine's speed varies by a third from minute to
minute). Beside them, alternating run by run on the same CPUs, runs the floor
(bench/replay_floor.py): Python started, every file read and parsed with the
project's hardened lxml parser, nothing else; the ratio of the two says how
much of the time is the rest (records, recording, JSON) and bounds what any
rework of the rest could reach on this machine. Target: at least 10,000 guests/s.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_GUESTS_PER_S = 10_000
FLOOR = "floor (read and parse only)"

_NAME = re.compile(rb"<name>[^<]*</name>")
_UUID = re.compile(rb"<uuid>[^<]*</uuid>")


def build_replay(directory: Path, hosts: int, guests: int) -> list[str]:
    """Write ``hosts`` folders of ``guests`` domain XML files; return the host names."""
    templates = [p.read_bytes() for p in sorted((ROOT / "fixtures" / "domains").glob("*.xml"))]
    names = []
    for h in range(1, hosts + 1):
        host = f"kvmhost{h:02d}"
        names.append(host)
        folder = directory / host
        folder.mkdir(parents=True)
        for g in range(guests):
            name = f"vm{h:02d}x{g:04d}"
            doc = templates[g % len(templates)]
            doc = _NAME.sub(f"<name>{name}</name>".encode(), doc, count=1)
            doc = _UUID.sub(f"<uuid>{uuid.UUID(int=h << 64 | g)}</uuid>".encode(), doc, count=1)
            (folder / f"{name}.xml").write_bytes(doc)
    return names


# Installed packages run from bytecode compiled once (pip compiles at install); a
# checkout installed editable gets it at its first run, unless this variable (set on
# these machines) forbids writing it: then every run would compile every module of
# the project again, 0.15 s here, which no installed rscan pays.
_CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def rscan_command(rscan: Path, directory: Path, noderange: str, db: Path) -> list[str]:
    """The real command line: a recorded JSON replay into the new database ``db``."""
    return [str(rscan), noderange, "--replay", str(directory), "--format", "json", "--db", str(db)]


def floor_command(directory: Path, hosts: list[str], cpus: int) -> list[str]:
    """Reading and parsing the same files and nothing else (bench/replay_floor.py)."""
    return [sys.executable, "-m", "bench.replay_floor", str(directory), *hosts, "--workers", str(cpus)]


def one_run(command: list[str], cpus: str) -> tuple[float, float]:
    """(wall s, CPU s of the child) for one run of ``command`` on ``cpus``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        done = subprocess.run(
            ["taskset", "-c", cpus, *command], stdout=sink, stderr=subprocess.PIPE, check=False, env=_CHILD_ENV,
            cwd=ROOT,
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def profile(directory: Path, noderange: str, db: Path) -> None:
    import cProfile
    import pstats

    from click.testing import CliRunner

    from vminv.cli.rscan import cli

    runner = CliRunner()
    profiler = cProfile.Profile()
    profiler.enable()
    runner.invoke(cli, [noderange, "--replay", str(directory), "--format", "json", "--db", str(db)])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--guests", type=int, default=1000, help="guests per host")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--baseline", type=Path, help="the rscan of another checkout, run alternately")
    args = parser.parse_args()

    rscan = Path(sys.executable).with_name("rscan")
    work = Path(tempfile.mkdtemp(prefix="vminv-bench-replay-"))
    try:
        replay = work / "replay"
        hosts = build_replay(replay, args.hosts, args.guests)
        noderange = f"kvmhost[01-{args.hosts:02d}]"
        total = args.hosts * args.guests
        if args.profile:
            sys.path.insert(0, str(ROOT))
            profile(replay, noderange, work / "profile.db")
            return 0
        cpu_list = sorted(os.sched_getaffinity(0))
        all_cpus = ",".join(str(c) for c in cpu_list)
        builds = {"this checkout": rscan}
        if args.baseline is not None:
            builds["baseline"] = args.baseline
        for build in builds.values():
            one_run(rscan_command(build, replay, noderange, work / "warmup.db"), "0")  # page cache, .pyc files
        parsed = subprocess.run(floor_command(replay, hosts, 1), capture_output=True, check=True, cwd=ROOT,
                                env=_CHILD_ENV).stdout
        if int(parsed) != total:
            raise SystemExit(f"the floor parsed {int(parsed)} documents, not {total}")
        print(f"{len(hosts)} hosts x {args.guests} guests = {total:,} guests; load average {os.getloadavg()[0]:.2f}")
        medians = {}
        for label, cpus, count in (("one core", "0", 1), (f"cpus {all_cpus}", all_cpus, len(cpu_list))):
            # Each setting's runs back to back; the builds and the floor alternate run by run.
            timings: dict[str, list[tuple[float, float]]] = {name: [] for name in (*builds, FLOOR)}
            for i in range(args.runs):
                for name, build in builds.items():
                    db = work / f"run-{cpus}-{i}-{name.replace(' ', '-')}.db"
                    timings[name].append(one_run(rscan_command(build, replay, noderange, db), cpus))
                timings[FLOOR].append(one_run(floor_command(replay, hosts, count), cpus))
            rates = {name: statistics.median(total / wall for wall, _ in runs) for name, runs in timings.items()}
            for name, runs in timings.items():
                wall_rates = [total / wall for wall, _ in runs]
                cpu_rates = [total / cpu for _, cpu in runs]
                medians[f"{label}, {name}"] = rates[name]
                print(f"{label}, {name}: runs (wall) {', '.join(f'{r:,.0f}' for r in wall_rates)} guests/s; "
                      f"CPU time {statistics.median(cpu_rates):,.0f} guests/s per CPU-second (median)")
            if len(builds) == 2:
                print(f"{label}: this checkout / baseline = {rates['this checkout'] / rates['baseline']:.2f}x "
                      "(medians, wall)")
            print(f"{label}: the whole replay takes {rates[FLOOR] / rates['this checkout']:.2f}x the time of "
                  "reading and parsing its files alone (medians, wall)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print("medians (wall): " + "; ".join(f"{k} {v:,.0f} guests/s" for k, v in medians.items())
              + f"; target >= {TARGET_GUESTS_PER_S:,}")
        ours = [v for k, v in medians.items() if k.endswith("this checkout")]
        return 0 if max(ours) >= TARGET_GUESTS_PER_S else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
