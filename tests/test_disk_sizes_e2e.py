"""Disk capacities from a real qemu libvirtd, read-only, over ssh: running and shut-off guests.

Both transports (libvirt's qemu+ssh, paramiko + virsh) and ``rscan --save`` / ``--replay``.
For a shut-off guest libvirt reads the image header: a qcow2 file gives its virtual
size, not its file size.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests import test_scan_e2e
from tests.realhosts import libvirtd_running, need, virsh
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

pytestmark = pytest.mark.e2e
sshd = test_scan_e2e.sshd  # the same private sshd (module scope: one per module that uses it)

RUN_ID = uuid.uuid4().hex[:6]
RUNNING = f"vminv-size-run-{RUN_ID}"
DEFINED = f"vminv-size-off-{RUN_ID}"
GIB = 2**30
EXPECTED = {
    RUNNING: {"vda": 3 * GIB, "vdb": 1 * GIB, "hdc": None},
    DEFINED: {"vda": 2 * GIB, "vdb": 5 * GIB, "hdc": None},
}

GUEST = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{vda}'/>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='{vdb_format}'/><source file='{vdb}'/>
      <target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><model type='rtl8139'/></interface>
  </devices>
</domain>
"""


def _raw(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: the virtual size costs no space
    return path


def _qcow2_header(path: Path, virtual_size: int) -> Path:
    # A qcow2 v2 header (magic, version, no backing file, 64 KiB clusters, size at byte 24):
    # enough for libvirt to read the virtual size of a shut-off guest's image.
    header = b"QFI\xfb" + struct.pack(">IQIIQ", 2, 0, 0, 16, virtual_size)
    path.write_bytes(header.ljust(65536, b"\0"))
    return path


@pytest.fixture(scope="module")
def sized_guests(tmp_path_factory):
    need(libvirtd_running(), "needs a running libvirtd (.ci/services)")
    folder = tmp_path_factory.mktemp("images")
    disks = {
        RUNNING: (_raw(folder / "run-a.raw", 3 * GIB), _raw(folder / "run-b.raw", GIB), "raw"),
        DEFINED: (_raw(folder / "off-a.raw", 2 * GIB), _qcow2_header(folder / "off-b.qcow2", 5 * GIB), "qcow2"),
    }
    for name, (vda, vdb, vdb_format) in disks.items():
        path = folder / f"{name}.xml"
        path.write_text(GUEST.format(name=name, vda=vda, vdb=vdb, vdb_format=vdb_format))
        virsh("define", str(path))
    started = virsh("start", RUNNING, check=False)
    if started.returncode != 0:
        pytest.fail(f"cannot start a qemu guest: {started.stderr.strip()}")
    yield
    virsh("destroy", RUNNING, check=False)
    for name in disks:
        virsh("undefine", name, check=False)


def _sizes(scan):
    return {g.name: {d.target: d.capacity_bytes for d in g.disks} for g in scan.guests if g.name in EXPECTED}


def test_libvirt_transport_reads_capacities_of_running_and_shut_off_guests(sshd, sized_guests):
    scan = scan_hosts([HostTarget("kvmhost1", sshd.uri())], ScanSettings(timeout_s=30.0))
    (host,) = scan.hosts
    assert host.ok, host.error
    assert host.problems == ()
    assert _sizes(scan) == EXPECTED
    states = {g.name: g.state for g in scan.guests}
    assert states[RUNNING] == "running" and states[DEFINED] == "shutoff"


def test_virsh_transport_reads_the_same_capacities(sshd, sized_guests):
    settings = ScanSettings(timeout_s=30.0, known_hosts=str(sshd.known_hosts))
    scan = scan_hosts([HostTarget("kvmhost1", sshd.uri(), transport="ssh")], settings)
    (host,) = scan.hosts
    assert host.ok, host.error
    assert host.problems == ()
    assert _sizes(scan) == EXPECTED


def test_saved_scan_replays_with_its_capacities(sshd, sized_guests, tmp_path):
    rscan = str(Path(sys.executable).with_name("rscan"))
    saved = tmp_path / "saved"
    live = subprocess.run([rscan, "kvmhost1", "--uri", sshd.uri(), "--no-db", "--format", "json",
                           "--save", str(saved)], capture_output=True, text=True, timeout=120)
    assert live.returncode == 0, live.stderr
    replayed = subprocess.run([rscan, "kvmhost1", "--replay", str(saved), "--no-db", "--format", "json"],
                              capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stderr

    def sizes(document: str) -> dict[str, dict[str, int | None]]:
        guests = json.loads(document)["guests"]
        return {g["name"]: {d["target"]: d["capacity_bytes"] for d in g["disks"]} for g in guests
                if g["name"] in EXPECTED}

    assert sizes(live.stdout) == EXPECTED
    assert sizes(replayed.stdout) == EXPECTED
