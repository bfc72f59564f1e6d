"""The SQLite backend: one file, WAL mode, private modes, checked before anything changes it.

Opening is careful in this order, because the file may be anything a user
passed as ``--db``:

1. a file that does not exist is created 0600 (its new directories 0700),
   whatever the umask; SQLite gives ``-wal`` and ``-shm`` the file's mode.
   An existing file's mode is never changed;
2. the file is read through a read-only connection first: SQLite's header,
   ``user_version`` and the ``_migrations`` table tell an inventory from
   someone else's database, which is refused before any statement or
   PRAGMA could change it (``journal_mode=WAL`` rewrites the header);
3. ``PRAGMA quick_check`` finds damaged pages: a write is refused (one line
   naming the file and ``sqlite3 FILE .recover``), a read goes on with a
   warning (:class:`DamagedDatabaseWarning`);
4. only then is the file opened for writing and switched to WAL.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from vminv.inventory.db import BUSY_TIMEOUT_S, Database
from vminv.inventory.errors import DamagedDatabaseError, DatabaseMissingError, InventoryError, SchemaVersionError
from vminv.privatedirs import make_private_dirs

SQLITE_HEADER = b"SQLite format 3\x00"

# The page size of a new inventory file (SQLite's default is 4096). A
# 20,000-guest first scan writes 43 MB: with 16 KiB pages its commit writes a
# quarter as many WAL frames and checkpoints a quarter as many pages, which
# halved the commit's CPU time (0.15 s -> 0.08 s). Existing files keep theirs:
# a file in WAL mode cannot change its page size.
NEW_FILE_PAGE_SIZE = 16384


# Python's sqlite3 binds only int, float, str and bytearray directly: any other
# value, None included, goes through its adapter registry, whose miss raises
# and discards two AttributeErrors. A first scan binds about 200,000 NULLs
# (20,000 guests), which made that a tenth of recording it. With an adapter
# registered for None, the registry hits at once; the adapter returns None,
# bound as NULL as before. dict.get of an empty dict returns None for any
# argument, called in C: a cheaper identity for None than a lambda.
sqlite3.register_adapter(type(None), cast("Callable[[None], None]", {}.get))


class DamagedDatabaseWarning(UserWarning):
    """A read went ahead on a file whose quick_check found damage."""


class SqliteDatabase(Database):
    backend = "sqlite"
    driver_errors = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        super().__init__(conn, path)
        self.path = path

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> int:
        return int(self.conn.executemany(statement, rows).rowcount)

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def begin_write(self) -> None:
        # IMMEDIATE: the write lock first, so a second writer waits (busy_timeout)
        # instead of reading and then failing to upgrade its lock.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            # Under the lock: what is checked is what is written into.
            quick_check(self.conn, self.path, writing=True)
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def translate_error(self, exc: BaseException) -> InventoryError:
        return translate_error(exc, self.path)

    def column_names(self, table: str) -> list[str]:
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def free_share(self) -> float:
        pages = int(self.conn.execute("PRAGMA page_count").fetchone()[0])
        free = int(self.conn.execute("PRAGMA freelist_count").fetchone()[0])
        return free / pages if pages else 0.0

    @contextmanager
    def erasing_replaced_bytes(self) -> Iterator[None]:
        # secure_delete zeroes freed cells and pages, so the old bytes of a row
        # that moved (another page, an overflow chain) are not left in free
        # space (Debian builds SQLite with it on; others do not); the TRUNCATE
        # checkpoint then copies the new pages over the old ones in the file at
        # once and empties the -wal, whose older frames may hold the old pages.
        before = int(self.conn.execute("PRAGMA secure_delete").fetchone()[0])
        self.conn.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA secure_delete = {('OFF', 'ON', 'FAST')[before]}")  # "2" would read as ON
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vacuum(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("VACUUM")
        # In WAL mode VACUUM writes the new file into the WAL: without this the
        # file is not smaller until the next checkpoint, and the WAL holds a copy.
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def translate_error(exc: BaseException, db_path: Path) -> InventoryError:
    """One line naming the file for an SQLite failure."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return InventoryError(
            f"database {db_path} stayed locked by another writer for {BUSY_TIMEOUT_S:.0f} s",
            "try again when the other rscan has finished",
        )
    if "malformed" in text:
        return DamagedDatabaseError(f"{db_path} is damaged ({text})", _recover_hint(db_path))
    if "not a database" in text:
        return InventoryError(f"{db_path} is not a valid SQLite database ({text})", "pass another --db PATH")
    if "readonly" in text or "unable to open" in text:
        return InventoryError(f"cannot write {db_path} ({text})", "check the file's permissions or pass --db PATH")
    return InventoryError(f"database {db_path}: {text}")


def _recover_hint(db_path: Path) -> str:
    return f"restore it from a backup, or salvage its rows with `sqlite3 {db_path} .recover`"


# --- creating the file privately ------------------------------------------------------


def _create_private_file(db_path: Path) -> None:
    try:
        fd = os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another writer created it first
    try:
        os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask
    finally:
        os.close(fd)


