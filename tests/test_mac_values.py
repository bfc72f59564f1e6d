"""A MAC is six hex pairs or nothing: from domain XML (live or replayed) to xCAT's mac table and stanzas.

Guest data is hostile: ``<mac address>`` may hold any text in a replayed or
hand-written file, and would go into xCAT's mac table (then DHCP) and into a
stanza's ``mac=`` line. The parser refuses such a domain like any other
invalid value (one problem line, the rest of the scan kept); writers refuse a
non-MAC that an older inventory may still hold.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.xcat_stanza_reader import read_stanza
from vminv.cli.rscan import cli as rscan_cli
from vminv.cli.vminv import cli as vminv_cli
from vminv.inventory.stanza import to_stanza
from vminv.inventory.xcat import mac_value
from vminv.scanner.model import Nic

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _replay_with_bad_mac(root: Path) -> Path:
    shutil.copytree(FIXTURES / "replay" / "kvmhost1", root / "kvmhost1")
    shutil.copy(FIXTURES / "hostile" / "bad-mac.xml", root / "kvmhost1" / "bad-mac.xml")
    return root


def test_a_replayed_bad_mac_is_one_problem_line_and_the_rest_is_scanned(tmp_path: Path) -> None:
    replay = _replay_with_bad_mac(tmp_path / "replay")
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(rscan_cli, ["--replay", str(replay), "--format", "json", "--db", str(db), "-w"],
                                catch_exceptions=False)
    document = json.loads(result.stdout)
    names = {g["name"] for g in document["guests"]}
    assert "bad-mac" not in names and len(names) == 6  # every other guest of the folder
    (host,) = document["hosts"]
    problems = [p for p in host["problems"] if p["domain"] == "bad-mac.xml"]
    assert len(problems) == 1 and "is not a MAC address" in problems[0]["message"]
    assert result.exit_code == 0  # a skipped domain is a problem line, as for any hostile XML
    line = [ln for ln in result.stderr.splitlines() if "bad-mac" in ln]
    assert len(line) == 1 and "is not a MAC address" in line[0] and line[0].isprintable()
    with sqlite3.connect(db) as conn:
        assert all(":" in mac and "!" not in mac and "\n" not in mac
                   for (mac,) in conn.execute("SELECT mac FROM mac"))
        assert conn.execute("SELECT COUNT(*) FROM guests WHERE node = 'bad-mac'").fetchone()[0] == 0


def test_rscan_table_and_stanza_outputs_report_it_the_same_way(tmp_path: Path) -> None:
    replay = _replay_with_bad_mac(tmp_path / "replay")
    stanza = CliRunner().invoke(rscan_cli, ["--replay", str(replay), "-z"], catch_exceptions=False)
    read = read_stanza(stanza.stdout)
    assert "bad-mac" not in read.names and read.skipped_lines == 0
    assert all("mgt" not in attrs or attrs["mgt"] == "kvm" for attrs in read.objects.values())
    assert "is not a MAC address" in stanza.stderr


def test_a_record_from_elsewhere_never_puts_a_non_mac_into_the_mac_column() -> None:
    from tests.inventory.inventory_synthetic import synthetic_guest

    guest = synthetic_guest(0, 0)
    forged = dataclasses.replace(guest, nics=(
        Nic(type="bridge", mac="52:54:00:00:00:01", source="br0", model=None, target=None),
        Nic(type="bridge", mac="aa:bb:cc:dd:ee:ff!evil\n    mgt=ipmi", source="br0", model=None, target=None),
    ))
    assert mac_value(forged) == "52:54:00:00:00:01"
    text, _ = to_stanza([forged])
    assert read_stanza(text).objects[forged.name]["mac"] == "52:54:00:00:00:01"


def test_export_refuses_a_mac_row_an_older_inventory_holds(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    runner = CliRunner()
    runner.invoke(rscan_cli, ["--replay", str(FIXTURES / "replay"), "--db", str(db), "-w"], catch_exceptions=False)
    with sqlite3.connect(db) as conn:  # as an earlier vminv, or a hand edit, left them
        conn.execute("UPDATE mac SET mac = ? WHERE node = 'db01'", ["52:54:00:00:00:01|evil text"])
        conn.execute("UPDATE mac SET mac = ? WHERE node = 'build01'", ["52:54:00:00:00:02!build01-eth1|52:54:00:00:00:03"])
    result = runner.invoke(vminv_cli, ["export", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0
    read = read_stanza(result.stdout)
    assert "db01" not in read.names
    assert read.objects["build01"]["mac"] == "52:54:00:00:00:02!build01-eth1|52:54:00:00:00:03"  # xCAT's own form
    assert "node 'db01' left out of the stanza: its mac '52:54:00:00:00:01|evil text' is not MAC addresses" \
        in result.stderr
