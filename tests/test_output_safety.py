"""Hostile guest data through every human-readable output: escaped, one record per row; exact in JSON, CSV and the DB.

The guests come from a replay folder written here (real domain XML through the
real parser, real SQLite through rscan -w): a name with a bidi override and a
zero-width space, a disk source holding ``&#10;`` followed by a forged table
row, a NIC source with a C1 CSI and a DEL, a description with CR. A file named
with an ESC sequence is not XML, so its name appears in a warning line.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli as rscan_cli
from vminv.cli.vminv import cli as vminv_cli
from vminv.rhev.lsve import LsveObject, format_lsve

NAME = "evil\u202egnp.exe\u200b"
FORGED = "kvm     forged    kvmhost1    9    9    9    br0    /x"
DISK = "/img/a.qcow2\n" + FORGED
DISK_XML = "/img/a.qcow2&#10;" + FORGED
BRIDGE = "br\u009b31m0\x7f"
DESCRIPTION = "line one\rline two"
BAD_FILE = "bad\x1b]0;pwned\x07.xml"

DOMAIN = """<domain type='kvm' id='3'>
  <name>{name}</name>
  <uuid>5b9e6fd8-3e2b-4f2e-9c7e-2d6a5e1f0a11</uuid>
  <description>{description}</description>
  <memory unit='KiB'>{memory}</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='{disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='{bridge}'/></interface>
  </devices>
</domain>
"""

PLAIN = """<domain type='kvm'>
  <name>plain01</name>
  <uuid>0c3f1a52-8b7d-4b44-8f0e-7a1d2c3b4e5f</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices/>
</domain>
"""


def _replay(root: Path, memory_kib: int = 2097152) -> Path:
    host = root / "kvmhost1"
    host.mkdir(parents=True, exist_ok=True)
    (host / "evil.xml").write_text(
        DOMAIN.format(name=NAME, description="line one&#13;line two", memory=memory_kib, disk=DISK_XML, bridge=BRIDGE),
        encoding="utf-8")
    (host / "plain01.xml").write_text(PLAIN, encoding="utf-8")
    (host / BAD_FILE).write_text("not xml", encoding="utf-8")
    return root


def assert_terminal_clean(text: str) -> None:
    """Every line is printable: no control, format, bidi or invisible character reaches the terminal."""
    for line in text.split("\n"):
        assert line.isprintable(), f"unescaped character in {line!r}"


def rscan(*args: str):
    return CliRunner().invoke(rscan_cli, list(args), catch_exceptions=False)


def vminv(*args: str):
    return CliRunner().invoke(vminv_cli, list(args), catch_exceptions=False)


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    return _replay(tmp_path / "replay")


def test_rscan_table_escapes_every_hostile_value_and_keeps_one_row_per_guest(replay):
    result = rscan("--replay", str(replay), "--no-db")
    assert result.exit_code == 0
    assert_terminal_clean(result.stdout)
    assert_terminal_clean(result.stderr)
    lines = result.stdout.splitlines()
    assert len(lines) == 3  # header, evil, plain01: the forged row stays inside its cell
    evil = next(line for line in lines if line.startswith("kvm") and "evil" in line)
    assert "evil\\u202egnp.exe\\u200b" in evil
    assert "/img/a.qcow2\\nkvm     forged" in evil
    assert "br\\x9b31m0\\x7f" in evil
    # The file that is not XML is named on stderr, its ESC and BEL visible.
    assert "kvmhost1: domain bad\\x1b]0;pwned\\x07.xml skipped:" in result.stderr


def test_rscan_json_and_csv_keep_the_exact_values(replay):
    result = rscan("--replay", str(replay), "--no-db", "--format", "json")
    assert result.exit_code == 0
    assert_terminal_clean(result.stdout)  # JSON's own \u escapes for what a terminal must not see
    guest = next(g for g in json.loads(result.stdout)["guests"] if g["name"] == NAME)
    assert guest["description"] == DESCRIPTION
    assert guest["disks"][0]["source"] == DISK
    assert guest["nics"][0]["source"] == BRIDGE
    result = rscan("--replay", str(replay), "--no-db", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [r[1] for r in rows[1:]] == [NAME, "plain01"]
    assert rows[1][7] == DISK and rows[1][6] == BRIDGE


def test_inventory_reading_commands_escape_and_keep_one_row_per_record(tmp_path):
    replay = _replay(tmp_path / "replay")
    facts = {"hypervisor_type": "QEMU\x1b[2J", "hypervisor_version": "7.2\u202e", "cpus": 8}
    (replay / "kvmhost1" / "host.json").write_text(json.dumps({"facts": facts}), encoding="utf-8")
    db = str(tmp_path / "inv.db")
    assert rscan("--replay", str(replay), "-w", "--db", db).exit_code == 0
    _replay(replay, memory_kib=4194304)  # the guest grows: a change for history and diff
    assert rscan("--replay", str(replay), "-w", "--db", db).exit_code == 0

    ls = vminv("ls", "--db", db)
    assert_terminal_clean(ls.stdout)
    assert len(ls.stdout.splitlines()) == 3 and "/img/a.qcow2\\nkvm     forged" in ls.stdout

    history = vminv("history", NAME, "--db", db)
    assert history.exit_code == 0
    assert_terminal_clean(history.stdout)
    assert history.stdout.startswith("evil\\u202egnp.exe\\u200b: first seen")

    diff = vminv("diff", "--db", db)
    assert diff.exit_code == 0
    assert_terminal_clean(diff.stdout)
    assert any("evil\\u202egnp.exe\\u200b" in line for line in diff.stdout.splitlines())

    for args in (["host", "ls"], ["scans"], ["scans", "1"]):
        result = vminv(*args, "--db", db)
        assert result.exit_code == 0, result.stderr
        assert_terminal_clean(result.stdout + result.stderr)
    report = vminv("report", "--format", "json", "--db", db)  # streamed by the report library
    assert report.exit_code == 0, report.stderr
    assert_terminal_clean(report.stdout)
    assert NAME in {g["name"] for g in json.loads(report.stdout)["guests"]}
    host_ls = vminv("host", "ls", "--db", db).stdout
    assert "QEMU\\x1b[2J" in host_ls and "7.2\\u202e" in host_ls

    # The DB keeps the exact values.
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT storage, nics, description FROM guests WHERE node = ?", (NAME,)).fetchall()
    assert stored == [(DISK, BRIDGE, DESCRIPTION)]


def test_rscan_write_report_lines_are_escaped(tmp_path):
    # A name mkdef would refuse is reported per guest on stderr, with the name in it.
    replay = _replay(tmp_path / "replay")
    result = rscan("--replay", str(replay), "-w", "--db", str(tmp_path / "inv.db"))
    assert_terminal_clean(result.stderr)
    assert "evil\\u202egnp.exe\\u200b" in result.stderr


def test_lsve_layout_escapes_engine_names_and_values():
    child = LsveObject("clusters", "cl\x1b[2J", (("cpu", "Intel\nstate: up"),))
    text = format_lsve([LsveObject("datacenters", "dc\u202e1", (("description", "a\u2028b"),), (child,))])
    assert_terminal_clean(text)
    assert text.splitlines() == [
        "datacenters: [dc\\u202e1]",
        " description: a\\u2028b",
        "   clusters: [cl\\x1b[2J]",
        "     cpu: Intel\\nstate: up",
    ]


def test_progress_lines_are_escaped(capsys):
    from vminv.cli.rscan import _Progress
    from vminv.scanner.model import HostResult

    progress = _Progress(True)  # as on a terminal
    progress(1, 2, HostResult("kvm\x1b]0;pwned\x07\u202ehost", "replay://x", "ok", None, None, None, 0.1))
    progress.close()
    err = capsys.readouterr().err
    assert err == "\rscanned 1/2 hosts (last: kvm\\x1b]0;pwned\\x07\\u202ehost)\x1b[K\r\x1b[K"


def test_error_lines_are_one_escaped_line(tmp_path):
    # click strips CSI sequences when stderr is not a terminal, but not OSC, C1 or bidi: those are ours to escape.
    missing = tmp_path / "no\x1b]0;pwned\x07such\u202e\nfolder"
    result = CliRunner().invoke(rscan_cli, ["--replay", str(missing), "--no-db"])
    assert result.exit_code == 2
    assert_terminal_clean(result.stderr)
    assert len(result.stderr.splitlines()) == 1
    assert "no\\x1b]0;pwned\\x07such\\u202e\\nfolder" in result.stderr


FORMULA_DOMAIN = """<domain type='kvm'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file="{disk}"/><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge="{bridge}"/></interface>
  </devices>
