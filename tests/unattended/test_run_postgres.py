"""`vminv run` and `vminv schedule` with a PostgreSQL inventory named in the configuration (a real server)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from tests.realhosts import need
from tests.unattended.conftest import vminv
from vminv import inventory
from vminv.runner.config import parse_config, resolve_profile
from vminv.runner.run import RunSecrets, _Runner
from vminv.scanner.model import ScanResult

pytestmark = pytest.mark.postgres


def test_a_run_records_its_scan_in_the_postgresql_inventory_of_the_profile(write_config, pg_location, tmp_path):
    config = write_config(f'db = "{pg_location.url}"\n')  # the profile's db wins over [defaults]' file
    result = vminv("run", "lab", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("lab: scan 1: 2 hosts, 9 guests; written: 7 new"), result.output
    assert not (tmp_path / "inv.db").exists()  # nothing went to the file of [defaults]
    listed = vminv("ls", "--db", pg_location.url, "--format", "json")
    assert listed.exit_code == 0, listed.output
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert len(names) == 9 and "db01" in names, names
    # The same run on a file inventory lists the same guests.
    assert vminv("run", "lab", "--config", str(config), "--db", str(tmp_path / "file.db")).exit_code == 0
    on_file = json.loads(vminv("ls", "--db", str(tmp_path / "file.db"), "--format", "json").stdout)
    assert {row["name"] for row in on_file} == names
    assert [s.id for s in inventory.list_scans(pg_location)] == [1]
    shown = vminv("config", "show", "lab", "--config", str(config))
    assert pg_location.url in shown.stdout


def test_a_scan_postgresql_would_not_take_is_saved_in_the_state_directory(pg_location, tmp_path):
    profile = resolve_profile(parse_config(f'[profiles.lab]\nnoderange = "h1"\ndb = "{pg_location.url}"\n', "c"), "lab")
    runner = _Runner(profile, pg_location, RunSecrets(), None, lambda: datetime(2026, 1, 2, tzinfo=UTC),
                     unrecorded_dir=tmp_path / "state" / "vminv")
    scan = ScanResult("2026-01-02T00:00:00Z", "2026-01-02T00:00:01Z", "test", "h1", (), ())
    saved = runner._save_unrecorded(scan)
    assert saved == tmp_path / "state" / "vminv" / "inventory.unrecorded-20260102T000000Z.json"
    assert json.loads(saved.read_text())["scan"]["noderange"] == "h1"


def test_a_scheduled_run_on_postgresql_adds_no_writable_path_for_it(write_config, pg_location, tmp_path):
    need(shutil.which("systemd-analyze") is not None, "needs systemd-analyze (Debian package systemd)")
    config = write_config(f'db = "{pg_location.url}"\n')
    units = tmp_path / "units"
    units.mkdir()
    result = vminv("schedule", "lab", "--every", "1h", "--config", str(config), "--install", "--unit-dir", str(units))
    assert result.exit_code == 0, result.output
    text = (units / "vminv-lab.service").read_text()
    assert "ReadWritePaths=" not in text and str(tmp_path) not in text.replace(str(config), "")
    assert "StateDirectory=vminv\n" in text and "Environment=XDG_STATE_HOME=%S\n" in text
    checked = subprocess.run(["systemd-analyze", "verify", "vminv-lab.service", "vminv-lab.timer"],
                             capture_output=True, text=True, cwd=units)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
