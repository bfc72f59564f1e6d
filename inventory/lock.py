"""One writer at a time: the inventory's writer lock.

``vminv run`` and ``rscan -w/-u/-n`` hold it from before the scan until the
write is done, so two scheduled runs never interleave. It is an ``flock`` on
a file beside the database: the kernel drops it when the process dies, so a
killed run never leaves a stale lock behind (a PID file would). Readers never
take it: SQLite's WAL lets them read while a writer writes.

This module is the one place that knows how the lock is taken. On
PostgreSQL, where scanners on several machines share one inventory, it is a
session-level advisory lock held on a connection of its own for the ``with``
block: the server drops it when that connection ends, so a killed run never
leaves it behind either.

A lock file is only made beside a file that is an inventory (or none yet):
someone else's database passed as ``--db`` gets no ``.lock`` next to it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vminv.inventory.errors import InventoryError, WriterBusyError
from vminv.inventory.location import Location, PostgresLocation

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
def writer_lock(db_path: Location, wait_s: float = 0.0) -> Iterator[Location]:
    """Hold the writer lock of the inventory at ``db_path`` for the ``with`` block (SQLite or PostgreSQL).

    :param wait_s: how long to wait for another writer to finish; 0 gives up at once
    :yields: the lock file's path (SQLite), or the database's location (PostgreSQL)
    :raises WriterBusyError: another process holds the lock (after ``wait_s``)
    :raises InventoryError: the lock cannot be taken (no lock file, no connection),
        or ``db_path`` is someone else's database
    """
    if isinstance(db_path, PostgresLocation):
        with _advisory_lock(db_path, wait_s):
            yield db_path
        return
    with _file_lock(db_path, wait_s) as path:
        yield path


@contextmanager
def _advisory_lock(location: PostgresLocation, wait_s: float) -> Iterator[None]:
    from vminv.inventory.postgres import RUN_LOCK_CLASS, connect_for_lock

    conn = connect_for_lock(location)
    try:
        key = f"{RUN_LOCK_CLASS}, hashtext(current_schema())"
        deadline = time.monotonic() + max(0.0, wait_s)
        while not conn.execute(f"SELECT pg_try_advisory_lock({key})").fetchone()[0]:
            if time.monotonic() >= deadline:
                holder = conn.execute(
                    "SELECT a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    f" WHERE l.locktype = 'advisory' AND l.classid = {RUN_LOCK_CLASS}::oid AND l.granted LIMIT 1"
                ).fetchone()
                who = f" (server pid {holder[1]}, from {holder[0] or 'a local socket'})" if holder else ""
                waited = f" after waiting {wait_s:g} s" if wait_s > 0 else ""
                raise WriterBusyError(
                    f"inventory {location} is being written by another vminv{who}{waited}",
                    "try again later, or pass --wait SECONDS to wait for it",
                )
            time.sleep(_POLL_S)
        yield
    finally:
        conn.close()  # ends the session: the advisory lock goes with it


@contextmanager
def _file_lock(db_path: Path, wait_s: float) -> Iterator[Path]:
    from vminv.inventory.sqlite_file import check_is_inventory
    from vminv.privatedirs import make_private_dirs

    path = lock_path(db_path)
    if db_path.exists():
        try:
            check_is_inventory(db_path)
        except InventoryError:
            # Someone else's file (or no database at all): no lock file beside it.
            # Nothing can be written into it, and the write says why.
            yield path
            return
    try:
        make_private_dirs(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
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
