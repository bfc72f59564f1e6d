"""Looking into an inventory from a test, on either backend, through the library's own data-access layer.

``Rows(location)["vm"].get("kvm1")`` -> the row as a dict; ``.rows``, ``.count``,
``.update(pk, values)``; ``Rows(location).execute(sql, params)`` in a write
transaction. Each call opens and closes its own connection, as a separate
program would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vminv.inventory.db import database
from vminv.inventory.location import Location

PRIMARY_KEYS = {"hosts": "name", "scans": "id", "findings": "id", "guests": "id", "_migrations": "version"}


class Rows:
    def __init__(self, location: Location) -> None:
        self.location = location

    def __getitem__(self, table: str) -> Table:
        return Table(self, table)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with database(self.location, create=False) as db:
            cursor = db.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with database(self.location, create=False) as db:
            return db.scalar(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with database(self.location, create=False, write=True) as db, db.write_transaction():
            db.execute(sql, params)

    def close(self) -> None:
        """Nothing is held open between calls."""

    def table_names(self) -> list[str]:
        with database(self.location, create=False) as db:
            return db.table_names()


class Table:
    def __init__(self, rows: Rows, name: str) -> None:
        self.db, self.name = rows, name
        self.pk = PRIMARY_KEYS.get(name, "node")

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.db.query(f"SELECT * FROM {self.name} ORDER BY {self.pk}")

    @property
    def count(self) -> int:
        return int(self.db.scalar(f"SELECT COUNT(*) FROM {self.name}"))

    @property
    def columns(self) -> list[str]:
        with database(self.db.location, create=False) as db:
            cursor = db.execute(f"SELECT * FROM {self.name} WHERE 1 = 0")
            return [d[0] for d in cursor.description]

    def get(self, key: Any) -> dict[str, Any]:
        found = self.db.query(f"SELECT * FROM {self.name} WHERE {self.pk} = ?", [key])
        if not found:
            raise KeyError(f"no row {key!r} in {self.name}")
        return found[0]

    def insert(self, row: Mapping[str, Any]) -> None:
        marks = ", ".join("?" * len(row))
        self.db.execute(f"INSERT INTO {self.name} ({', '.join(row)}) VALUES ({marks})", list(row.values()))

    def update(self, key: Any, values: Mapping[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE {self.name} SET {assignments} WHERE {self.pk} = ?", [*values.values(), key])
