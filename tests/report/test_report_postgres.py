"""`vminv report` reads a PostgreSQL inventory exactly as it reads a SQLite one (a real server)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli as rscan
from vminv.cli.vminv import cli as vminv

pytestmark = pytest.mark.postgres

NODES = Path(__file__).resolve().parents[2] / "fixtures" / "nodes"
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _report(db: str, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(vminv, ["report", "--db", db, "--format", "json", "-o", str(out)], env={})
    assert result.exit_code in (0, 5), result.output
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def _timeless(value: Any) -> Any:
    """The report without what differs by nature between two recordings: clock times and durations."""
    if isinstance(value, dict):
        return {k: None if k.endswith("duration_s") else _timeless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    if isinstance(value, str):
        return _TIME.sub("<time>", value)
    return value


def test_the_same_scans_give_the_same_report_on_both_backends(pg_location, tmp_path):
    sqlite_db = str(tmp_path / "inv.db")
    for db in (sqlite_db, pg_location.url):
        for hosts in ("kvmhost1,kvmhost2", "kvmhost1,kvmhost2,kvmhost3"):
            done = CliRunner().invoke(rscan, [hosts, "--uri", f"test://{NODES}/{{host}}.xml", "--db", db, "-w",
                                              "--format", "json"], env={})
            assert done.exit_code in (0, 4), done.output
    on_file = _timeless(_report(sqlite_db, tmp_path / "file.json"))
    on_server = _timeless(_report(pg_location.url, tmp_path / "server.json"))
    assert on_file.keys() == on_server.keys()
    for key in on_file:
        if key in ("inventory", "source", "db"):
            continue  # names the database itself
        assert on_file[key] == on_server[key], key
    assert len(on_file["guests"]) > 10 and on_file["health"] is not None
