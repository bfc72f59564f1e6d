"""A password in a libvirt URI (``root:pw@``) is never passed on, stored or printed; one warning says so.

libvirt's ssh transport cannot use it (and would pass ``root:pw`` to ssh's
argv), so it is removed where a URI enters: the run's template, a stored
per-host URI, ``vminv host set-uri``, a replay's ``host.json``; databases
written before are rewritten by a migration, their old bytes overwritten.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli as rscan
from vminv.cli.vminv import cli as vminv
from vminv.scanner.scan import plan_targets
from vminv.scanner.uri import URI_PASSWORD_WARNING, uri_without_password

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NODES = FIXTURES / "nodes"
SECRET = "s3cret-Pw"


@pytest.mark.parametrize(("uri", "clean"), [
    ("qemu+ssh://root:pw@kvm1/system?no_tty=1", "qemu+ssh://root@kvm1/system?no_tty=1"),
    ("qemu+ssh://root:p@ss:w@kvm1:2222/system", "qemu+ssh://root@kvm1:2222/system"),
    ("qemu+ssh://:pw@kvm1/system", "qemu+ssh://kvm1/system"),
    ("qemu+ssh://root:@kvm1", "qemu+ssh://root@kvm1"),
    ("qemu+ssh://root:pw@[::1/system", "qemu+ssh://root@[::1/system"),  # malformed: still cleaned
    ("qemu+ssh://root@kvm1/system?keyfile=/a:b@c", "qemu+ssh://root@kvm1/system?keyfile=/a:b@c"),
    ("qemu:///system", "qemu:///system"),
    ("test:///tmp/a:b@c.xml", "test:///tmp/a:b@c.xml"),
])
def test_the_password_is_cut_from_the_user_part_only(uri: str, clean: str) -> None:
    assert uri_without_password(uri) == clean


def _db_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_rscan_neither_opens_stores_nor_prints_it(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    template = f"test://root:{SECRET}@{NODES}/{{host}}.xml"
    runner = CliRunner()
    result = runner.invoke(rscan, ["kvmhost1,kvmhost2,kvmhost3", "--uri", template, "--db", str(db),
                                   "--format", "json", "--save", str(tmp_path / "saved")], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(URI_PASSWORD_WARNING) == 1  # once per run, not once per host
    assert SECRET not in result.stdout and SECRET not in result.stderr
    assert json.loads(result.stdout)["hosts"][0]["uri"] == f"test://root@{NODES}/kvmhost1.xml"
    assert SECRET.encode() not in _db_bytes(db)
    for host_json in (tmp_path / "saved").glob("*/host.json"):
        assert SECRET not in host_json.read_text()
    for args in (["scans", "1", "--format", "json"], ["host", "ls", "--format", "json"], ["scans", "1"]):
        shown = runner.invoke(vminv, [*args, "--db", str(db)], catch_exceptions=False)
        assert shown.exit_code == 0 and SECRET not in shown.stdout


def test_the_uri_handed_to_libvirt_has_no_password() -> None:
    plan = plan_targets(["kvm1"], uri_template=f"qemu+ssh://root:{SECRET}@{{host}}/system")
    assert [t.uri for t in plan.targets] == ["qemu+ssh://root@kvm1/system"]
    assert plan.warnings == (URI_PASSWORD_WARNING,)
    assert plan_targets(["kvm1"]).warnings == ()


def test_host_set_uri_stores_it_without_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    runner = CliRunner()
    result = runner.invoke(vminv, ["host", "set-uri", "kvm1", f"qemu+ssh://admin:{SECRET}@kvm1:2222/system",
                                   "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0 and URI_PASSWORD_WARNING in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert SECRET.encode() not in _db_bytes(db)
    listed = runner.invoke(vminv, ["host", "ls", "--format", "json", "--db", str(db)], catch_exceptions=False)
    assert json.loads(listed.stdout)[0]["uri"] == "qemu+ssh://admin@kvm1:2222/system"


def test_a_replay_host_json_uri_is_cleaned(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "replay" / "kvmhost1", replay / "kvmhost1")
    meta = replay / "kvmhost1" / "host.json"
    data = json.loads(meta.read_text()) if meta.exists() else {}
    meta.write_text(json.dumps({**data, "uri": f"qemu+ssh://root:{SECRET}@kvmhost1/system"}))
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(rscan, ["--replay", str(replay), "--db", str(db), "--format", "json"],
                                catch_exceptions=False)
    assert SECRET not in result.stdout and SECRET.encode() not in _db_bytes(db)


def test_an_old_database_holding_a_password_never_shows_it(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    runner = CliRunner()
    runner.invoke(rscan, ["kvmhost1", "--uri", f"test://{NODES}/{{host}}.xml", "--db", str(db)], catch_exceptions=False)
    runner.invoke(vminv, ["host", "set-uri", "kvmhost1", f"test://{NODES}/kvmhost1.xml", "--db", str(db)],
                  catch_exceptions=False)
    with sqlite3.connect(db) as conn:  # as an earlier version wrote it
        conn.execute("UPDATE scan_hosts SET uri = ?", [f"qemu+ssh://root:{SECRET}@kvmhost1/system"])
        conn.execute("UPDATE hosts SET uri = ?", [f"qemu+ssh://root:{SECRET}@kvmhost1/system"])
    for args in (["scans", "1", "--format", "json"], ["host", "ls", "--format", "json"], ["host", "ls"]):
        shown = runner.invoke(vminv, [*args, "--db", str(db)], catch_exceptions=False)
        assert shown.exit_code == 0 and SECRET not in shown.stdout, args


def test_vminv_run_removes_it_and_logs_the_warning(tmp_path: Path) -> None:
    db, log = tmp_path / "inv.db", tmp_path / "run.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(
        "[defaults]\n"
        f'db = "{db}"\n'
        f'uri = "test://root:{SECRET}@{NODES}/{{host}}.xml"\n'
        f'log_json = "{log}"\n'
        "[profiles.lab]\n"
        'noderange = "kvmhost1,kvmhost3"\n'
        'write = "w"\n'
    )
    result = CliRunner().invoke(vminv, ["run", "lab", "--config", str(config)],
                                env={"VMINV_CONFIG": "", "VMINV_DB": ""}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0]["step"] == "scan" and records[0]["warnings"] == [URI_PASSWORD_WARNING]
    assert SECRET not in result.output and SECRET not in log.read_text()
    assert SECRET.encode() not in _db_bytes(db)


OLD_PASSWORD = "Old-Pw1"  # in fixtures/inventory/v3-uri-passwords.sql


def _old_inventory(db: Path) -> None:
    """The fixture as an earlier vminv left it on disk: WAL mode, a -wal holding the last pages too."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript((FIXTURES / "inventory" / "v3-uri-passwords.sql").read_text())
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("UPDATE hosts SET status = status")  # pages with the password in the -wal as well
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()
    assert OLD_PASSWORD.encode() in _db_bytes(db)


