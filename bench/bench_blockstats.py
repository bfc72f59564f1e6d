"""What asking for block stats (disk sizes) costs the daemon: a real qemu libvirtd, not the test driver.

The scan lists domains with ``getAllDomainStats(STATE|BLOCK, NOWAIT)`` instead of
``STATE`` alone. Over the network that is the same one round trip (bench_scan.py
measures it against a bare client), but the test driver behind bench_scan has no
block stats, so the daemon's own work is measured here: for a shut-off guest
libvirtd opens each disk image and reads its header, for a running one it asks
qemu's monitor. Both calls alternate on one local read-only connection.

    bash .ci/services
    .venv/bin/python -m bench.bench_blockstats --guests 50 --running 2 --runs 21

Defines ``--guests`` shut-off guests with two sparse raw disks each (and starts
``--running`` of them under TCG), all named ``vminv-bench-bs-*``, removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libvirt

from bench.bench_scan import load, machine
from tests.realhosts import libvirtd_running

PREFIX = "vminv-bench-bs-"
GUEST = """<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{a}'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{b}'/><target dev='vdb' bus='virtio'/></disk>
<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
</devices></domain>"""


def _timed(conn: libvirt.virConnect, stats: int, flags: int, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.getAllDomainStats(stats, flags)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--guests", type=int, default=50)
    parser.add_argument("--running", type=int, default=2)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    if os.geteuid() != 0 or not libvirtd_running():
        print("needs root and a running libvirtd (bash .ci/services)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="vminv-bench-bs-"))
    admin = libvirt.open("qemu:///system")
    defined: list[libvirt.virDomain] = []
    load_before = load()
    try:
        for index in range(args.guests):
            images = []
            for disk, size in (("a", 20 * 2**30), ("b", 100 * 2**30)):
                path = folder / f"{index}-{disk}.raw"
                with open(path, "wb") as handle:
                    handle.truncate(size)
                images.append(path)
            defined.append(admin.defineXML(GUEST.format(name=f"{PREFIX}{index}", a=images[0], b=images[1])))
        for dom in defined[: args.running]:
            dom.create()
        conn = libvirt.openReadOnly("qemu:///system")
        try:
            state = libvirt.VIR_DOMAIN_STATS_STATE
            block = state | libvirt.VIR_DOMAIN_STATS_BLOCK
            nowait = libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT
            _timed(conn, block, nowait, 2)  # warm caches on both paths alike
            plain, sized = [], []
            for _ in range(args.runs):  # alternate, so that load hits both alike
                plain += _timed(conn, state, 0, 1)
                sized += _timed(conn, block, nowait, 1)
            listed = conn.getAllDomainStats(block, nowait)
        finally:
            conn.close()
        ours = [values for dom, values in listed if dom.name().startswith(PREFIX)]
        capacities = sum(1 for values in ours for key in values if key.endswith(".capacity"))
        extra_ms = (statistics.median(sized) - statistics.median(plain)) * 1000
        print(f"machine: {machine()}")
        print(f"{len(listed)} domains ({args.guests} of ours, {args.running} running), {capacities} capacities read")
        print(f"getAllDomainStats(STATE): median {statistics.median(plain) * 1000:.2f} ms "
              f"(runs {min(plain) * 1000:.2f}-{max(plain) * 1000:.2f})")
        print(f"getAllDomainStats(STATE|BLOCK, NOWAIT): median {statistics.median(sized) * 1000:.2f} ms "
              f"(runs {min(sized) * 1000:.2f}-{max(sized) * 1000:.2f})")
        print(f"extra per host: {extra_ms:.2f} ms; per domain {extra_ms / max(1, len(listed)):.3f} ms; "
              f"{args.runs} runs each; load average before {load_before}, after {load()}")
    finally:
        for dom in defined:
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except libvirt.libvirtError as exc:
                print(f"cleanup: {exc}", file=sys.stderr)
        admin.close()
        shutil.rmtree(folder, ignore_errors=True)
        leftover = subprocess.run(["virsh", "-q", "-c", "qemu:///system", "list", "--all", "--name"],
                                  capture_output=True, text=True).stdout.split()
        if any(name.startswith(PREFIX) for name in leftover):
            print("cleanup: some bench guests are still defined", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
