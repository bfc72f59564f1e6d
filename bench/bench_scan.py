"""Scanner benchmark: many simulated hypervisors over ssh at 40 ms RTT.

Every simulated host is a libvirt test-driver node file (realistic guests: two
NICs, two disks, ~2.5 KB of XML each, a third of them shut off) served by the
real local libvirtd through a private sshd (tests.realhosts.Sshd), reached via
its own port of a delay relay (bench.relay) that holds every chunk 20 ms in
each direction. The scan goes through the library: scanner.scan.scan_hosts.

Run from the repository root, as root, with libvirtd running (bash .ci/services):

    .venv/bin/python -m bench.bench_scan              # about 2.5 minutes
    .venv/bin/python -m bench.bench_scan --runs 5 --delay-ms 50

Not a test: pytest never collects it (it lives in bench/, not tests/).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

if not __package__:  # run as a file (python bench/bench_scan.py): put the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import libvirt

from bench.relay import RelayProcess
from tests.realhosts import Sshd, libvirtd_running
from vminv.scanner.events import ensure_event_loop
from vminv.scanner.model import ScanResult
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

ONE_WAY_DELAY_MS = 20.0
MAX_HOSTS = 32  # relay ports: one per simulated host

DOMAIN_XML = """  <domain type='test'>
    <name>{name}</name>
    <uuid>{uuid}</uuid>
    <title>{name} ({role})</title>
    <description>{role} server of project {project}; owner ops-team; created by the provisioning pipeline</description>
    <metadata>
      <cmdb:info xmlns:cmdb='http://example.com/cmdb/1.0'>
        <cmdb:owner>ops-team</cmdb:owner>
        <cmdb:cost-center>cc-{project}</cmdb:cost-center>
      </cmdb:info>
    </metadata>
    <memory unit='KiB'>{memory_kib}</memory>
    <currentMemory unit='KiB'>{memory_kib}</currentMemory>
    <vcpu placement='static'>{vcpus}</vcpu>
    <os>
      <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
      <boot dev='hd'/>
      <boot dev='network'/>
    </os>
    <features><acpi/><apic/></features>
    <cpu mode='custom' match='exact'>
      <model fallback='allow'>Westmere</model>
      <topology sockets='1' dies='1' cores='{cores}' threads='2'/>
    </cpu>
    <clock offset='utc'/>
    <on_poweroff>destroy</on_poweroff>
    <on_reboot>restart</on_reboot>
    <on_crash>restart</on_crash>
    <devices>
      <disk type='file' device='disk'>
        <driver name='qemu' type='qcow2' cache='none'/>
        <source file='/var/lib/libvirt/images/{name}-root.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <disk type='block' device='disk'>
        <driver name='qemu' type='raw' cache='none' io='native'/>
        <source dev='/dev/vg_guests/{name}-data'/>
        <target dev='vdb' bus='virtio'/>
      </disk>
      <interface type='bridge'>
        <mac address='52:54:{host:02x}:{nic_hi:02x}:{nic_lo:02x}:01'/>
        <source bridge='br0'/>
        <model type='virtio'/>
      </interface>
      <interface type='network'>
        <mac address='52:54:{host:02x}:{nic_hi:02x}:{nic_lo:02x}:02'/>
        <source network='backend'/>
        <model type='e1000'/>
      </interface>
      <controller type='usb' index='0' model='piix3-uhci'/>
      <controller type='pci' index='0' model='pci-root'/>
      <channel type='unix'>
        <target type='virtio' name='org.qemu.guest_agent.0'/>
      </channel>
      <serial type='pty'><target port='0'/></serial>
      <console type='pty'><target type='serial' port='0'/></console>
      <input type='tablet' bus='usb'/>
      <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
      <video><model type='cirrus' vram='16384' heads='1'/></video>
      <memballoon model='virtio'/>
      <rng model='virtio'>
        <backend model='random'>/dev/urandom</backend>
      </rng>
    </devices>{runstate}
  </domain>
