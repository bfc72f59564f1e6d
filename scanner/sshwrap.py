"""The ssh wrapper that gives libvirt's ssh transport a hard deadline.

libvirt has no open or per-call timeout; a host whose sshd answers but whose
libvirtd never does would hang ``open`` forever. libvirt runs the ssh binary
named by the URI's ``command=`` parameter, so we point it at a small script
that runs ssh under ``timeout -s KILL`` with ConnectTimeout and
ServerAlive set. libvirt passes no custom environment to ssh, so every
setting is baked into the script (one per distinct setting, per scan).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SshOptions:
    deadline_s: float
    connect_timeout_s: float = 10.0
    alive_interval_s: int = 5
    alive_count: int = 3
    known_hosts: str | None = None  # UserKnownHostsFile
    accept_new_host_keys: bool = False  # StrictHostKeyChecking=accept-new
    ssh_command: str | None = None  # the user's own command= from the URI


class SshWrappers:
    """Creates wrapper scripts in a private temporary directory; removes them on close."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="vminv-ssh-"))
        self._made: dict[SshOptions, Path] = {}
        # Hosts' worker threads ask at the same time. Unlocked, two of them rewrote the same
        # script while libvirt in a third was exec'ing it: "Text file busy" (or an empty
        # script and "Broken pipe") for several hosts of the first scan (bench/bench_scan.py).
        self._lock = threading.Lock()

    def __enter__(self) -> SshWrappers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def script_for(self, options: SshOptions) -> Path:
        with self._lock:
            if options not in self._made:
                self._made[options] = self._write(options)
            return self._made[options]

    def _write(self, options: SshOptions) -> Path:
        ssh = options.ssh_command or shutil.which("ssh") or "ssh"
        argv = [
            "timeout", "-s", "KILL", f"{max(options.deadline_s, 1):.0f}",
            ssh,
            "-o", f"ConnectTimeout={max(1, int(min(options.connect_timeout_s, options.deadline_s)))}",
            "-o", f"ServerAliveInterval={options.alive_interval_s}",
            "-o", f"ServerAliveCountMax={options.alive_count}",
        ]
        if options.known_hosts:
            argv += ["-o", f"UserKnownHostsFile={options.known_hosts}"]
        if options.accept_new_host_keys:
            argv += ["-o", "StrictHostKeyChecking=accept-new"]
        body = "#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in argv) + ' "$@"\n'
        digest = hashlib.sha256(body.encode()).hexdigest()[:12]
        path = self._dir / f"ssh-{digest}"
        # Written aside and renamed into place: an exec never sees a half-written script.
        partial = path.with_suffix(".partial")
        partial.write_text(body)
        os.chmod(partial, stat.S_IRWXU)
        os.replace(partial, path)
        return path