def _create(db_path: Path) -> None:
    try:
        make_private_dirs(db_path.parent)
    except OSError as exc:
        raise InventoryError(f"cannot create the directory of {db_path}: {exc.strerror}", "pass --db PATH") from exc
    try:
        _create_private_file(db_path)
    except OSError as exc:
        raise InventoryError(f"cannot create {db_path}: {exc.strerror}", "pass --db PATH") from exc


# --- looking before touching ----------------------------------------------------------


def _connect(db_path: Path) -> sqlite3.Connection:
    # isolation_level=None: the sqlite3 module never opens transactions on its
    # own, so the only transactions are the explicit ones of Database.
    return sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _connect_read_only(db_path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file.

    In WAL mode even a reader needs the ``-shm`` file; when it cannot be
    created (a file the reader may not write) and no writer has a ``-wal``
    open, the file is read as immutable.
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


def _read_header(db_path: Path) -> bytes:
    try:
        with open(db_path, "rb") as file:
            return file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InventoryError(f"cannot read {db_path}: {exc.strerror}", "check the file's permissions or pass --db PATH") from exc


def _check_ours(conn: sqlite3.Connection, db_path: Path) -> int:
    """The schema version of an inventory (0: an empty file); refuses anyone else's database."""
    from vminv.inventory.schema import FIRST_STEP, SCHEMA_VERSION

    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and version == 0:
        return 0
    first_step = None
    if "_migrations" in tables:
        try:
            first_step = conn.execute("SELECT name FROM _migrations WHERE version = 1").fetchone()
        except sqlite3.OperationalError:
            first_step = None  # someone else's table of that name, with other columns
    if version < 1 or first_step is None or first_step[0] != FIRST_STEP:
        raise SchemaVersionError(
            f"{db_path} is an SQLite database but not a vminv inventory"
            + (" (no schema version)" if version == 0 else " (no vminv _migrations table)"),
            "pass another --db PATH",
        )
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database {db_path} has schema version {version}, newer than this vminv understands ({SCHEMA_VERSION})",
            "upgrade vminv",
        )
    return version


def quick_check(conn: sqlite3.Connection, db_path: Path, writing: bool) -> None:
    """Refuse to write into a damaged file; warn a reader."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems == ["ok"]:
        return
    detail = "; ".join(" ".join(problem.split()) for problem in problems)  # one line, whatever SQLite says
    if writing:
        raise DamagedDatabaseError(
            f"{db_path} is damaged (quick_check: {detail}); nothing was written", _recover_hint(db_path)
        )
    warnings.warn(
        DamagedDatabaseWarning(f"{db_path} is damaged (quick_check: {detail}); what it shows may be incomplete; "
                               f"{_recover_hint(db_path)}"),
        stacklevel=2,
    )


def check_is_inventory(db_path: Path) -> None:
    """Everything that must hold before the file may be changed, read without changing it."""
    header = _read_header(db_path)
    if not header:
        return  # an empty file (e.g. just created): becomes an inventory
    if header != SQLITE_HEADER:
        raise InventoryError(f"{db_path} is not a valid SQLite database (no SQLite header)", "pass another --db PATH")
    try:
        conn = _connect_read_only(db_path)
    except sqlite3.Error as exc:
        raise translate_error(exc, db_path) from exc
    try:
        _check_ours(conn, db_path)
    except sqlite3.Error as exc:
        raise translate_error(exc, db_path) from exc
    finally:
        conn.close()


def _writable(db_path: Path) -> bool:
    """Whether this process may write the file and create its ``-wal``/``-shm`` next to it.

    ``os.access`` also answers no on a read-only file system.
    """
    return os.access(db_path, os.W_OK) and os.access(db_path.parent, os.W_OK)


def open_sqlite(db_path: Path, *, create: bool, write: bool) -> SqliteDatabase:
    """Open (with ``create``: create) the inventory file; see the module's docstring.

    :param write: the caller will write (its write transactions check the file
        and refuse a damaged one); otherwise the file is checked now, with a warning
    """
    from vminv.inventory.schema import ensure_schema

    if db_path.is_dir():
        raise InventoryError(f"{db_path} is a directory, not a database file", f"pass --db {db_path / 'inventory.db'}")
    if not db_path.exists():
        if not create:
            raise DatabaseMissingError(
                f"no inventory database at {db_path}",
                "run `rscan NODERANGE` to record a scan first, or pass --db PATH",
            )
        _create(db_path)
    check_is_inventory(db_path)
    # A reader that may not write the file still reads it; writers need it writable.
    writable = create or _writable(db_path)
    try:
        conn = _connect(db_path) if writable else _connect_read_only(db_path)
        db = SqliteDatabase(conn, db_path)
        if writable:
            if db_path.stat().st_size == 0:
                # Before anything writes the file's first page (then it is fixed).
                conn.execute(f"PRAGMA page_size={NEW_FILE_PAGE_SIZE}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is safe in WAL mode against a killed process; only a power
            # cut can lose the last committed transaction.
            conn.execute("PRAGMA synchronous=NORMAL")
        # A big page cache keeps a 100,000-guest write from spilling and
        # rewriting the same pages; memory is only used as the write needs it.
        conn.execute("PRAGMA cache_size=-262144")
        ensure_schema(db, writable=writable)
        if not write:
            quick_check(conn, db_path, writing=False)
    except sqlite3.Error as exc:
        raise translate_error(exc, db_path) from exc
    return db
