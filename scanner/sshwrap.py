"""The ssh wrapper that gives libvirt's ssh transport a hard deadline.

libvirt has no open or per-call timeout; a host whose sshd answers but whose
libvirtd never does would hang ``open`` forever. libvirt runs the ssh binary
named by the URI's ``command=`` parameter, so we point it at a small script
that runs ssh under ``timeout -s KILL`` with ConnectTimeout and
ServerAlive set. libvirt passes no custom environment to ssh, so every
setting is baked into the script (one per distinct setting, per scan).

``timeout`` puts itself and ssh in a process group of their own, so a Ctrl-C
at the terminal never reaches them and they would outlive an interrupted scan
by up to ConnectTimeout. Each wrapper therefore leaves its pid (the group's,
once it has exec'd ``timeout``) in the private directory, and closing the
wrappers kills every group of ours still running before removing the
directory: on an interrupt, on SIGTERM and at the end of every scan.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
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
        self._pids = self._dir / "pids"
        self._pids.mkdir(mode=0o700)
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
        self.kill_running()
        shutil.rmtree(self._dir, ignore_errors=True)

    def kill_running(self) -> None:
        """SIGKILL every ssh our wrappers started that still runs, with its process group.

        Only processes that are still this process's own children, running
        ``timeout`` or one of these wrappers, are touched: a pid file whose
        process is gone (its pid perhaps reused) is ignored.
        """
        try:
            names = os.listdir(self._pids)
        except OSError:
            return
        me = os.getpid()
        for name in names:
            if not name.isdigit():
                continue
            pid = int(name)
            relation = _child_relation(pid, me) if self._runs_a_wrapper(pid) else None
            try:
                if relation == "group leader":
                    os.killpg(pid, signal.SIGKILL)  # timeout and the ssh under it
                elif relation == "child":
                    os.kill(pid, signal.SIGKILL)  # not yet in its own group: nothing under it yet
            except (ProcessLookupError, PermissionError):
                pass

    def _runs_a_wrapper(self, pid: int) -> bool:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        # Before its exec the shell runs our script; after it, the pid is timeout's.
        return os.path.basename(argv[0]) == b"timeout" or any(os.fsencode(self._dir) in a for a in argv)

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
        # The pid is left before exec: ``timeout`` keeps it and makes it its process group's id.
        body = (
            "#!/bin/sh\n"
            f": > {shlex.quote(str(self._pids))}/$$\n"
            "exec " + " ".join(shlex.quote(a) for a in argv) + ' "$@"\n'
        )
        digest = hashlib.sha256(body.encode()).hexdigest()[:12]
        path = self._dir / f"ssh-{digest}"
        # Written aside and renamed into place: an exec never sees a half-written script.
        partial = path.with_suffix(".partial")
        partial.write_text(body)
        os.chmod(partial, stat.S_IRWXU)
        os.replace(partial, path)
        return path


def _child_relation(pid: int, parent: int) -> str | None:
    """``"group leader"`` or ``"child"`` if ``pid`` is a live child of ``parent``; else None (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold anything; the fields after it are plain.
    fields = text.rpartition(")")[2].split()
    if len(fields) < 3 or fields[0] in ("Z", "X"):
        return None
    ppid, pgrp = int(fields[1]), int(fields[2])
    if ppid != parent:
        return None
    return "group leader" if pgrp == pid else "child"
