"""Opening the node database: one SQLite file, WAL mode, writers that wait for each other.

Every write goes through :func:`write_transaction`, which takes SQLite's write
lock up front (``BEGIN IMMEDIATE``). A deferred ``BEGIN`` would let two writers
both read and then fail when upgrading to the write lock; taking the lock first
makes the second writer wait (``busy_timeout``) and then see the first's rows.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from vminv.inventory.errors import DatabaseMissingError, InventoryError
from vminv.inventory.schema import ensure_schema

# A 100,000-guest scan writes in a few seconds; a waiting writer should
# outlast several of those before giving up.
BUSY_TIMEOUT_S = 120.0


def _connect(db_path: Path) -> sqlite3.Connection:
    # isolation_level=None: the sqlite3 module never opens transactions on its
    # own, so the only transactions are the explicit ones below.
    return sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _writable(db_path: Path) -> bool:
    """Whether this process may write the file and create its ``-wal``/``-shm`` next to it.

    ``os.access`` also answers no on a read-only file system.
    """
    return os.access(db_path, os.W_OK) and os.access(db_path.parent, os.W_OK)


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    """A read-only connection, for an inventory the reader may not write (e.g. root's, read by a user).

    In WAL mode even a reader needs the ``-shm`` file; when it cannot be
    created and no writer has a ``-wal`` open, the file is read as immutable.
    """
    uri = db_path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if Path(f"{db_path}-wal").exists():
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def open_database(db_path: Path, *, create: bool) -> sqlite_utils.Database:
    """Open (and with ``create``, create) the database and bring its schema up to date.

    :param db_path: the SQLite file
    :param create: create the file and its directory when missing; readers pass
        ``False`` so that looking at an inventory never leaves a file behind
    :raises DatabaseMissingError: the file does not exist and ``create`` is false
    :raises InventoryError: the file cannot be opened, is not SQLite or not ours
    """
    if db_path.is_dir():
        raise InventoryError(f"{db_path} is a directory, not a database file", f"pass --db {db_path / 'inventory.db'}")
    if not db_path.exists():
        if not create:
            raise DatabaseMissingError(
                f"no inventory database at {db_path}",
                "run `rscan NODERANGE` to record a scan first, or pass --db PATH",
            )
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InventoryError(
                f"cannot create the directory of {db_path}: {exc.strerror}", "pass --db PATH"
            ) from exc
    # A reader that may not write the file still reads it; writers need it writable.
    writable = create or _writable(db_path)
    try:
        conn = _connect(db_path) if writable else _connect_read_only(db_path)
        db = sqlite_utils.Database(conn, recursive_triggers=False)
        if writable:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is safe in WAL mode against a killed process; only a power
            # cut can lose the last committed transaction.
            conn.execute("PRAGMA synchronous=NORMAL")
        # A big page cache keeps a 100,000-guest write from spilling and
        # rewriting the same pages; memory is only used as the write needs it.
        conn.execute("PRAGMA cache_size=-262144")
        ensure_schema(db, db_path, writable=writable)
    except sqlite3.DatabaseError as exc:
        raise translate_error(exc, db_path) from exc
    return db


def translate_error(exc: sqlite3.Error, db_path: Path) -> InventoryError:
    """One line naming the file for an SQLite failure."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return InventoryError(
            f"database {db_path} stayed locked by another writer for {BUSY_TIMEOUT_S:.0f} s",
            "try again when the other rscan has finished",
        )
    if "malformed" in text:
        return InventoryError(
            f"{db_path} is damaged ({text})",
            f"restore it from a backup (`sqlite3 {db_path} .recover` can salvage its rows)",
        )
    if "not a database" in text:
        return InventoryError(f"{db_path} is not a valid SQLite database ({text})", "pass another --db PATH")
    if "readonly" in text or "unable to open" in text:
        return InventoryError(f"cannot write {db_path} ({text})", "check the file's permissions or pass --db PATH")
    return InventoryError(f"database {db_path}: {text}")


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


@contextmanager
def database(db_path: Path, *, create: bool) -> Iterator[sqlite_utils.Database]:
    """Open, yield, close; SQLite errors inside become :class:`InventoryError`."""
    db = open_database(db_path, create=create)
    try:
        yield db
    except sqlite3.Error as exc:
        raise translate_error(exc, db_path) from exc
    finally:
        db.close()
