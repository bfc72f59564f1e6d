"""End to end: real sshd + real libvirtd (qemu driver) on 127.0.0.1, over qemu+ssh.

Also the failure classes: refused connection, wrong key, changed host key, a
host that accepts TCP and never answers, a libvirtd that never answers the
open, and the paramiko transport with a password login.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.realhosts import GUEST_XML, SilentServer, Sshd, free_port, libvirtd_running, need, virsh
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RUN_ID = uuid.uuid4().hex[:6]
RUNNING = f"vminv-e2e-run-{RUN_ID}"
DEFINED = f"vminv-e2e-off-{RUN_ID}"


@pytest.fixture(scope="module")
def sshd():
    need(os.geteuid() == 0 and Path("/usr/sbin/sshd").exists(), "needs root and openssh-server")
    server = Sshd()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def qemu_guests(tmp_path_factory):
    need(libvirtd_running(), "needs a running libvirtd (.ci/services)")
    folder = tmp_path_factory.mktemp("guests")
    for name, mac in ((RUNNING, "52:54:00:e2:e0:01"), (DEFINED, "52:54:00:e2:e0:02")):
        path = folder / f"{name}.xml"
        path.write_text(GUEST_XML.format(name=name, mac=mac))
        virsh("define", str(path))
    started = virsh("start", RUNNING, check=False)
    if started.returncode != 0:
        pytest.fail(f"cannot start a qemu guest: {started.stderr.strip()}")
    yield RUNNING, DEFINED
    virsh("destroy", RUNNING, check=False)
    for name in (RUNNING, DEFINED):
        virsh("undefine", name, check=False)


def _settings(**overrides) -> ScanSettings:
    values = {"timeout_s": 20.0, "concurrency": 8}
    values.update(overrides)
    return ScanSettings(**values)


def test_qemu_over_ssh_lists_running_and_defined_guests(sshd, qemu_guests):
    running, defined = qemu_guests
    scan = scan_hosts([HostTarget("kvmhost1", sshd.uri())], _settings())
    (host,) = scan.hosts
    assert host.status == "ok", host.error
    guests = {g.name: g for g in scan.guests}
    assert guests[running].state == "running"
    assert isinstance(guests[running].id, int) and guests[running].id > 0
    assert guests[running].graphics[0].type == "vnc" and guests[running].graphics[0].port >= 5900
    assert guests[defined].state == "shutoff" and guests[defined].id is None
    assert guests[defined].nics[0].mac == "52:54:00:e2:e0:02"
    assert guests[running].memory_kib == 64 * 1024
    assert all(g.hypervisor == "kvmhost1" for g in scan.guests)
    assert host.facts.hypervisor_type == "QEMU" and host.facts.libvirt_version
    assert host.facts.memory_kib > 0 and host.facts.cpus >= 1


def test_rscan_cli_table_shows_running_id(sshd, qemu_guests, tmp_path):
    running, defined = qemu_guests
    result = subprocess.run(
        [str(Path(sys.executable).with_name("rscan")), "kvmhost1", "--uri", sshd.uri(), "--no-db"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["type", "name", "hypervisor", "id", "cpu", "memory", "nic", "disk"]
    row = next(line.split() for line in lines if running in line)
    assert row[0] == "qemu" and row[2] == "kvmhost1" and row[3].isdigit() and row[5] == "64" and row[6] == "user"
    off = next(line.split() for line in lines if defined in line)
    assert off[3] == "1"  # no id: the cpu column follows the hypervisor directly


def test_test_driver_over_ssh_gives_each_host_its_guests(sshd):
    nodes = sorted((FIXTURES / "nodes").glob("kvmhost*.xml"))
    need(len(nodes) >= 2, "fixtures/nodes missing")
    targets = [HostTarget(p.stem, sshd.uri(f"test://{p}")) for p in nodes]
    over_ssh = scan_hosts(targets, _settings())
    local = scan_hosts([HostTarget(p.stem, f"test://{p}") for p in nodes], _settings())
    assert [h.status for h in over_ssh.hosts] == ["ok"] * len(nodes)
    # The remote protocol gives exactly what the in-process driver gives.
    assert [g.to_dict() for g in over_ssh.guests] == [g.to_dict() for g in local.guests]


def test_refused_connection_is_unreachable_and_fast(sshd):
    port = free_port()  # nothing listens there
    uri = f"qemu+ssh://root@127.0.0.1:{port}/system?no_tty=1&keyfile={sshd.client_key}"
    started = time.monotonic()
    scan = scan_hosts([HostTarget("down", uri)], _settings())
    assert time.monotonic() - started < 5
    (host,) = scan.hosts
    assert (host.status, host.error_class) == ("failed", "unreachable")
    assert "refused" in host.error.lower() and "\n" not in host.error


def test_wrong_key_is_auth(sshd):
    scan = scan_hosts([HostTarget("h", sshd.uri(key=sshd.other_key))], _settings())
    assert scan.hosts[0].error_class == "auth", scan.hosts[0].error
    assert "permission denied" in scan.hosts[0].error.lower()


def test_changed_host_key_is_host_key(sshd, tmp_path):
    known = tmp_path / "known_hosts"
    other = Path(str(sshd.other_key) + ".pub").read_text().split()
    known.write_text(f"[127.0.0.1]:{sshd.port} {other[0]} {other[1]}\n")
    wrapper = tmp_path / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec ssh -o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes "$@"\n')
    wrapper.chmod(0o700)
    scan = scan_hosts([HostTarget("h", sshd.uri(command=wrapper))], _settings())
    assert scan.hosts[0].error_class == "host_key", scan.hosts[0].error


def test_unknown_host_key_refused_unless_accepted(sshd, tmp_path):
    known = tmp_path / "known_hosts"  # empty: the host was never seen
    known.write_text("")
    uri = f"test+ssh://root@127.0.0.1:{sshd.port}/default?no_tty=1&keyfile={sshd.client_key}"
    refused = scan_hosts([HostTarget("h", uri)], _settings(known_hosts=str(known)))
    assert refused.hosts[0].error_class == "host_key", refused.hosts[0].error
    accepted = scan_hosts([HostTarget("h", uri)], _settings(known_hosts=str(known), accept_new_host_keys=True))
    assert accepted.hosts[0].status == "ok", accepted.hosts[0].error
    host_key = Path(str(sshd.host_key) + ".pub").read_text().split()[1]
    assert host_key in known.read_text()  # remembered (hashed name) for the next scan


def test_silent_host_ends_within_its_deadline_and_others_finish(sshd):
    silent = SilentServer()
    try:
        uri = f"qemu+ssh://root@127.0.0.1:{silent.port}/system?no_tty=1&keyfile={sshd.client_key}"
        started = time.monotonic()
        scan = scan_hosts(
            [HostTarget("silent", uri), HostTarget("good", sshd.uri("test:///default"))],
            _settings(timeout_s=3.0, connect_timeout_s=10.0),
        )
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    by_name = {h.name: h for h in scan.hosts}
    assert by_name["good"].status == "ok"
    assert by_name["silent"].error_class == "timeout", by_name["silent"].error
    assert elapsed < 3.0 + 2.5  # the deadline plus the dispatcher's grace


def test_libvirtd_that_never_answers_the_open_is_killed_at_the_deadline(sshd, tmp_path):
    # ssh logs in fine, but the far side's "netcat" never speaks the libvirt protocol.
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec sleep 600\n")
    sleeper.chmod(0o755)
    uri = sshd.uri("qemu:///system") + f"&proxy=netcat&netcat={sleeper}"
    started = time.monotonic()
    scan = scan_hosts([HostTarget("hung", uri)], _settings(timeout_s=3.0))
    assert time.monotonic() - started < 6
    assert scan.hosts[0].error_class == "timeout", scan.hosts[0].error


PASSWORD_USER = "vminvscan"


@pytest.fixture(scope="module")
def password_user():
    need(os.geteuid() == 0 and shutil.which("useradd") is not None, "needs root to create a test user")
    password = "pw-" + uuid.uuid4().hex[:12]
    try:
        pwd.getpwnam(PASSWORD_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/bin/sh", PASSWORD_USER], check=True)
    subprocess.run(["chpasswd"], input=f"{PASSWORD_USER}:{password}\n", text=True, check=True)
    yield password
    subprocess.run(["passwd", "-l", PASSWORD_USER], capture_output=True)


def test_paramiko_password_login_gives_what_libvirt_gives(sshd, password_user):
    # The test user must read the node file: pytest's own tmp dir is private to root.
    shared = Path(tempfile.mkdtemp(prefix="vminv-nodes-"))
    shared.chmod(0o755)
    nodes = shared / "nodes"
    shutil.copytree(FIXTURES / "nodes", nodes)
    for path in [nodes, *nodes.iterdir()]:
        path.chmod(path.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
    node = nodes / "kvmhost1.xml"
    uri = f"test+ssh://{PASSWORD_USER}@127.0.0.1:{sshd.port}{node}"
    settings = _settings(known_hosts=str(sshd.known_hosts))
    over_paramiko = scan_hosts([HostTarget("kvmhost1", uri, transport="ssh", password=password_user)], settings)
    assert over_paramiko.hosts[0].status == "ok", over_paramiko.hosts[0].error
    local = scan_hosts([HostTarget("kvmhost1", f"test://{node}")], settings)
    # virsh over paramiko reads no domain lists: autostart and persistence stay unknown.
    unlisted = [{**g.to_dict(), "autostart": None, "persistent": None} for g in local.guests]
    assert [g.to_dict() for g in over_paramiko.guests] == unlisted
    facts = over_paramiko.hosts[0].facts
    assert facts.hypervisor_type and facts.libvirt_version and facts.cpus
    shutil.rmtree(shared)


def test_paramiko_bad_password_is_auth(sshd, password_user):
    uri = f"qemu+ssh://{PASSWORD_USER}@127.0.0.1:{sshd.port}/system"
    scan = scan_hosts([HostTarget("h", uri, transport="ssh", password="wrong")],
                      _settings(known_hosts=str(sshd.known_hosts)))
    assert scan.hosts[0].error_class == "auth", scan.hosts[0].error


def test_paramiko_unknown_host_key_refused(sshd, password_user, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    uri = f"qemu+ssh://{PASSWORD_USER}@127.0.0.1:{sshd.port}/system"
    scan = scan_hosts([HostTarget("h", uri, transport="ssh", password=password_user)],
                      _settings(known_hosts=str(empty)))
    assert scan.hosts[0].error_class == "host_key", scan.hosts[0].error


def test_a_domain_that_vanishes_between_listing_and_reading_is_skipped(tmp_path):
    import libvirt

    from vminv.scanner.live import _xml_and_state

    need(libvirtd_running(), "needs a running libvirtd (.ci/services)")
    name = f"vminv-e2e-gone-{RUN_ID}"
    path = tmp_path / "gone.xml"
    path.write_text(GUEST_XML.format(name=name, mac="52:54:00:e2:e0:03"))
    conn = libvirt.open("qemu:///system")
    try:
        listed = conn.defineXML(path.read_text())  # as listAllDomains would have returned it
        assert _xml_and_state(listed, None) is not None
        listed.undefine()  # gone before its XML is read
        assert _xml_and_state(listed, None) is None
    finally:
        conn.close()


# A line paramiko's own known_hosts reader raises on (it fails the whole host), and a comment:
# both must be skipped when reading and kept when a new key is remembered.
CERT_AUTHORITY = "@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def _key_uri(server: Sshd, key: Path, extra: str = "") -> str:
    return f"test+ssh://root@127.0.0.1:{server.port}/default?keyfile={key}{extra}"


def test_paramiko_accepts_new_keys_of_many_hosts_at_once_without_rewriting_known_hosts(sshd, tmp_path):
    other = Sshd()
    try:
        shutil.copy(sshd.client_key.with_suffix(".pub"), other.dir / "authorized_keys")
        known = tmp_path / "known_hosts"
        known.write_text(f"{CERT_AUTHORITY}\n# kept by hand\n")
        targets = [HostTarget(f"h{i}", _key_uri(server, sshd.client_key), transport="ssh")
                   for i, server in enumerate((sshd, other))]
        scan = scan_hosts(targets, _settings(known_hosts=str(known), accept_new_host_keys=True))
        assert [h.status for h in scan.hosts] == ["ok", "ok"], [h.error for h in scan.hosts]
        text = known.read_text()
        assert text.startswith(f"{CERT_AUTHORITY}\n# kept by hand\n")  # appended to, never rewritten
        for server in (sshd, other):  # both remembered, though both hosts were accepted at once
            assert Path(str(server.host_key) + ".pub").read_text().split()[1] in text
        again = scan_hosts(targets, _settings(known_hosts=str(known)))  # now known: no flag needed
        assert [h.status for h in again.hosts] == ["ok", "ok"], [h.error for h in again.hosts]
    finally:
        other.stop()


def test_paramiko_changed_host_key_is_refused_even_when_accepting_new_ones(sshd, tmp_path):
    known = tmp_path / "known_hosts"
    other = Path(str(sshd.other_key) + ".pub").read_text().split()
    known.write_text(f"[127.0.0.1]:{sshd.port} {other[0]} {other[1]}\n")
    scan = scan_hosts([HostTarget("h", _key_uri(sshd, sshd.client_key), transport="ssh")],
                      _settings(known_hosts=str(known), accept_new_host_keys=True))
    assert scan.hosts[0].error_class == "host_key", scan.hosts[0].error
    assert "changed" in scan.hosts[0].error


def test_known_hosts_and_no_verify_in_the_users_uri_are_honoured(sshd, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    # libvirt's ssh transport ignores known_hosts= (only libssh reads it): the wrapper applies it.
    libvirt_uri = f"test+ssh://root@127.0.0.1:{sshd.port}/default?no_tty=1&keyfile={sshd.client_key}" \
                  f"&known_hosts={sshd.known_hosts}"
    paramiko_uri = _key_uri(sshd, sshd.client_key, f"&known_hosts={sshd.known_hosts}")
    scan = scan_hosts([HostTarget("lv", libvirt_uri), HostTarget("pm", paramiko_uri, transport="ssh")],
                      _settings(known_hosts=str(empty)))
    assert [h.status for h in scan.hosts] == ["ok", "ok"], [h.error for h in scan.hosts]
    # no_verify=1 accepts an unknown key over paramiko too (libvirt's ssh does so itself).
    remembered = tmp_path / "remembered"
    no_verify = _key_uri(sshd, sshd.client_key, f"&no_verify=1&known_hosts={remembered}")
    scan = scan_hosts([HostTarget("nv", no_verify, transport="ssh")], _settings())
    assert scan.hosts[0].status == "ok", scan.hosts[0].error
    assert Path(str(sshd.host_key) + ".pub").read_text().split()[1] in remembered.read_text()
