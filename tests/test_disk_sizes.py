"""Disk capacities (issue 8.6): libvirt's block stats, virsh domstats, a replay's disk_sizes.json.

The live transports against a real qemu libvirtd are in test_disk_sizes_e2e.py; here the
pure parsers, the replay file, ``rscan --save``, and a daemon that refuses block stats
(libvirt's own test driver, asked to enforce them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import libvirt
import pytest

from vminv.scanner import live
from vminv.scanner.disksizes import (
    CAPACITY_MAX,
    DISK_SIZES_FILE,
    DISK_SIZES_PROBLEM,
    sizes_from_domstats,
    sizes_from_stats,
)
from vminv.scanner.replay import scan_replay
from vminv.scanner.savereplay import save_replay
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts
from vminv.scanner.sshtransport import parse_session, remote_script

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIZES = FIXTURES / "disksizes"
WEB01 = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"
NODE = FIXTURES / "nodes" / "kvmhost1.xml"


def capacities(guest):
    return {d.target: d.capacity_bytes for d in guest.disks}


def test_block_stats_of_libvirt_python_become_capacities_by_target():
    # The shape getAllDomainStats gave for a running guest on libvirt 9.0's qemu driver.
    stats = {"state.state": 1, "block.count": 3, "block.0.name": "vda", "block.0.path": "/i/a.raw",
             "block.0.backingIndex": 3, "block.0.allocation": 0, "block.0.capacity": 3221225472,
             "block.0.physical": 4096, "block.1.name": "vdb", "block.1.capacity": 1073741824,
             "block.2.name": "hdc", "block.2.rd.reqs": 0}
    problems: list[str] = []
    assert sizes_from_stats(stats, "domain x", problems) == {"vda": 3221225472, "vdb": 1073741824}
    assert problems == []
    assert sizes_from_stats({"state.state": 5}, "domain x", problems) == {}  # the test driver: none


def test_out_of_range_capacities_are_left_out_and_named():
    problems: list[str] = []
    stats = {"block.0.name": "vda", "block.0.capacity": 2**64 - 1, "block.1.name": "vdb",
             "block.1.capacity": CAPACITY_MAX, "block.2.name": "x" * 500, "block.2.capacity": 5}
    assert sizes_from_stats(stats, "domain x", problems) == {"vdb": CAPACITY_MAX}
    assert len(problems) == 1 and "vda" in problems[0] and "out of range" in problems[0]


def test_virsh_domstats_text_is_read_like_the_typed_stats():
    problems: list[str] = []
    text = (SIZES / "domstats-qemu.txt").read_text()
    assert sizes_from_domstats(text, "domain web01", problems) == {"vda": 21474836480, "vdb": 107374182400}
    assert problems == []
    assert sizes_from_domstats("Domain: 'web01'\n\n", "domain web01", problems) == {}  # test driver


def test_a_domain_name_with_line_breaks_cannot_forge_stats():
    problems: list[str] = []
    text = (SIZES / "domstats-forged-name.txt").read_text()
    assert sizes_from_domstats(text, "domain evil", problems) == {"vda": 21474836480}
    assert len(problems) == 1 and "vdb" in problems[0]  # 2**64-1: beyond what we keep


def _replay_with(tmp_path: Path, sizes_file: Path | None) -> Path:
    folder = tmp_path / "replay"
    shutil.copytree(FIXTURES / "replay" / "kvmhost1", folder / "kvmhost1")
    if sizes_file is not None:
        shutil.copy(sizes_file, folder / "kvmhost1" / DISK_SIZES_FILE)
    return folder


def test_replay_reads_disk_sizes_by_uuid_or_name(tmp_path):
    scan = scan_replay(_replay_with(tmp_path, SIZES / "kvmhost1.json"))
    guests = {g.name: g for g in scan.guests}
    assert capacities(guests["web01"]) == {"vda": 21474836480, "vdb": 107374182400, "sda": None}
    assert capacities(guests["rhel8-app01"])["sda"] == 21474836480
    assert capacities(guests["db01"])["vda"] == 0  # names match in any case, like host.json's states
    assert capacities(guests["build01"]) == dict.fromkeys(capacities(guests["build01"]))
    assert scan.hosts[0].problems == ()


def test_replay_without_the_file_knows_no_size(tmp_path):
    scan = scan_replay(_replay_with(tmp_path, None))
    assert all(d.capacity_bytes is None for g in scan.guests for d in g.disks)


def test_hostile_disk_sizes_are_left_out_and_named_and_the_rest_is_kept(tmp_path):
    scan = scan_replay(_replay_with(tmp_path, SIZES / "hostile.json"))
    guests = {g.name: g for g in scan.guests}
    assert all(size is None for size in capacities(guests["web01"]).values())
    assert capacities(guests["db01"])["vdb"] == CAPACITY_MAX
    messages = [p.message for p in scan.hosts[0].problems if p.domain == DISK_SIZES_FILE]
    assert len(messages) == 9, messages
    assert all("\x1b" not in m and "\x07" not in m for m in messages)
    assert len(scan.guests) == 6  # no domain is lost over a bad size


@pytest.mark.parametrize("content", [b"[1, 2]", b"{not json", b"\xff\xfe"])
def test_an_unreadable_disk_sizes_file_is_one_problem(tmp_path, content):
    folder = _replay_with(tmp_path, None)
    (folder / "kvmhost1" / DISK_SIZES_FILE).write_bytes(content)
    scan = scan_replay(folder)
    assert scan.hosts[0].ok and len(scan.guests) == 6
    (problem,) = scan.hosts[0].problems
    assert problem.domain == DISK_SIZES_FILE


def test_save_writes_the_sizes_and_the_saved_folder_replays_with_them(tmp_path):
    scanned = scan_replay(_replay_with(tmp_path, SIZES / "kvmhost1.json"), keep_xml=True)
    saved = tmp_path / "saved"
    assert save_replay(scanned, saved).complete
    written = json.loads((saved / "kvmhost1" / DISK_SIZES_FILE).read_text())
    assert written[WEB01] == {"vda": 21474836480, "vdb": 107374182400}
    again = scan_replay(saved)
    assert [g.to_dict() for g in again.guests] == [g.to_dict() for g in scanned.guests]


def test_save_of_a_scan_without_sizes_overwrites_older_sizes(tmp_path):
    saved = tmp_path / "saved"
    save_replay(scan_replay(_replay_with(tmp_path, SIZES / "kvmhost1.json"), keep_xml=True), saved)
    shutil.rmtree(tmp_path / "replay")
    save_replay(scan_replay(_replay_with(tmp_path, None), keep_xml=True), saved)
    assert json.loads((saved / "kvmhost1" / DISK_SIZES_FILE).read_text()) == {}
    assert all(d.capacity_bytes is None for g in scan_replay(saved).guests for d in g.disks)


def test_the_test_driver_gives_no_block_stats_and_no_problem():
    scan = scan_hosts([HostTarget("kvmhost1", f"test://{NODE}")], ScanSettings(timeout_s=20.0))
    assert scan.hosts[0].ok and scan.hosts[0].problems == ()
    assert scan.guests and all(d.capacity_bytes is None for g in scan.guests for d in g.disks)


class _RefusingBlockStats:
    """A real test-driver connection that enforces the stats it is asked for.

    libvirt's test driver has no block stats; with ENFORCE_STATS it refuses them
    as a daemon without them does ("Stats types bits 0x20 are not supported").
    """

    def __init__(self, conn: libvirt.virConnect) -> None:
        self._conn = conn

    def getAllDomainStats(self, stats: int, flags: int = 0):
        return self._conn.getAllDomainStats(stats, flags | libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_a_daemon_refusing_block_stats_costs_one_problem_not_the_host(monkeypatch):
    real_open = libvirt.openReadOnly
    monkeypatch.setattr(live.libvirt, "openReadOnly", lambda uri: _RefusingBlockStats(real_open(uri)))
    scan = scan_hosts([HostTarget("kvmhost1", f"test://{NODE}")], ScanSettings(timeout_s=20.0))
    (host,) = scan.hosts
    assert host.ok and host.guest_count == 6
    (problem,) = host.problems
    assert problem.domain == DISK_SIZES_PROBLEM and "not supported" in problem.message
    plain = scan_hosts([HostTarget("kvmhost1", f"test://{NODE}")], ScanSettings(timeout_s=20.0))
    assert [(g.name, g.state) for g in scan.guests] == [(g.name, g.state) for g in plain.guests]


def test_rscan_names_a_disk_sizes_problem_as_the_hosts_not_a_domains(tmp_path):
    folder = _replay_with(tmp_path, None)
    (folder / "kvmhost1" / DISK_SIZES_FILE).write_text("[]")
    rscan = str(Path(sys.executable).with_name("rscan"))
    result = subprocess.run([rscan, "kvmhost1", "--replay", str(folder), "--no-db"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"kvmhost1: {DISK_SIZES_FILE}: {DISK_SIZES_FILE} is not a JSON object" in result.stderr


def test_the_virsh_session_reads_capacities_locally():
    # The very script the paramiko transport runs on a host, run here by sh against
    # the test driver: it must parse, and its (empty) block stats give no sizes.
    marker = "@@vminv-test"
    script = remote_script(f"test://{NODE}", marker)
    output = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60, check=True).stdout
    scanned = parse_session("kvmhost1", output, marker)
    assert len(scanned.guests) == 6 and scanned.problems == ()
    assert output.count(f"{marker} block ") == 6


def test_a_virsh_session_with_sizes_and_a_refusal():
    marker = "@@vminv-m"
    xml = (FIXTURES / "replay" / "kvmhost1" / "web01.xml").read_text()
    db01 = (FIXTURES / "replay" / "kvmhost1" / "db01.xml").read_text()
    db01_uuid = "8b1e5c3a-77d2-4e0f-9a61-2c4d6e8f0a13"
    output = (f"{marker} state {WEB01}\nrunning\n\n{marker} xml {WEB01}\n{xml}\n"
              f"{marker} block {WEB01}\n{(SIZES / 'domstats-qemu.txt').read_text()}"
              f"{marker} state {db01_uuid}\nshut off\n\n{marker} xml {db01_uuid}\n{db01}\n"
              f"{marker} block {db01_uuid}\n")
    scanned = parse_session("kvmhost1", output, marker)
    guests = {g.name: g for g in scanned.guests}
    assert capacities(guests["web01"]) == {"vda": 21474836480, "vdb": 107374182400, "sda": None}
    assert all(size is None for size in capacities(guests["db01"]).values())
    sized = [p for p in scanned.problems if p.domain == DISK_SIZES_PROBLEM]
    assert len(sized) == 1 and "1 domain(s)" in sized[0].message


def test_a_virsh_without_domstats_is_one_problem():
    marker = "@@vminv-m"
    output = f"{marker} noblockstats\n"
    (problem,) = [p for p in parse_session("h", output, marker).problems if p.domain == DISK_SIZES_PROBLEM]
    assert "no domstats" in problem.message