"""
SHUT_OFF = "\n    <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>"
ROLES = ("web", "db", "cache", "batch", "build", "mail")


def write_node(folder: Path, host: str, host_index: int, guests: int) -> Path:
    """A test-driver node file of ``guests`` domains; every third one is shut off."""
    domains = []
    for i in range(guests):
        domains.append(DOMAIN_XML.format(
            name=f"{host}-vm{i:03d}", uuid=uuid.uuid5(uuid.NAMESPACE_DNS, f"{host}.{i}"),
            role=ROLES[i % len(ROLES)], project=f"p{i % 7}", memory_kib=(1 + i % 8) * 1048576,
            vcpus=2 * (1 + i % 4), cores=1 + i % 4, host=host_index, nic_hi=i >> 8, nic_lo=i & 0xFF,
            runstate=SHUT_OFF if i % 3 == 2 else "",
        ))
    path = Path(folder) / f"{host}.xml"
    path.write_text("<node>\n" + "".join(domains) + "</node>\n")
    return path


class Lab:
    """A private sshd, a delay relay with one port per simulated host, and an ssh wrapper."""

    def __init__(self, delay_ms: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vminv-bench-"))
        self.sshd = Sshd()
        try:
            self.relay = RelayProcess(("127.0.0.1", self.sshd.port), delay_ms, MAX_HOSTS)
        except Exception:
            self.sshd.stop()
            raise
        # Each relay port is a distinct "[127.0.0.1]:PORT" to ssh, with the sshd's one host key.
        key_type, key = self.sshd.host_key.with_suffix(".pub").read_text().split()[:2]
        self.known_hosts = self.dir / "known_hosts"
        self.known_hosts.write_text("".join(f"[127.0.0.1]:{p} {key_type} {key}\n" for p in self.relay.ports))
        # The URI's command= (scanner.sshwrap wraps it with its deadline and keepalive options).
        # curve25519 costs the client ~10 ms CPU per connection, the default sntrup761x25519 ~90 ms.
        self.ssh: dict[bool, Path] = {}
        for fast_kex in (True, False):
            script = self.dir / ("ssh-fast-kex" if fast_kex else "ssh")
            kex = "-o KexAlgorithms=curve25519-sha256 " if fast_kex else ""
            script.write_text(f"#!/bin/sh\nexec ssh -o UserKnownHostsFile={self.known_hosts} "
                              f'-o StrictHostKeyChecking=yes {kex}"$@"\n')
            script.chmod(0o700)
            self.ssh[fast_kex] = script

    def uri(self, node: Path, slot: int, fast_kex: bool = True) -> str:
        port = self.relay.ports[slot]
        return (f"test+ssh://root@127.0.0.1:{port}{node.resolve()}"
                f"?no_tty=1&keyfile={self.sshd.client_key}&command={self.ssh[fast_kex]}")

    def targets(self, nodes: list[Path], fast_kex: bool = True) -> list[HostTarget]:
        return [HostTarget(node.stem, self.uri(node, slot, fast_kex)) for slot, node in enumerate(nodes)]

    def settings(self, concurrency: int, xmldesc_threads: int = 16) -> ScanSettings:
        return ScanSettings(concurrency=concurrency, timeout_s=60.0, xmldesc_threads=xmldesc_threads)

    def close(self) -> None:
        self.relay.stop()
        self.sshd.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass(frozen=True)
class Run:
    wall_s: float
    client_cpu_s: float  # this process and its ssh children: the scanner's own cost, not the fake hosts'
    result: ScanResult

    @property
    def failed(self) -> int:
        return sum(1 for host in self.result.hosts if host.status != "ok")

    @property
    def guests(self) -> int:
        return len(self.result.guests)


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scan(targets: list[HostTarget], settings: ScanSettings) -> Run:
    cpu, started = _cpu_s(), time.perf_counter()
    result = scan_hosts(targets, settings)
    return Run(time.perf_counter() - started, _cpu_s() - cpu, result)


def repeat(runs: int, targets: list[HostTarget], settings: ScanSettings) -> list[Run]:
    done = [scan(targets, settings) for _ in range(runs)]
    for run in done:
        for host in run.result.hosts:
            if host.status != "ok":
                print(f"    failed {host.name}: {host.error_class}: {host.error}", file=sys.stderr)
    return done


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure_rtt(lab: Lab, node: Path, opens: int, samples: int = 21) -> tuple[float, float]:
    """(median seconds of an open, median seconds of a no-op RPC) through one relay port."""
    ensure_event_loop()
    open_times, rpc_times = [], []
    for _ in range(opens):
        started = time.perf_counter()
        conn = libvirt.openReadOnly(lab.uri(node, 0))
        open_times.append(time.perf_counter() - started)
        try:
            for _ in range(samples):
                started = time.perf_counter()
                conn.numOfDomains()
                rpc_times.append(time.perf_counter() - started)
        finally:
            conn.close()
    return median(open_times), median(rpc_times)


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def machine() -> str:
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip().split(",")[0]
    daemon = subprocess.run(["virsh", "-c", "qemu:///system", "version", "--daemon"], capture_output=True,
                            text=True).stdout
    daemon_line = next((line.split(":", 1)[1].strip() for line in daemon.splitlines()
                        if line.startswith("Running against daemon")), "?")
    lib = libvirt.getVersion()
    return (f"{os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, "
            f"libvirt {lib // 1000000}.{lib // 1000 % 1000}.{lib % 1000} (daemon {daemon_line}), "
            f"libvirt-python {version('libvirt-python')}, {ssh}")


Row = tuple[str, str, str]  # figure, result, note


def bench_many_hosts(lab: Lab, nodes: list[Path], runs: int) -> tuple[list[Row], bool]:
    rows, ok = [], True
    for hosts, concurrency, fast_kex in ((16, 16, True), (16, 16, False), (32, 8, True), (32, 16, True)):
        done = repeat(runs, lab.targets(nodes[:hosts], fast_kex), lab.settings(concurrency))
        wall, guests = median([r.wall_s for r in done]), median([r.guests for r in done])
        failed = max(r.failed for r in done)
        client_ms = median([r.client_cpu_s for r in done]) / hosts * 1000
        ok &= failed == 0
        kex = "" if fast_kex else ", ssh's default KEX"
        print(f"1. {hosts} hosts x 50 guests, concurrency {concurrency}{kex}: {wall:.2f} s, "
              f"{hosts / wall:.1f} hosts/s, {guests / wall:.0f} guests/s, failed hosts (worst run) {failed}, "
              f"scanner CPU {client_ms:.0f} ms per host; runs {', '.join(f'{r.wall_s:.2f}' for r in done)}")
        rows.append((f"{hosts} hosts x 50 guests, concurrency {concurrency}{kex}",
                     f"{wall:.2f} s = {hosts / wall:.1f} hosts/s, {guests / wall:.0f} guests/s",
                     f"failed hosts: {failed}; scanner CPU (incl. ssh) {client_ms:.0f} ms/host"))
    return rows, ok


def bench_within_concurrency(lab: Lab, big: Path, small: list[Path], runs: int) -> tuple[list[Row], bool]:
    """8 hosts at concurrency 8: the scan should take about as long as its slowest host alone.

    Each scan of the eight is paired with its hosts scanned alone just before, so that the
    ratio compares like with like on this shared machine.
    """
    ratios, walls, slowest, big_inside, failed = [], [], [], [], 0
    for _ in range(runs):
        alone = [scan(lab.targets([node]), lab.settings(8)) for node in (big, small[0])]
        together = scan(lab.targets([big, *small[:7]]), lab.settings(8))
        failed = max(failed, together.failed, *(run.failed for run in alone))
        walls.append(together.wall_s)
        slowest.append(max(run.wall_s for run in alone))
        ratios.append(walls[-1] / slowest[-1])
        big_inside.append(together.result.hosts[0].duration_s)
    ratio = median(ratios)
    print(f"2. 8 hosts (1 x 200 + 7 x 50 guests), concurrency 8: {median(walls):.2f} s; slowest host alone "
          f"{median(slowest):.2f} s; ratio {ratio:.2f} (target <= 1.5; runs {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"the 200-guest host took {median(big_inside):.2f} s inside the scan; failed hosts {failed}")
    row = ("8 hosts (1 x 200 + 7 x 50), concurrency 8",
           f"{median(walls):.2f} s vs slowest host alone {median(slowest):.2f} s: **{ratio:.2f}x**",
           f"target <= 1.5x; failed hosts: {failed}")
    return [row], ratio <= 1.5 and failed == 0


def open_seconds(lab: Lab, node: Path) -> float:
    """One bare open of ``node``'s host (ssh + libvirt handshake + the daemon loading the node file)."""
    ensure_event_loop()
    started = time.perf_counter()
    libvirt.openReadOnly(lab.uri(node, 0)).close()
    return time.perf_counter() - started


