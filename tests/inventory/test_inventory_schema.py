"""The database file: created with its schema, versioned, never silently rebuilt; readers never create it."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from tests.inventory.inventory_synthetic import synthetic_scan
from vminv import inventory
from vminv.errors import InventoryError
from vminv.inventory import SCHEMA_VERSION, record_scan, schema
from vminv.inventory.errors import DatabaseMissingError, SchemaVersionError

XCAT_TABLES = {
    "nodelist": ["node", "groups", "status", "comments", "disable"],
    "nodehm": ["node", "mgt", "serialport", "serialspeed", "comments", "disable"],
    "nodetype": ["node", "arch", "os", "comments", "disable"],
    "vm": ["node", "host", "mgr", "cluster", "datacenter", "cpus", "memory", "nics", "nicmodel", "storage",
           "othersettings", "powerstate", "comments", "disable"],
    "mac": ["node", "mac", "comments", "disable"],
    "vpd": ["node", "uuid", "comments", "disable"],
    "hypervisor": ["node", "type", "mgr", "cluster", "datacenter", "comments", "disable"],
    "kvm_nodedata": ["node", "xml", "comments", "disable"],
}


def test_new_database_has_xcat_tables_and_a_version(db_path):
    record_scan(db_path, synthetic_scan(range(1), 1), None)
    db = sqlite_utils.Database(db_path)
    for table, columns in XCAT_TABLES.items():
        assert list(db[table].columns_dict) == columns
        assert db[table].pks == ["node"]
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert [r["name"] for r in db["_migrations"].rows] == [name for name, _ in schema.MIGRATIONS]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Plain columns, readable by any SQLite tool: no blobs anywhere.
    for table in db.table_names():
        assert all(c.type in ("TEXT", "INTEGER", "REAL") for c in db[table].columns), table


def test_readers_do_not_create_the_file(tmp_path):
    missing = tmp_path / "none.db"
    assert inventory.load_groups(missing) == {}
    assert inventory.known_nodes(missing) == set()
    assert inventory.host_uris(missing) == {}
    with pytest.raises(DatabaseMissingError, match="no inventory database at"):
        inventory.list_guests(missing)
    assert not missing.exists()


def test_a_newer_schema_is_refused_not_rebuilt(db_path):
    record_scan(db_path, synthetic_scan(range(1), 2), "w")
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer than this vminv"):
        inventory.list_guests(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM vm").fetchone()[0] == 2


def test_someone_elses_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE vm (node TEXT, whatever TEXT)")
    with pytest.raises(SchemaVersionError, match="not a vminv inventory"):
        record_scan(other, synthetic_scan(range(1), 1), "w")


def test_a_file_that_is_not_sqlite_is_one_clean_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(InventoryError, match="is not a valid SQLite database"):
        inventory.list_scans(bogus)


def test_an_older_schema_is_migrated_forward(db_path, monkeypatch):
    record_scan(db_path, synthetic_scan(range(1), 1), "w")
    released = [name for name, _ in schema.MIGRATIONS]

    def add_notes(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE hosts ADD COLUMN notes TEXT")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, ("host notes", add_notes)))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    assert len(inventory.list_guests(db_path)) == 1  # opening migrates, keeping the rows
    db = sqlite_utils.Database(db_path)
    assert "notes" in db["hosts"].columns_dict
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(released) + 1
    assert [r["name"] for r in db["_migrations"].rows] == [*released, "host notes"]
