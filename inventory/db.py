"""The data-access layer: one open inventory, on SQLite or PostgreSQL.

Every module of the inventory talks to the database through a
:class:`Database`: ``execute``, ``executemany``, ``insert_rows`` (bulk),
``write_transaction``. The statements are written once, in SQLite's SQL;
the PostgreSQL backend rewrites them (:mod:`inventory.dialect`). What else
differs per backend (opening, locking, bulk loading, the schema version,
error messages) lives in the two subclasses, in :mod:`inventory.sqlite_file`
and :mod:`inventory.postgres`.

Writers serialise: a write transaction takes the inventory's write lock
first (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory
lock), so two writers never both read and then both write; the second waits
and then sees the first's rows, as if they had run one after the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vminv.inventory.errors import InventoryError
from vminv.inventory.location import Location, PostgresLocation

# A 100,000-guest scan writes in a few seconds; a waiting writer should
# outlast several of those before giving up.
BUSY_TIMEOUT_S = 120.0


class Database:
    """An open inventory. Subclasses hold what differs per backend."""

    backend = "base"
    #: exceptions of the driver, turned into :class:`InventoryError` by :func:`database`
    driver_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, conn: Any, location: Location) -> None:
        self.conn = conn
        self.location = location

    # --- statements ---------------------------------------------------------------

    def sql(self, statement: str) -> str:
        """``statement`` as this backend runs it."""
        return statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns a cursor to iterate or ``fetchone``/``fetchall``."""
        return self.conn.execute(self.sql(statement), params)

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run ``statement`` once per row; returns how many rows it changed."""
        raise NotImplementedError

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append many rows to ``table`` (the fastest way the backend has)."""
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(statement, params).fetchone()
        return None if row is None else row[0]

    def table_names(self) -> list[str]:
        raise NotImplementedError

    def column_names(self, table: str) -> list[str]:
        raise NotImplementedError

    def size_bytes(self) -> int:
        """What the inventory takes on disk."""
        raise NotImplementedError

    def free_share(self) -> float:
        """The share of the database's pages that are free (0 when the backend manages that itself)."""
        raise NotImplementedError

    def vacuum(self) -> None:
        """Give free space back (outside any transaction)."""
        raise NotImplementedError

    def analyze(self, tables: Sequence[str]) -> None:
        """Refresh the planner's statistics after a large change (PostgreSQL needs it)."""

    # --- transactions -------------------------------------------------------------

    def begin_write(self) -> None:
        """Start a transaction holding the inventory's write lock."""
        raise NotImplementedError

    def begin_read(self) -> None:
        """A read-only transaction: every statement until :meth:`commit` sees one snapshot."""
        self.conn.execute("BEGIN")

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """After rows with explicit ids were loaded: new ids continue past them (PostgreSQL's identities)."""

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    @contextmanager
    def write_transaction(self) -> Iterator[Database]:
        """One locked transaction; rolled back on any exception."""
        self.begin_write()
        try:
            yield self
        except BaseException:
            try:
                self.rollback()
            except self.driver_errors:
                pass  # the connection is gone: the server (or SQLite) rolls back by itself
            raise
        self.commit()

    @contextmanager
    def erasing_replaced_bytes(self) -> Iterator[None]:
        """Within: what a statement overwrites or deletes does not stay readable in the database's files.

        The base does nothing: PostgreSQL keeps old row versions in its own
        files until VACUUM reuses them, which the server's owner controls.
        """
        yield

    # --- schema version -----------------------------------------------------------

    def schema_version(self) -> int:
        raise NotImplementedError

    def set_schema_version(self, version: int) -> None:
        raise NotImplementedError

    def translate_error(self, exc: BaseException) -> InventoryError:
        return InventoryError(f"database {self.location}: {exc}")

    def close(self) -> None:
        self.conn.close()


def open_database(location: Location, *, create: bool, write: bool | None = None) -> Database:
    """Open (and with ``create``, create) the inventory and bring its schema up to date.

    :param create: create the file (SQLite) or the tables (PostgreSQL) when
        missing; readers pass ``False`` so that looking never creates anything
    :param write: the caller will write (default: ``create``); a damaged
        SQLite file is then refused at the write, else read with a warning
    :raises DatabaseMissingError: there is no inventory and ``create`` is false
    :raises InventoryError: it cannot be opened, is damaged (for a write), or is not ours
    """
    if isinstance(location, PostgresLocation):
        from vminv.inventory.postgres import open_postgres

        return open_postgres(location, create=create)
    from vminv.inventory.sqlite_file import open_sqlite

    return open_sqlite(Path(location), create=create, write=create if write is None else write)


@contextmanager
def database(location: Location, *, create: bool, write: bool | None = None) -> Iterator[Database]:
    """Open, yield, close; driver errors inside become :class:`InventoryError`."""
    db = open_database(location, create=create, write=write)
    try:
        yield db
    except db.driver_errors as exc:
        raise db.translate_error(exc) from exc
    finally:
        try:
            db.close()
        except db.driver_errors:
            pass


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """``db.write_transaction()``, for ``with database(...) as db, write_transaction(db):``."""
    with db.write_transaction():
        yield db