</domain>
"""


def _formula_replay(root: Path) -> Path:
    host = root / "kvmhost1"
    host.mkdir(parents=True)
    guests = [("=cmd|' /C calc'!A0", "5b9e6fd8-3e2b-4f2e-9c7e-2d6a5e1f0a21", "@SUM(1+1)*cmd|' /C calc'!A0", "+br0"),
              ("formula02", "5b9e6fd8-3e2b-4f2e-9c7e-2d6a5e1f0a22", "-2+3+cmd|' /C calc'!A0", "=br1")]
    for index, (name, uuid, disk, bridge) in enumerate(guests):
        (host / f"g{index}.xml").write_text(FORMULA_DOMAIN.format(name=name, uuid=uuid, disk=disk, bridge=bridge),
                                            encoding="utf-8")
    return root


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_every_csv_output_neutralises_formulas_from_guest_data(tmp_path):
    replay = _formula_replay(tmp_path / "replay")
    db = str(tmp_path / "inv.db")
    outputs = {"rscan": rscan("--replay", str(replay), "--no-db", "--format", "csv").stdout}
    assert rscan("--replay", str(replay), "-w", "--db", db).exit_code in (0, 4)
    for args in (["ls"], ["export"], ["host", "ls"], ["scans"], ["scans", "1"], ["history", "formula02"],
                 ["diff", "1"]):
        result = vminv(*args, "--format", "csv", "--db", db)
        assert result.exit_code == 0, (args, result.stderr)
        outputs[" ".join(args)] = result.stdout
    for what, text in outputs.items():
        for cell in _csv_cells(text):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (what, cell)
    cells = _csv_cells(outputs["rscan"])
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)*cmd|' /C calc'!A0" in cells and "'+br0" in cells
    assert "'-2+3+cmd|' /C calc'!A0" in _csv_cells(outputs["export"])
    # JSON keeps the exact name.
    document = json.loads(rscan("--replay", str(replay), "--no-db", "--format", "json").stdout)
    assert "=cmd|' /C calc'!A0" in {g["name"] for g in document["guests"]}