def bench_fan_out(lab: Lab, big: Path, runs: int, rtt: float) -> tuple[list[Row], bool]:
    """One host of 200 guests: XMLDesc one at a time vs 16 (the default), 32, 64 threads on one connection.

    Each scan is paired with a bare open just before it, so that "after the open" (the round
    trips the guests cost) does not drift with the load of this shared machine.
    """
    rows, ok = [], True
    for threads in (1, 16, 32, 64):
        pairs = []
        for _ in range(runs):
            opened = open_seconds(lab, big)
            pairs.append((opened, scan(lab.targets([big]), lab.settings(1, xmldesc_threads=threads))))
        wall = median([run.wall_s for _, run in pairs])
        after_open = median([(run.wall_s - opened) / rtt for opened, run in pairs])
        failed = max(run.failed for _, run in pairs)
        if threads == 16:  # the default must be "clearly less than 200 sequential round trips"
            ok &= failed == 0 and after_open < 200 / 4
        print(f"3. 200 guests, xmldesc_threads={threads}: {wall:.2f} s = {wall / rtt:.0f} RTT, of which "
              f"{after_open:.0f} RTT after the open; 200 x RTT = {200 * rtt:.2f} s; failed hosts {failed}")
        rows.append((f"1 host x 200 guests, xmldesc_threads={threads}",
                     f"{wall:.2f} s; {after_open:.0f} RTT after the open",
                     f"200 x RTT = {200 * rtt:.2f} s; failed hosts: {failed}"))
    return rows, ok


