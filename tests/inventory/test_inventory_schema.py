"""The database file: created with its schema, versioned, never silently rebuilt; readers never create it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.inventory.inventory_synthetic import synthetic_scan
from tests.inventory.rows import Rows
from vminv import inventory
from vminv.errors import InventoryError
from vminv.inventory import SCHEMA_VERSION, record_scan, schema
from vminv.inventory.db import Database, database
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
    rows = Rows(db_path)
    for table, columns in XCAT_TABLES.items():
        assert rows[table].columns == columns
    assert [r["name"] for r in rows["_migrations"].rows] == [name for name, _ in schema.MIGRATIONS]
    with database(db_path, create=False) as db:
        assert db.schema_version() == SCHEMA_VERSION


def test_the_sqlite_file_is_plain_wal_and_keyed_by_node(sqlite_path):
    record_scan(sqlite_path, synthetic_scan(range(1), 1), None)
    with sqlite3.connect(sqlite_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            # Plain columns, readable by any SQLite tool: no blobs anywhere.
            assert all(column[2] in ("TEXT", "INTEGER", "REAL") for column in info), table
            if table in XCAT_TABLES:
                assert [column[1] for column in info if column[5]] == ["node"]


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
    Rows(db_path).execute("INSERT INTO _migrations (version, name, applied_at) VALUES (?, 'from the future', 'x')",
                          [SCHEMA_VERSION + 1])
    if isinstance(db_path, Path):
        with sqlite3.connect(db_path) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer than this vminv"):
        inventory.list_guests(db_path)
    with pytest.raises(SchemaVersionError, match="newer than this vminv"):
        record_scan(db_path, synthetic_scan(range(1), 2), "w")


def test_someone_elses_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE vm (node TEXT, whatever TEXT)")
    with pytest.raises(SchemaVersionError, match="not a vminv inventory"):
        record_scan(other, synthetic_scan(range(1), 1), "w")


@pytest.mark.postgres
def test_someone_elses_postgres_tables_are_refused_and_left_alone(pg_location):
    import psycopg

    with psycopg.connect(pg_location.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE vm (node TEXT, whatever TEXT)")
    with pytest.raises(SchemaVersionError, match="not a vminv inventory"):
        record_scan(pg_location, synthetic_scan(range(1), 1), "w")
    with pytest.raises(SchemaVersionError, match="not a vminv inventory"):
        inventory.list_guests(pg_location)
    with psycopg.connect(pg_location.url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
    assert tables == ["vm"]


def test_a_file_that_is_not_sqlite_is_one_clean_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(InventoryError, match="is not a valid SQLite database"):
        inventory.list_scans(bogus)


def test_an_older_schema_is_migrated_forward(db_path, monkeypatch):
    record_scan(db_path, synthetic_scan(range(1), 1), "w")
    released = [name for name, _ in schema.MIGRATIONS]

    def add_notes(db: Database) -> None:
        db.execute("ALTER TABLE hosts ADD COLUMN notes TEXT")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, ("host notes", add_notes)))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    assert len(inventory.list_guests(db_path)) == 1  # opening migrates, keeping the rows
    rows = Rows(db_path)
    assert "notes" in rows["hosts"].columns
    assert [r["name"] for r in rows["_migrations"].rows] == [*released, "host notes"]
    with database(db_path, create=False) as db:
        assert db.schema_version() == len(released) + 1
