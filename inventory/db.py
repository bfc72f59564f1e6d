"""Opening the node database: one SQLite file, WAL mode, writers that wait for each other.

Every write goes through :func:`write_transaction`, which takes SQLite's write
lock up front (``BEGIN IMMEDIATE``). A deferred ``BEGIN`` would let two writers
both read and then fail when upgrading to the write lock; taking the lock first
makes the second writer wait (``busy_timeout``) and then see the first's rows.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from inventory.errors import DatabaseMissingError, InventoryError
from inventory.schema import ensure_schema

# A 100,000-guest scan writes in a few seconds; a waiting writer should
# outlast several of those before giving up.
BUSY_TIMEOUT_S = 120.0


def _connect(db_path: Path) -> sqlite3.Connection:
    # isolation_level=None: the sqlite3 module never opens transactions on its
    # own, so the only transactions are the explicit ones below.
    return sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S, isolation_level=None)


def open_database(db_path: Path, *, create: bool) -> sqlite_utils.Database:
    """Open (and with ``create``, create) the database and bring its schema up to date.

    :param db_path: the SQLite file
    :param create: create the file and its directory when missing; readers pass
        ``False`` so that looking at an inventory never leaves a file behind
    :raises DatabaseMissingError: the file does not exist and ``create`` is false
    :raises InventoryError: the file cannot be opened, is not SQLite or not ours
    """
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
    try:
        conn = _connect(db_path)
        db = sqlite_utils.Database(conn, recursive_triggers=False)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is safe in WAL mode against a killed process; only a power
        # cut can lose the last committed transaction.
        conn.execute("PRAGMA synchronous=NORMAL")
        # A big page cache keeps a 100,000-guest write from spilling and
        # rewriting the same pages; memory is only used as the write needs it.
        conn.execute("PRAGMA cache_size=-262144")
        ensure_schema(db, db_path)
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
    if "not a database" in text or "malformed" in text:
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
