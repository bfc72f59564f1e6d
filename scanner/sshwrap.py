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

    def __enter__(self) -> "SshWrappers":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def script_for(self, options: SshOptions) -> Path:
        if options in self._made:
            return self._made[options]
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
        path.write_text(body)
        os.chmod(path, stat.S_IRWXU)
        self._made[options] = path
        return path
