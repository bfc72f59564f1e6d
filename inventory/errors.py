"""Errors of the inventory, all within the shared hierarchy of ``vminv.errors``."""

from __future__ import annotations

from vminv.errors import InventoryError, UsageError


class DatabaseMissingError(InventoryError):
    """A read was asked of a database file that does not exist."""


class SchemaVersionError(InventoryError):
    """The file's schema is newer than this program, or not ours at all."""


class WriterBusyError(InventoryError):
    """Another process holds the inventory's writer lock (``vminv run``, ``rscan -w``)."""


class DamagedDatabaseError(InventoryError):
    """The database file's structure is damaged (``PRAGMA quick_check`` failed)."""


class UnknownScanError(UsageError):
    """A scan id that is not in the database."""


class UnknownNodeError(UsageError):
    """A node name the database has never seen."""


__all__ = [
    "DamagedDatabaseError",
    "DatabaseMissingError",
    "InventoryError",
    "SchemaVersionError",
    "UnknownNodeError",
    "UnknownScanError",
    "WriterBusyError",
]
