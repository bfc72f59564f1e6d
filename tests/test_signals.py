"""SIGINT and SIGTERM stop rscan cleanly, with real processes.

Children are killed at once (ssh runs under ``timeout`` in a process group of
its own, which a terminal's Ctrl-C never reaches), the temporary ssh wrappers
are removed, the scan is recorded whole or not at all, and the last line says
which. rscan runs as a child process in its own session; its descendants are
read from /proc before the signal and must all be gone after it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.realhosts import SilentServer, Sshd, libvirtd_running, need
from vminv.scanner.sshwrap import SshOptions, SshWrappers

ROOT = Path(__file__).resolve().parent.parent
RSCAN = [sys.executable, "-c", "from vminv.cli.rscan import main; main()"]
WEB01 = (ROOT / "fixtures" / "replay" / "kvmhost1" / "web01.xml").read_text()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    children, found, todo = _children(), [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def _start(args: list[str], tmp: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp), "VMINV_TRACEBACK": ""}
    env.pop("VMINV_DB", None)
    return subprocess.Popen(RSCAN + args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **kwargs)


def _scans(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _stop_and_check(process: subprocess.Popen, signum: int, tmp: Path) -> str:
    """Send ``signum`` once ssh runs; rscan must end at once, leaving no process and no file."""
    ssh = _wait_for(lambda: [p for p in descendants(process.pid) if _is_ssh(p)], 20, "ssh to start")
    running = descendants(process.pid)
    assert list(tmp.glob("vminv-ssh-*")), "the wrappers' directory should exist while ssh runs"
    started = time.monotonic()
    process.send_signal(signum)
    _out, err = process.communicate(timeout=15)
    assert time.monotonic() - started < 3, "rscan took its time to stop"
    assert process.returncode == 128 + signum, err
    _wait_for(lambda: not any(alive(p) for p in running), 2, f"{running} (ssh: {ssh}) to die")
    assert not list(tmp.glob("vminv-ssh-*")), "temporary ssh wrappers left behind"
    return err.strip().splitlines()[-1]


def _is_ssh(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"ssh")
    except OSError:
        return False


@pytest.mark.parametrize(("signum", "word"), [(signal.SIGTERM, "terminated"), (signal.SIGINT, "interrupted")])
def test_a_signal_while_ssh_waits_for_a_silent_host(tmp_path, signum, word):
    need(shutil.which("ssh") is not None and shutil.which("timeout") is not None, "needs ssh and timeout")
    silent = SilentServer()
    db = tmp_path / "inv.db"
    try:
        process = _start(["h1,h2", "--uri", f"qemu+ssh://root@127.0.0.1:{silent.port}/system?no_tty=1",
                          "--db", str(db), "--timeout", "60"], tmp_path)
        last = _stop_and_check(process, signum, tmp_path)
    finally:
        silent.close()
    assert last == f"rscan: error: {word}; the scan was not recorded"
    assert _scans(db) == 0


def _big_replay(folder: Path, guests: int) -> Path:
    host = folder / "kvmhost1"
    host.mkdir(parents=True)
    for number in range(guests):
        xml = (WEB01.replace("<name>web01</name>", f"<name>guest{number:05d}</name>")
               .replace("4dea22b3-1d52-d8f3-2516-782e98ab3fa0", f"4dea22b3-1d52-d8f3-2516-{number:012d}"))
        (host / f"guest{number:05d}.xml").write_text(xml)
    return folder


def test_a_signal_after_the_commit_says_the_scan_was_recorded(tmp_path):
    # 1,500 rows are more than a pipe holds: unread, rscan blocks printing them, after its commit.
    replay = _big_replay(tmp_path / "replay", 1500)
    db = tmp_path / "inv.db"
    process = _start(["--replay", str(replay), "--db", str(db)], tmp_path)
    _wait_for(lambda: _scans(db) == 1, 60, "the scan to be committed")
    time.sleep(0.3)  # let it reach the blocked write
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "rscan: error: interrupted; the scan was recorded as scan 1"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT guests_total FROM scans").fetchone()[0] == 1500


def test_signals_are_held_then_acted_on():
    from vminv.cli.signals import SignalHold, Terminated

    for signum, expected in ((signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)):
        hold = SignalHold()
        hold.hold()
        os.kill(os.getpid(), signum)
        time.sleep(0.05)  # a handler that raised would have cut this short
        with pytest.raises(expected):
            hold.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_write_stays_interruptible_until_its_commit():
    from vminv.cli.signals import SignalHold

    hold = SignalHold()
    on_progress = hold.hold_at("committing")
    on_progress("transaction started")  # not yet: a signal now stops the write (and rolls it back)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)
    on_progress("committing")
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # held: the commit would run here
    with pytest.raises(KeyboardInterrupt):
        hold.release()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_closing_the_wrappers_kills_their_process_groups_at_once(tmp_path):
    # libvirt runs the wrapper as this process's child; a stand-in "ssh" that never ends.
    fake_ssh = tmp_path / "ssh"
    fake_ssh.write_text("#!/bin/sh\nsleep 600 &\nexec sleep 600\n")
    fake_ssh.chmod(0o700)
    other = subprocess.Popen(["sleep", "600"])  # a child that is not ours to kill
    try:
        wrappers = SshWrappers()
        script = wrappers.script_for(SshOptions(deadline_s=600, ssh_command=str(fake_ssh)))
        wrapper = subprocess.Popen([str(script), "host"])
        _wait_for(lambda: len(descendants(wrapper.pid)) >= 2, 10, "the fake ssh and its child")
        running = [wrapper.pid, *descendants(wrapper.pid)]
        started = time.monotonic()
        wrappers.close()
        wrapper.wait(timeout=5)
        assert time.monotonic() - started < 2
        _wait_for(lambda: not any(alive(p) for p in running), 5, "the wrapper's group to die")
        assert not script.parent.exists()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


@pytest.mark.e2e
def test_a_signal_while_a_real_sshd_holds_the_session(tmp_path):
    # ssh logs in to the real sshd, whose "netcat" never speaks libvirt's protocol.
    need(os.geteuid() == 0 and Path("/usr/sbin/sshd").exists() and libvirtd_running(),
         "needs root, openssh-server and libvirtd")
    sshd = Sshd()
    try:
        sleeper = tmp_path / "sleeper"
        sleeper.write_text("#!/bin/sh\nexec sleep 30\n")
        sleeper.chmod(0o755)
        uri = sshd.uri("qemu:///system") + f"&proxy=netcat&netcat={sleeper}"
        db = tmp_path / "inv.db"
        process = _start(["real", "--uri", uri, "--db", str(db), "-w"], tmp_path)
        last = _stop_and_check(process, signal.SIGTERM, tmp_path)
    finally:
        sshd.stop()
    assert last == "rscan: error: terminated; the scan was not recorded"
    assert _scans(db) == 0
