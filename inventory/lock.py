"""One writer at a time: the inventory's writer lock.

``vminv run`` and ``rscan -w/-u/-n`` hold it from before the scan until the
write is done, so two scheduled runs never interleave. It is an ``flock`` on
a file beside the database: the kernel drops it when the process dies, so a
killed run never leaves a stale lock behind (a PID file would). Readers never
take it: SQLite's WAL lets them read while a writer writes.

This module is the one place that knows how the lock is taken; a database
other than a SQLite file (e.g. PostgreSQL, with an advisory lock) extends
:func:`writer_lock` and nothing else changes.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vminv.inventory.errors import InventoryError, WriterBusyError

# How often a waiting writer tries again; flock has no timeout of its own.
_POLL_S = 0.1


def lock_path(db_path: Path) -> Path:
    """The lock file of the inventory at ``db_path``: ``inventory.db`` -> ``inventory.db.lock``."""
    return db_path.with_name(db_path.name + ".lock")


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (for the message only)."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


@contextmanager
def writer_lock(db_path: Path, wait_s: float = 0.0) -> Iterator[Path]:
    """Hold the writer lock of the inventory at ``db_path`` for the ``with`` block.

    :param wait_s: how long to wait for another writer to finish; 0 gives up at once
    :yields: the lock file's path
    :raises WriterBusyError: another process holds the lock (after ``wait_s``)
    :raises InventoryError: the lock file cannot be created
    """
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise InventoryError(
            f"cannot create the writer lock {path}: {exc.strerror}",
            "check the permissions of the database's directory or pass --db PATH",
        ) from None
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_s:g} s" if wait_s > 0 else ""
                    raise WriterBusyError(
                        f"inventory {db_path} is being written by another vminv{_holder(fd)}{waited}",
                        "try again later, or pass --wait SECONDS to wait for it",
                    ) from None
                time.sleep(_POLL_S)
        # For the next writer's message only; the lock is the flock, not this number.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
