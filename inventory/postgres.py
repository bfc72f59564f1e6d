"""The PostgreSQL backend (psycopg 3): a shared inventory for many scanners on many machines.

The tables live in the connection's current schema (``search_path``), with
the same names and columns as in SQLite. Writers serialise on a
transaction-level advisory lock, so plans made by scanners on different
machines apply one after the other exactly as on SQLite; a scanner killed
mid-write loses its connection and the server rolls its transaction back.

The password is never part of the URI: libpq reads ``~/.pgpass``,
``$PGPASSFILE`` or ``$PGPASSWORD`` itself, or the caller passes one read from
a ``password_file``; error lines name the URI (which has none) and have any
password scrubbed from the server's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from vminv.inventory.db import BUSY_TIMEOUT_S, Database
from vminv.inventory.dialect import postgres_sql
from vminv.inventory.errors import DatabaseMissingError, InventoryError, SchemaVersionError
from vminv.inventory.location import PostgresLocation

# Advisory lock keys (two int4s): the class names what is locked, the second
# key the schema (hashtext(current_schema())), so inventories in different
# schemas of one database do not wait for each other.
WRITE_LOCK_CLASS = 0x766D6977  # "vmiw": one write transaction
RUN_LOCK_CLASS = 0x766D6972  # "vmir": a scheduled run (see inventory.locks)
_SCHEMA_KEY = "hashtext(current_schema())"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise InventoryError(
            "a PostgreSQL inventory needs psycopg 3, which is not installed",
            "pip install 'vminv[postgresql]' (or psycopg), or use an SQLite file",
        ) from exc
    return psycopg


class PostgresDatabase(Database):
    backend = "postgresql"

    def __init__(self, conn: Any, location: PostgresLocation) -> None:
        super().__init__(conn, location)
        self.driver_errors = (_psycopg().Error,)

    def sql(self, statement: str) -> str:
        return postgres_sql(statement)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self.sql(statement), list(params))

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> int:
        with self.conn.cursor() as cursor:
            cursor.executemany(self.sql(statement), rows)
            return int(cursor.rowcount)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        # COPY: an order of magnitude faster than INSERTs for 100,000 rows.
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def table_names(self) -> list[str]:
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]

    def analyze(self, tables: Sequence[str]) -> None:
        for table in tables:
            self.conn.execute(f"ANALYZE {table}")

    def begin_write(self) -> None:
        self.conn.execute("BEGIN")
        try:
            self.conn.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_CLASS}, {_SCHEMA_KEY})")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def begin_read(self) -> None:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def schema_version(self) -> int:
        if "_migrations" not in self.table_names():
            return 0
        return int(self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM _migrations").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        """Nothing to do: on PostgreSQL the rows of ``_migrations`` are the version."""

    def translate_error(self, exc: BaseException) -> InventoryError:
        return translate_error(exc, self.location)  # type: ignore[arg-type]

    def column_names(self, table: str) -> list[str]:
        return [
            row[0]
            for row in self.conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s ORDER BY ordinal_position",
                [table],
            )
        ]

    def size_bytes(self) -> int:
        return int(self.conn.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(format('%I.%I', table_schema, table_name))), 0)"
            " FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()[0])

    def free_share(self) -> float:
        return 0.0  # the server's autovacuum reuses dead rows' space; nothing to judge here

    def vacuum(self) -> None:
        self.conn.execute("VACUUM")

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """After rows with explicit ids were loaded: let the identity columns continue past them."""
        for table in tables:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1,"
                " false)"
            )


def _one_line(text: str, location: PostgresLocation) -> str:
    if location.password:
        text = text.replace(location.password, "***")
    return re.sub(r"\s+", " ", text).strip()


def translate_error(exc: BaseException, location: PostgresLocation) -> InventoryError:
    """One line naming the database (never a password) for a psycopg failure."""
    psycopg = _psycopg()
    text = _one_line(str(exc), location)
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return InventoryError(
            f"database {location} stayed locked by another writer for {BUSY_TIMEOUT_S:.0f} s",
            "try again when the other rscan has finished",
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return InventoryError(f"cannot write {location} ({text})", "grant the role the rights it needs, or pass --db")
    return InventoryError(f"database {location}: {text}")


def connect_for_lock(location: PostgresLocation) -> Any:
    """A connection of its own, for a session-level advisory lock (see :mod:`inventory.lock`).

    :raises SchemaVersionError: the schema holds someone else's tables (nothing is locked then)
    """
    conn = _connect(location)
    try:
        _check_ours(PostgresDatabase(conn, location), create=True)
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(location: PostgresLocation) -> Any:
    psycopg = _psycopg()
    options: dict[str, Any] = {"autocommit": True, "application_name": "vminv"}
    if location.password is not None:
        options["password"] = location.password
    try:
        conn = psycopg.connect(location.url, **options)
    except psycopg.Error as exc:
        raise InventoryError(
            f"cannot connect to {location}: {_one_line(str(exc), location)}",
            "check the URI, that the server runs, and the password source (~/.pgpass, $PGPASSFILE, $PGPASSWORD "
            "or password_file)",
        ) from exc
    # Waiting writers give up after the same time as on SQLite.
    conn.execute(f"SET lock_timeout = '{int(BUSY_TIMEOUT_S * 1000)}ms'")
    return conn


def _check_ours(db: PostgresDatabase, create: bool) -> None:
    """Refuse someone else's tables before anything is created or changed."""
    from vminv.inventory.schema import FIRST_STEP, SCHEMA_VERSION

    tables = db.table_names()
    if not tables:
        if not create:
            raise DatabaseMissingError(
                f"no inventory in {db.location} (it holds no tables)",
                "run `rscan NODERANGE` with this --db to record a scan first",
            )
        return
    first = None
    if "_migrations" in tables:
        try:
            first = db.conn.execute("SELECT name FROM _migrations WHERE version = 1").fetchone()
        except _psycopg().Error:
            first = None
    if first is None or first[0] != FIRST_STEP:
        raise SchemaVersionError(
            f"{db.location} holds tables but not a vminv inventory (no vminv _migrations table)",
            "pass another --db, or set the role's search_path to an empty schema",
        )
    version = db.schema_version()
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database {db.location} has schema version {version}, newer than this vminv understands ({SCHEMA_VERSION})",
            "upgrade vminv",
        )


def open_postgres(location: PostgresLocation, *, create: bool) -> PostgresDatabase:
    from vminv.inventory.schema import ensure_schema

    db = PostgresDatabase(_connect(location), location)
    try:
        _check_ours(db, create)
        ensure_schema(db, writable=True)
    except db.driver_errors as exc:
        db.close()
        raise db.translate_error(exc) from exc
    except BaseException:
        db.close()
        raise
    return db