def bare_client(uris: list[str], xml_threads: int) -> tuple[float, int]:
    """The yardstick: plain libvirt-python opening every host at once, making the scanner's calls.

    Per host: one read-only open, getAllDomainStats(STATE|BLOCK, NOWAIT), XMLDesc of every
    domain on ``xml_threads`` threads sharing the connection, the six host-fact
    calls in the same pool, close. No deadline, no parsing, no ssh wrapper:
    the least any client can do. Returns (wall seconds, domains read).
    """
    ensure_event_loop()

    def one(uri: str) -> int:
        conn = libvirt.openReadOnly(uri)
        try:
            stats = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BLOCK,
                                           libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
            with ThreadPoolExecutor(max_workers=xml_threads) as pool:
                facts = [pool.submit(call) for call in (conn.getCapabilities, conn.getInfo, conn.getHostname,
                                                        conn.getType, conn.getVersion, conn.getLibVersion)]
                xmls = list(pool.map(lambda pair: pair[0].XMLDesc(0), stats))
                for future in facts:
                    future.result()
            return len(xmls)
        finally:
            conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(uris)) as hosts:
        domains = sum(hosts.map(one, uris))
    return time.perf_counter() - started, domains


def bench_against_bare_client(lab: Lab, nodes: list[Path], runs: int) -> tuple[list[Row], bool]:
    """20 hosts x 50 guests with the scanner's defaults vs the bare client, runs interleaved.

    Target: the scanner takes at most 1.15x the bare client's time. Both run in
    this one process, alternating, so that the machine's load hits both alike.
    """
    targets = lab.targets(nodes[:20])
    defaults = ScanSettings()
    ours, bare, ratios, failed = [], [], [], 0
    for _ in range(runs):
        bare_wall, domains = bare_client([t.uri for t in targets], defaults.xmldesc_threads)
        run = scan(targets, defaults)
        failed = max(failed, run.failed)
        if run.guests != domains:
            print(f"    the scan found {run.guests} guests, the bare client {domains}", file=sys.stderr)
        ours.append(run.wall_s)
        bare.append(bare_wall)
        ratios.append(run.wall_s / bare_wall)
    ratio = median(ratios)
    print(f"4. 20 hosts x 50 guests, scanner defaults (concurrency {defaults.concurrency}, "
          f"{defaults.xmldesc_threads} XML threads): {median(ours):.2f} s; bare libvirt-python client "
          f"{median(bare):.2f} s; ratio {ratio:.2f} (target <= 1.15; runs {', '.join(f'{r:.2f}' for r in ratios)}); "
          f"failed hosts {failed}")
    row = ("20 hosts x 50 guests, defaults, vs a bare libvirt-python client",
           f"{median(ours):.2f} s vs {median(bare):.2f} s: **{ratio:.2f}x**",
           f"target <= 1.15x; failed hosts: {failed}")
    return [row], ratio <= 1.15 and failed == 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark scanner.scan.scan_hosts over simulated latency.")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--delay-ms", type=float, default=ONE_WAY_DELAY_MS, help="one-way delay per direction")
    parser.add_argument("--only", choices=("many", "within", "fan-out", "bare"), action="append",
                        help="run only these parts (repeatable); default: all")
    args = parser.parse_args()
    if os.geteuid() != 0 or not libvirtd_running():
        print("needs root and a running libvirtd (bash .ci/services)", file=sys.stderr)
        return 2

    began, load_before = time.perf_counter(), load()
    lab = Lab(args.delay_ms)
    try:
        nodes = [write_node(lab.dir, f"kvm{i:02d}", i, 50) for i in range(1, MAX_HOSTS + 1)]
        big = write_node(lab.dir, "big200", 0, 200)
        print(f"machine: {machine()}")
        print(f"node files: {len(nodes)} x 50 guests, 1 x 200 guests, "
              f"{len(big.read_text()) / 200 / 1024:.1f} KB XML per guest")
        opened, rtt = measure_rtt(lab, big, opens=args.runs)
        print(f"RTT (no-op RPC through the relay): {rtt * 1000:.1f} ms; open of the 200-guest host: {opened:.2f} s")
        rows: list[Row] = [("RTT (no-op libvirt RPC over the relay)", f"{rtt * 1000:.1f} ms",
                            f"relay delay {args.delay_ms:g} ms each way; one open {opened:.2f} s")]
        parts = {"many": lambda: bench_many_hosts(lab, nodes, args.runs),
                 "within": lambda: bench_within_concurrency(lab, big, nodes, args.runs),
                 "fan-out": lambda: bench_fan_out(lab, big, args.runs, rtt),
                 "bare": lambda: bench_against_bare_client(lab, nodes, args.runs)}
        met = True
        for name, part in parts.items():
            if not args.only or name in args.only:
                part_rows, part_met = part()
                rows += part_rows
                met &= part_met
    finally:
        lab.close()

    print(f"\n| figure (median of {args.runs} runs) | result | note |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nMachine: {machine()}; ssh KEX curve25519-sha256 unless noted; whole bench "
          f"{time.perf_counter() - began:.0f} s; load average before {load_before}, after {load()} "
          "(other work on this box skews every figure)")
    print("targets: " + ("all met" if met else "MISSED (see above)"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
