"""Real test hosts: a private sshd on 127.0.0.1 in front of the real libvirtd.

Isolated from the user's ~/.ssh: its own host key, client keys, authorized_keys
and known_hosts in a temporary directory (see ../shared/notes/test-environment.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"


def need(condition: bool, reason: str) -> None:
    """Skip on a developer machine without the services; fail in CI, where they must exist."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it: .ci/services)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


class Sshd:
    """An sshd on 127.0.0.1:port accepting ``client_key`` (and passwords) for every user."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vminv-sshd-"))
        os.chmod(self.dir, 0o700)
        self.port = free_port()
        self.host_key = self.dir / "hostkey"
        self.client_key = self.dir / "id"
        self.other_key = self.dir / "id_other"  # never authorized
        for key in (self.host_key, self.client_key, self.other_key):
            _keygen(key)
        shutil.copy(self.client_key.with_suffix(".pub"), self.dir / "authorized_keys")
        self.known_hosts = self.dir / "known_hosts"
        public = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n")
        config = self.dir / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
            f"AuthorizedKeysFile {self.dir}/authorized_keys\nStrictModes no\nPidFile {self.dir}/sshd.pid\n"
            "PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPermitRootLogin yes\n"
            "UsePAM no\nMaxStartups 100:30:200\nLogLevel ERROR\n"
        )
        # The wrapper that libvirt's ssh transport runs (URI parameter command=).
        self.ssh_command = self.dir / "ssh"
        self.ssh_command.write_text(
            f'#!/bin/sh\nexec ssh -o UserKnownHostsFile={self.known_hosts} -o StrictHostKeyChecking=yes "$@"\n'
        )
        self.ssh_command.chmod(0o700)
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def uri(self, driver_path: str = "qemu:///system", user: str = "root", key: Path | None = None,
            command: Path | None = None) -> str:
        scheme, _, path = driver_path.partition("://")
        key = key or self.client_key
        command = command or self.ssh_command
        return f"{scheme}+ssh://{user}@127.0.0.1:{self.port}{path}?no_tty=1&keyfile={key}&command={command}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class SilentServer:
    """Accepts TCP connections and never says a word: a host that hangs at the banner."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def libvirtd_running() -> bool:
    return Path("/run/libvirt/libvirt-sock").exists() and shutil.which("virsh") is not None


def virsh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["virsh", "-q", "-c", "qemu:///system", *args], capture_output=True, text=True,
                          check=check)


GUEST_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <devices>
    <interface type='user'><mac address='{mac}'/><model type='rtl8139'/></interface>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
  </devices>
</domain>
"""
