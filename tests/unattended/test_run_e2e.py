"""End to end: `vminv run` against the real libvirtd over a real sshd (test driver node files).

Two runs started at once: one says busy (or waits) and nothing is lost; a
guest that moves between two hosts is followed; another domain under the
same name stays a conflict.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.realhosts import Sshd, libvirtd_running, need
from vminv import inventory

pytestmark = pytest.mark.e2e

VMINV = str(Path(sys.executable).parent / "vminv")
MOVER_UUID = "6b1c0c66-0f2e-4d1c-9a7e-3e9d5f0a1b01"

DOMAIN = """<domain type='test'>
  <name>{name}</name><uuid>{uuid}</uuid>
  <memory unit='KiB'>65536</memory><vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><interface type='network'><mac address='{mac}'/><source network='default'/></interface></devices>
</domain>
"""


def _node_file(path: Path, guests: list[tuple[str, str, str]]) -> None:
    path.write_text("<node>\n" + "".join(DOMAIN.format(name=n, uuid=u, mac=m) for n, u, m in guests) + "</node>\n")


@pytest.fixture(scope="module")
def sshd():
    need(os.geteuid() == 0 and Path("/usr/sbin/sshd").exists(), "needs root and openssh-server")
    need(libvirtd_running(), "needs a running libvirtd (.ci/services)")
    server = Sshd()
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path, sshd):
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    for number in (1, 2, 3):
        _node_file(hosts / f"kvmhost{number}.xml", [
            (f"guest{number}{i}", f"00000000-0000-4000-8000-0000000000{number}{i}", f"52:54:00:00:0{number}:0{i}")
            for i in range(4)
        ])
    _node_file(hosts / "kvmhost1.xml", [("mover", MOVER_UUID, "52:54:00:aa:00:01"),
                                        ("guest10", "00000000-0000-4000-8000-000000000010", "52:54:00:00:01:00")])
    config = tmp_path / "config.toml"
    config.write_text(
        "[profiles.lab]\n"
        'noderange = "kvmhost1,kvmhost2,kvmhost3"\n'
        f'uri = "{sshd.uri(f"test://{hosts}/{{host}}.xml")}"\n'
        f'db = "{tmp_path / "inv.db"}"\n'
        'write = "w"\nfollow_moves = true\ntimeout = 30\n'
    )
    return hosts, config, tmp_path / "inv.db"


def _run(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VMINV_CONFIG", "VMINV_DB")}
    return subprocess.Popen([VMINV, "run", "lab", "--config", str(config), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def test_two_runs_at_once_one_is_busy_then_both_wait_and_nothing_is_lost(site):
    _, config, db = site
    first = _run(config)
    # Start the second once the first holds the lock (it writes its pid into the lock file).
    lock = db.with_name("inv.db.lock")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        time.sleep(0.02)
    second = _run(config)
    outcomes = sorted([_finish(first), _finish(second)])
    (code_a, out_a, _), (code_b, out_b, err_b) = outcomes
    assert (code_a, code_b) == (0, 6), outcomes
    assert out_a.startswith("lab: scan 1: 3 hosts, 10 guests; written: 10 new")
    assert out_b == "" and len(err_b.splitlines()) == 1 and "being written by another vminv" in err_b
    # With --wait both run, one after the other, and both scans are recorded whole.
    results = [_finish(p) for p in (_run(config, "--wait", "60"), _run(config, "--wait", "60"))]
    assert [code for code, _, _ in results] == [0, 0], results
    scans = inventory.list_scans(db)
    assert sorted(s.id for s in scans) == [1, 2, 3]
    assert all(s.guests_total == 10 and s.hosts_failed == 0 for s in scans)
    observed = sqlite3.connect(db).execute("SELECT scan_id, COUNT(*) FROM observations GROUP BY scan_id").fetchall()
    assert sorted(observed) == [(1, 10), (2, 10), (3, 10)]


def test_a_guest_moved_between_hosts_is_followed_and_another_uuid_stays_a_conflict(site):
    hosts, config, db = site
    code, out, err = _finish(_run(config))
    assert code == 0, out + err
    # Live migration: mover leaves kvmhost1 (which still answers) for kvmhost2.
    _node_file(hosts / "kvmhost1.xml", [("guest10", "00000000-0000-4000-8000-000000000010", "52:54:00:00:01:00")])
    host2 = (hosts / "kvmhost2.xml").read_text()
    (hosts / "kvmhost2.xml").write_text(host2.replace("</node>", DOMAIN.format(
        name="mover", uuid=MOVER_UUID, mac="52:54:00:aa:00:01") + "</node>"))
    code, out, err = _finish(_run(config))
    assert code == 0, out + err
    assert "1 moved" in out and "0 conflicts" in out
    assert sqlite3.connect(db).execute("SELECT host FROM vm WHERE node = 'mover'").fetchone() == ("kvmhost2",)
    moves = [(e.event, e.old_value, e.new_value) for e in inventory.guest_history(db, "mover").events]
    assert ("moved", "kvmhost1", "kvmhost2") in moves
    # A different domain named guest10 appears on kvmhost3: not followed, a conflict (exit 4).
    host3 = (hosts / "kvmhost3.xml").read_text()
    _node_file(hosts / "kvmhost1.xml", [])
    (hosts / "kvmhost3.xml").write_text(host3.replace("</node>", DOMAIN.format(
        name="guest10", uuid="00000000-0000-4000-8000-0000000000ff", mac="52:54:00:00:03:ff") + "</node>"))
    code, out, err = _finish(_run(config))
    assert code == 4, out + err
    assert "1 conflicts" in out
    assert sqlite3.connect(db).execute("SELECT host FROM vm WHERE node = 'guest10'").fetchone() == ("kvmhost1",)
