"""One writer at a time: the flock beside the database, its messages and exit status 6."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli as rscan
from vminv.inventory.errors import WriterBusyError
from vminv.inventory.lock import lock_path, writer_lock

REPLAY = Path(__file__).resolve().parents[2] / "fixtures" / "replay"

_HOLDER = """
import sys, time
from pathlib import Path
from vminv.inventory.lock import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the lock for ``seconds``; returns once it holds it."""
    process = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


@contextmanager
def _held(db: Path, seconds: float = 30) -> Iterator[subprocess.Popen[str]]:
    holder = _hold(db, seconds)
    try:
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_file_lies_beside_the_database(tmp_path):
    assert lock_path(tmp_path / "inv.db") == tmp_path / "inv.db.lock"
    with writer_lock(tmp_path / "sub" / "inv.db") as path:
        assert path == tmp_path / "sub" / "inv.db.lock" and path.exists()
        assert path.read_text().strip() == str(os.getpid())


def test_a_second_writer_gives_up_at_once_naming_the_holder(tmp_path):
    db = tmp_path / "inv.db"
    with _held(db) as holder:
        started = time.monotonic()
        with pytest.raises(WriterBusyError) as caught, writer_lock(db):
            pass
        assert time.monotonic() - started < 1.0
        assert f"pid {holder.pid}" in str(caught.value) and "--wait" in str(caught.value)


def test_a_waiting_writer_gets_the_lock_when_the_first_finishes(tmp_path):
    db = tmp_path / "inv.db"
    holder = _hold(db, 0.5)
    try:
        started = time.monotonic()
        with writer_lock(db, wait_s=20):
            waited = time.monotonic() - started
        assert 0.2 < waited < 10
    finally:
        holder.wait()


def test_a_waiting_writer_gives_up_after_its_wait(tmp_path):
    db = tmp_path / "inv.db"
    with _held(db):
        started = time.monotonic()
        with pytest.raises(WriterBusyError, match=r"after waiting 0\.3 s"), writer_lock(db, wait_s=0.3):
            pass
        assert 0.3 <= time.monotonic() - started < 2


def test_the_kernel_releases_the_lock_of_a_killed_writer(tmp_path):
    db = tmp_path / "inv.db"
    holder = _hold(db, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with writer_lock(db):  # no stale lock, no clean-up needed
        pass


def test_rscan_write_says_busy_in_one_line_with_status_6(tmp_path):
    db = tmp_path / "inv.db"
    with _held(db):
        result = CliRunner().invoke(rscan, ["--replay", str(REPLAY), "-w", "--db", str(db)], catch_exceptions=False)
        assert result.exit_code == 6
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("cli: error: inventory ") and "being written by another vminv" in line
        assert not db.exists()  # nothing scanned, nothing written
        # Reads never wait: a scan without a write flag records while the writer holds the lock.
        read = CliRunner().invoke(rscan, ["--replay", str(REPLAY), "--db", str(db)], catch_exceptions=False)
        assert read.exit_code == 0
    result = CliRunner().invoke(rscan, ["--replay", str(REPLAY), "-w", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 4  # written; the replay holds a name on two hosts (a conflict)
