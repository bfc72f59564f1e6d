"""Engine texts are hostile too: reconcile's table escapes them and keeps one finding per row; its CSV guards formulas.

The simulated engine serves a VM whose name holds a bidi override, a C1 CSI,
a line feed followed by a forged row, and a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from tests.engine_sim import resolve
from tests.rhev.conftest import ENGINE_FIXTURES
from vminv.cli.vminv import cli

FORMULA_NAME = '=HYPERLINK("http://evil.example/","x")'
TERMINAL_NAME = "db\u202e10\u009b2J\nmissing   forged   kvm01"


@pytest.fixture
def hostile_engine(start_engine):
    raw = json.loads((ENGINE_FIXTURES / "site.json").read_text(encoding="utf-8"))
    template = next(vm for vm in raw["vms"] if vm["name"] == "web01")
    for name in (FORMULA_NAME, TERMINAL_NAME):
        vm = {key: value for key, value in template.items() if key not in ("id", "nics", "disks", "pinned_hosts")}
        raw["vms"].append({**vm, "name": name, "status": "down", "host": None})
    return start_engine(scenario=resolve(raw))


@pytest.fixture
def db(tmp_path, site_scan):
    from vminv import inventory

    path = tmp_path / "inventory.db"
    inventory.record_scan(path, site_scan, None)
    return path


def _reconcile(engine, pki, db, tmp_path, output_format):
    password = tmp_path / "pw"
    password.write_text(engine.password)
    return CliRunner().invoke(cli, ["reconcile", "--rhevm", engine.url, "--ca-file", str(pki.ca_file),
                                    "--password-file", str(password), "--db", str(db), "--format", output_format],
                              prog_name="vminv", catch_exceptions=False)


def test_reconcile_table_escapes_engine_names_one_finding_per_row(hostile_engine, pki, db, tmp_path):
    table = _reconcile(hostile_engine, pki, db, tmp_path, "table")
    document = json.loads(_reconcile(hostile_engine, pki, db, tmp_path, "json").stdout)
    assert table.exit_code == 0, table.stderr
    for line in (table.stdout + table.stderr).split("\n"):
        assert line.isprintable(), line
    assert len(table.stdout.splitlines()) == 1 + len(document["findings"])
    assert "db\\u202e10\\x9b2J\\nmissing   forged   kvm01" in table.stdout
    # JSON keeps the exact name.
    assert TERMINAL_NAME in {f["guest"] for f in document["findings"]}


def test_reconcile_csv_neutralises_formulas_and_keeps_other_values(hostile_engine, pki, db, tmp_path):
    result = _reconcile(hostile_engine, pki, db, tmp_path, "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    guests = {row["guest"] for row in rows}
    assert "'" + FORMULA_NAME in guests and FORMULA_NAME not in guests
    assert TERMINAL_NAME in guests  # CSV is data: exact apart from the formula guard
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
