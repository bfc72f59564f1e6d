"""Reconcile 20,000 VMs on 500 hosts: requests made and seconds taken.

The engine is the test simulator (HTTPS on 127.0.0.1, gzip on, RHV 4.3: API v4
with ``follow=``), run in a separate process so that it does not share the
GIL with the client. The scan is built from the same generated scenario (every
running VM on its host, plus a few percent of deliberate differences), so
every finding kind occurs. Each run reads the whole engine (``read_engine``:
login, discovery, every collection paged, logout) and reconciles (pure).
The first run is a warm-up (the simulator renders and caches its objects)
and is not counted; the figures are medians of the other runs.

Usage: .venv/bin/python bench/bench_reconcile.py [--runs 5] [--vms 20000] [--hosts 500] [--page-size 500]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engine_sim import EngineMode, EngineSimulator, generate, make_pki  # noqa: E402
from vminv.rhev.reconcile import reconcile, summarize  # noqa: E402
from vminv.rhev.settings import EngineSettings  # noqa: E402
from vminv.rhev.snapshot import read_engine  # noqa: E402
from vminv.scanner.model import Disk, GuestRecord, HostFacts, HostResult, Nic, ScanResult  # noqa: E402


def _seed(vms: int, hosts: int) -> dict[str, Any]:
    return {"vms": vms, "hosts": hosts, "clusters": max(1, hosts // 50), "seed": 2024, "down_ratio": 0.2}


def _serve(seed: dict[str, Any], pki_dir: str, ready: Any, stop: Any) -> None:
    from tests.engine_sim.pki import Pki

    pki = Pki(**json.loads((Path(pki_dir) / "pki.json").read_text(), object_hook=_paths))
    with EngineSimulator(generate(seed), pki, EngineMode(version="4.3")) as engine:
        ready.put((engine.url, engine.user, engine.password))
        stop.wait()


def _paths(data: dict[str, Any]) -> dict[str, Any]:
    return {k: Path(v) if k.endswith("_file") else v for k, v in data.items()}


def synthetic_scan(seed: dict[str, Any]) -> ScanResult:
    """What scanning the generated engine's hosts would give, with a few differences."""
    scenario = generate(seed)
    host_names = {h["id"]: h["name"] for h in scenario.hosts}
    names = [h["name"] for h in scenario.hosts]
    guests: list[GuestRecord] = []
    for index, vm in enumerate(scenario.vms):
        if vm["status"] != "up":
            continue
        host = host_names[vm["host_id"]]
        vcpus = vm["sockets"] * vm["cores"] * vm["threads"]
        memory_kib = vm["memory"] // 1024
        if index % 97 == 0:
            continue  # missing: the engine says up, the host has no such domain
        if index % 89 == 0:
            host = names[(names.index(host) + 1) % len(names)]  # wrong_host
        if index % 83 == 0:
            memory_kib //= 2  # drift
        guests.append(GuestRecord(
            hypervisor=host, type="kvm", name=vm["name"], uuid=vm["id"], id=index + 1, state="running",
            vcpus=16, vcpus_current=vcpus, memory_kib=memory_kib, current_memory_kib=memory_kib, os_type="hvm",
            arch="x86_64", machine="pc-q35-rhel8.6.0", cpu_sockets=16, cpu_dies=1, cpu_cores=1, cpu_threads=1,
            nics=tuple(Nic("bridge", n["mac"], "ovirtmgmt", "virtio", f"vnet{i}") for i, n in enumerate(vm["nics"])),
            disks=tuple(Disk("disk", "file", f"/rhev/data-center/mnt/x/{d['id']}", f"vd{'abc'[i]}", "virtio",
                             "qcow2", False) for i, d in enumerate(vm["disks"])),
            graphics=(), title=None, description=None,
        ))
    for number, host in enumerate(names[::50]):
        guests.append(dataclasses.replace(guests[0], hypervisor=host, name=f"scratch{number}",
                                          uuid=f"00000000-0000-4000-8000-{number:012d}"))  # unmanaged
    hosts = tuple(
        HostResult(name=h["name"], uri=f"qemu+ssh://root@{h['name']}/system", status="ok", error_class=None,
                   error=None, facts=HostFacts(h["address"], "QEMU", "7.2.0", "9.0.0", h["hw_uuid"].lower(),
                                               "x86_64", None, 2, 16, 2, 64, 2**28), duration_s=0.5)
        for h in scenario.hosts
    )
    return ScanResult(started="", finished="", version="bench", noderange="kvm[001-500]", hosts=hosts,
                      guests=tuple(sorted(guests, key=lambda g: (g.hypervisor, g.name))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted runs (after one warm-up)")
    parser.add_argument("--vms", type=int, default=20000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()

    seed = _seed(args.vms, args.hosts)
    scan = synthetic_scan(seed)
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp))
        (Path(tmp) / "pki.json").write_text(json.dumps({k: str(v) for k, v in dataclasses.asdict(pki).items()}))
        context = multiprocessing.get_context("spawn")
        ready, stop = context.Queue(), context.Event()
        server = context.Process(target=_serve, args=(seed, tmp, ready, stop), daemon=True)
        server.start()
        try:
            url, user, password = ready.get(timeout=120)
            settings = EngineSettings(url=url, user=user, password=password, ca_file=pki.ca_file,
                                      page_size=args.page_size, timeout_s=120)
            rows = []
            for run in range(args.runs + 1):
                started, cpu_started = time.perf_counter(), time.process_time()
                engine = read_engine(settings)
                read_s = time.perf_counter() - started
                cpu_s = time.process_time() - cpu_started  # the client's own CPU; the rest is the engine
                started = time.perf_counter()
                findings = reconcile(scan, engine)
                reconcile_s = time.perf_counter() - started
                rows.append((read_s, reconcile_s, engine.requests_made, cpu_s))
                print(f"run {run}{' (warm-up)' if run == 0 else ''}: read {read_s:.2f} s (client CPU {cpu_s:.2f} s),"
                      f" reconcile {reconcile_s:.2f} s,"
                      f" {engine.requests_made} requests, {len(engine.vms)} VMs, {len(engine.hosts)} hosts",
                      file=sys.stderr)
        finally:
            stop.set()
            server.join(timeout=10)
    counted = rows[1:] or rows
    read_median = statistics.median(r[0] for r in counted)
    reconcile_median = statistics.median(r[1] for r in counted)
    total_median = statistics.median(r[0] + r[1] for r in counted)
    cpu_median = statistics.median(r[3] for r in counted)
    summary = {kind: n for kind, n in summarize(findings).items() if n}
    print(f"{args.vms} VMs on {args.hosts} hosts, page size {args.page_size}, {len(counted)} runs (medians):")
    print(f"  requests:        {counted[-1][2]}")
    print(f"  read engine:     {read_median:.2f} s (client CPU {cpu_median:.2f} s, the rest is the simulated engine)")
    print(f"  reconcile:       {reconcile_median:.2f} s")
    print(f"  total:           {total_median:.2f} s")
    print(f"  findings:        {summary}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "reconcile.json").write_text(json.dumps({
        "vms": args.vms, "hosts": args.hosts, "page_size": args.page_size, "runs": len(counted),
        "requests": counted[-1][2], "read_s": read_median, "read_client_cpu_s": cpu_median, "reconcile_s": reconcile_median, "total_s": total_median,
        "findings": summary,
    }, indent=2))


if __name__ == "__main__":
    main()
