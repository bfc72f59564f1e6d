"""Copying a whole inventory between backends (SQLite <-> PostgreSQL), checked afterwards.

The destination must be empty (a new file, or a database or schema without
tables); it gets the same schema through the migrations, then every table's
rows in one write transaction, so a copy that fails leaves it empty. Then
both sides are read again and compared table by table: the row counts, and
the rows themselves (as a multiset, so no order is assumed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from vminv.errors import UsageError
from vminv.inventory.db import Database, database
from vminv.inventory.errors import InventoryError
from vminv.inventory.location import Location

_BATCH = 5000
# Tables whose ids the backends hand out themselves (identity columns on PostgreSQL).
_GENERATED_IDS = ("guest_events", "findings")


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int


@dataclass(frozen=True)
class CopyReport:
    source: str
    destination: str
    tables: tuple[TableCopy, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _rows(db: Database, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    cursor = db.execute(f"SELECT {', '.join(columns)} FROM {table}")
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _digest(db: Database, table: str, columns: Sequence[str]) -> tuple[int, int]:
    """(row count, an order-free digest of the rows); values compared as text, as both backends can hold them."""
    count = total = 0
    for row in _rows(db, table, columns):
        text = "\x1f".join("\x00" if v is None else str(v) for v in row)
        total = (total + int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")) % (1 << 128)
        count += 1
    return count, total


def _tables(db: Database) -> list[str]:
    return [t for t in db.table_names() if t != "_migrations"]


def copy_inventory(source: Location, destination: Location) -> CopyReport:
    """Copy every row of the inventory at ``source`` into the empty inventory at ``destination``.

    :raises UsageError: source and destination are the same, or the destination holds data
    :raises InventoryError: either side cannot be opened, or the check after the copy finds a difference
    """
    if str(source) == str(destination):
        raise UsageError("the source and the destination of a copy are the same", "name another destination")
    copied: list[TableCopy] = []
    with database(source, create=False) as src, database(destination, create=True) as dst:
        tables = _tables(src)
        if sorted(tables) != sorted(_tables(dst)):
            raise InventoryError(
                f"{source} and {destination} have different tables (schema versions "
                f"{src.schema_version()} and {dst.schema_version()})",
                "open both with the same vminv first",
            )
        src.begin_read()  # one snapshot of the source, even while a scanner writes into it
        with dst.write_transaction():
            busy = [t for t in tables if dst.scalar(f"SELECT COUNT(*) FROM {t}")]
            if busy:
                raise UsageError(
                    f"the destination {destination} already holds data (tables {', '.join(busy[:5])})",
                    "copy into a new file, or an empty PostgreSQL database or schema",
                )
            for table in tables:
                columns = dst.column_names(table)
                before = dst.scalar(f"SELECT COUNT(*) FROM {table}")
                dst.insert_rows(table, columns, _rows(src, table, columns))
                copied.append(TableCopy(table, int(dst.scalar(f"SELECT COUNT(*) FROM {table}")) - int(before)))
            dst.reset_sequences(_GENERATED_IDS)
        dst.analyze(tables)
        for table in tables:
            columns = dst.column_names(table)
            theirs, ours = _digest(src, table, columns), _digest(dst, table, columns)
            if theirs != ours:
                raise InventoryError(
                    f"the copy of table {table} differs from {source} ({theirs[0]} rows there, {ours[0]} here)",
                    f"remove {destination} and copy again; report a bug if it happens twice",
                )
        src.commit()
    return CopyReport(str(source), str(destination), tuple(copied))