def test_the_migration_rewrites_an_old_inventory_and_leaves_no_bytes(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    _old_inventory(db)
    result = CliRunner().invoke(rscan, ["kvmhost3", "--uri", f"test://{NODES}/{{host}}.xml", "--db", str(db), "-w"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert OLD_PASSWORD.encode() not in _db_bytes(db)  # neither live rows nor freed space nor the -wal
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT uri, error FROM hosts WHERE name = 'kvmhost9'").fetchone() == (
            "qemu+ssh://root@[kvmhost9/system", "internal error: Unable to parse URI qemu+ssh://root@[kvmhost9/system")
        assert conn.execute("SELECT uri FROM hosts WHERE name = 'kvmhost1'").fetchone() == (
            "qemu+ssh://admin@kvmhost1:2222/system",)
        assert conn.execute("SELECT uri FROM scan_hosts WHERE scan_id = 1 ORDER BY position").fetchall() == [
            ("qemu+ssh://root@kvmhost1/system?no_tty=1",), ("qemu+ssh://root@kvmhost2/system?no_tty=1",),
            ("qemu+ssh://root@[kvmhost9/system",)]
        assert conn.execute("SELECT COUNT(*) FROM guests").fetchone()[0] == 10 + 3  # nothing else lost


def test_a_reader_that_may_write_migrates_too(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    _old_inventory(db)
    shown = CliRunner().invoke(vminv, ["host", "ls", "--db", str(db)], catch_exceptions=False)
    assert shown.exit_code == 0 and OLD_PASSWORD not in shown.stdout
    assert OLD_PASSWORD.encode() not in _db_bytes(db)


@pytest.mark.postgres
def test_the_migration_rewrites_a_postgresql_inventory(tmp_path: Path, pg_location) -> None:  # type: ignore[no-untyped-def]
    from tests.inventory.rows import Rows
    from vminv import inventory
    from vminv.inventory import schema

    inventory.set_host_uri(pg_location, "kvmhost1", "qemu+ssh://root@kvmhost1/system")
    step = [name for name, _ in schema.MIGRATIONS].index("libvirt URIs without passwords") + 1
    rows = Rows(pg_location)
    rows.execute("UPDATE hosts SET uri = ?, error = ?",
                 [f"qemu+ssh://root:{OLD_PASSWORD}@kvmhost1/system", f"bad qemu+ssh://u:{OLD_PASSWORD}@[x/ URI"])
    rows.execute("DELETE FROM _migrations WHERE version >= ?", [step])  # as written before the step
    inventory.set_host_uri(pg_location, "kvmhost2", "qemu+ssh://root@kvmhost2/system")  # a write: migrates
    assert rows.query("SELECT name, uri, error FROM hosts ORDER BY name") == [
        {"name": "kvmhost1", "uri": "qemu+ssh://root@kvmhost1/system", "error": "bad qemu+ssh://u@[x/ URI"},
        {"name": "kvmhost2", "uri": "qemu+ssh://root@kvmhost2/system", "error": None},
    ]


def test_the_migration_leaves_the_connection_s_secure_delete_as_it_was(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from vminv.inventory import sqlite_file
    from vminv.inventory.db import database

    connect = sqlite_file._connect

    def connect_fast(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        conn.execute("PRAGMA secure_delete = FAST")  # a build or a caller that chose FAST
        return conn

    monkeypatch.setattr(sqlite_file, "_connect", connect_fast)
    db = tmp_path / "inv.db"
    _old_inventory(db)
    with database(db, create=False, write=True) as opened:
        assert opened.schema_version() > 3  # migrated on opening
        assert opened.conn.execute("PRAGMA secure_delete").fetchone()[0] == 2
    assert OLD_PASSWORD.encode() not in _db_bytes(db)
