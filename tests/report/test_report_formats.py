"""The report's formats read back: the workbook with openpyxl, JSON, CSV, the HTML's text; the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.report.conftest import HOSTILE_NAME, NOW
from vminv.cli.vminv import cli
from vminv.errors import UsageError
from vminv.report import build_report, parse_since, write_report
from vminv.report.html import script_json

TABS = ["vSummary", "vInfo", "vCPU", "vMemory", "vNetwork", "vDisk", "vHost", "vHealth", "vChanges",
        "vCoverage", "vEngine", "vScans"]


@pytest.fixture(scope="module")
def hostile_report(hostile_db: Path):
    return build_report(hostile_db, now=NOW)


def test_workbook_tabs_headers_types_and_no_formulas(tmp_path, hostile_report):
    path = tmp_path / "r.xlsx"
    assert write_report(hostile_report, "xlsx", path) == [path]
    book = openpyxl.load_workbook(path)  # not read_only: formulas would show as data_type "f"
    assert book.sheetnames == TABS
    info = book["vInfo"]
    headers = [c.value for c in info[1]]
    assert headers[:5] == ["name", "host", "state", "uuid", "type"]
    assert "first_seen (UTC)" in headers and "memory_mib" in headers
    assert info.freeze_panes == "A2"
    assert info.auto_filter.ref and info.auto_filter.ref.startswith("A1:")
    rows = {row[0].value: dict(zip(headers, row)) for row in info.iter_rows(min_row=2)}
    assert set(rows) == {HOSTILE_NAME, "=cmd|' -C calc'!A0", "plain-guest"}
    plain = rows["plain-guest"]
    assert plain["vcpus"].data_type == "n" and plain["vcpus"].value == 2
    assert plain["memory_mib"].value == 2048
    assert isinstance(plain["first_seen (UTC)"].value, datetime)
    assert plain["guest_agent"].value is False
    formula = rows["=cmd|' -C calc'!A0"]
    assert formula["name"].data_type == "s" and formula["description"].value == "+1+2"
    assert rows[HOSTILE_NAME]["description"].value.startswith("=HYPERLINK(")
    for sheet in book.worksheets:
        assert sheet["A1"].font.bold
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    changes = [[c.value for c in row] for row in book["vChanges"].iter_rows(min_row=2)]
    assert ["added", "=cmd|' -C calc'!A0", "kvm-hostile", None, None, None] in changes
    host = dict(zip([c.value for c in book["vHost"][1]], [c.value for c in book["vHost"][2]]))
    assert (host["host"], host["cpus"], host["memory_mib"], host["guests"]) == ("kvm-hostile", 4, 8192, 3)
    assert (host["vcpus_max_defined"], host["nics"], host["disks"], host["memory_defined_mib"]) == (5, 3, 1, 3584)
    assert len(book["vSummary"]._charts) >= 3  # memory, vCPUs, guests per host, fleet size


def test_json_document(tmp_path, hostile_report):
    path = tmp_path / "r.json"
    write_report(hostile_report, "json", path)
    document = json.loads(path.read_text())
    assert document["format"] == "vminv-report" and document["version"] == 1
    assert list(document) == ["format", "version", "generated_at", "thresholds", "summary", "guests", "capacity",
                              "coverage", "changes", "engine", "scans", "health"]
    names = {g["name"] for g in document["guests"]}
    assert HOSTILE_NAME in names
    guest = next(g for g in document["guests"] if g["name"] == "plain-guest")
    assert guest["vcpus"] == 2 and guest["nics"][0]["mac"] == "52:54:00:bb:00:03" and guest["first_seen"]
    assert document["summary"]["scan"]["id"] == 2 and document["summary"]["since_scan"] == 1
    assert document["capacity"][0]["host"] == "kvm-hostile"
    assert all(isinstance(f["evidence"], dict) for f in document["health"])


def test_csv_folder_is_formula_safe(tmp_path, hostile_report):
    folder = tmp_path / "csv"
    written = write_report(hostile_report, "csv", folder)
    assert sorted(p.name for p in written) == sorted(f"{t}.csv" for t in TABS)
    rows = list(csv.reader(io.StringIO((folder / "vInfo.csv").read_text())))
    names = {row[0] for row in rows[1:]}
    assert "'=cmd|' -C calc'!A0" in names
    description = next(row for row in rows[1:] if row[0] == HOSTILE_NAME)[rows[0].index("description")]
    assert description.startswith("'=HYPERLINK")
    nics = list(csv.reader(io.StringIO((folder / "vNetwork.csv").read_text())))
    assert any(row[nics[0].index("source")] == "'@SUM(1+1)" for row in nics[1:])


def test_html_escapes_hostile_text_and_loads_nothing(tmp_path, hostile_report):
    path = tmp_path / "r.html"
    write_report(hostile_report, "html", path)
    text = path.read_text()
    assert "<img" not in text and "<svg onload" not in text and "alert(2)</script>" not in text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text  # inside the table data, as JSON text
    # Self-contained: nothing to fetch, scripts and styles inline.
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=""", text)
    assert "http-equiv=\"Content-Security-Policy\"" in text and "default-src 'none'" in text


def test_script_json_cannot_end_its_script_element():
    text = str(script_json({"a": "</script><script>alert(1)</script>", "b": "x\u2028y & 'z'"}))
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "x\u2028y & 'z'"}


def test_output_needed_and_checked(tmp_path, hostile_report):
    with pytest.raises(UsageError, match="needs -o FILE"):
        write_report(hostile_report, "xlsx", None)
    with pytest.raises(UsageError, match="not a directory"):
        write_report(hostile_report, "html", tmp_path / "missing" / "r.html")
    with pytest.raises(UsageError, match="unknown report format"):
        write_report(hostile_report, "pdf", tmp_path / "r.pdf")


@pytest.mark.parametrize("fmt", ["html", "xlsx", "json"])
def test_output_that_is_not_a_regular_file_is_never_replaced(tmp_path, hostile_report, fmt):
    # The report is written to a temporary file and renamed over -o: over a FIFO or a device
    # node (as root, -o /dev/null) that rename would replace the node itself.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        write_report(hostile_report, fmt, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("text,value", [("12", 12), ("2024-05-01", datetime.fromisoformat("2024-05-01T00:00:00+00:00"))])
def test_since_is_a_scan_or_a_date(text, value):
    assert parse_since(text) == value


def test_since_refuses_anything_else():
    with pytest.raises(UsageError, match="neither a scan id nor a date"):
        parse_since("yesterday")


def test_cli_json_to_stdout_and_fail_on(hostile_db):
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "--db", str(hostile_db), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["guests"]) == 3
    worst = {f["severity"] for f in document["health"]}
    assert "critical" not in worst
    ok = runner.invoke(cli, ["report", "--db", str(hostile_db), "--format", "json", "--fail-on", "critical"])
    assert ok.exit_code == 0
    failing = runner.invoke(cli, ["report", "--db", str(hostile_db), "--format", "json", "--fail-on", "info"])
    assert failing.exit_code == 5
    assert f"{len(document['health'])} health findings at or above info" in failing.stderr


def test_cli_usage_errors(hostile_db, tmp_path):
    runner = CliRunner()
    no_output = runner.invoke(cli, ["report", "--db", str(hostile_db), "--format", "xlsx"])
    assert no_output.exit_code == 2 and "needs -o FILE" in no_output.stderr
    bad_since = runner.invoke(cli, ["report", "--db", str(hostile_db), "--since", "soon", "--format", "json"])
    assert bad_since.exit_code == 2 and "neither a scan id nor a date" in bad_since.stderr
    later = runner.invoke(cli, ["report", "--db", str(hostile_db), "--since", "2", "--format", "json"])
    assert later.exit_code == 2 and "not before scan 2" in later.stderr
    missing = runner.invoke(cli, ["report", "--db", str(tmp_path / "none.db"), "-o", str(tmp_path / "r.html")])
    assert missing.exit_code == 1 and "no inventory database" in missing.stderr
    written = runner.invoke(cli, ["report", "--db", str(hostile_db), "-o", str(tmp_path / "r.html")])
    assert written.exit_code == 0 and "report of scan 2 written to" in written.stderr
    assert (tmp_path / "r.html").stat().st_size > 1000


def test_readme_demo_gives_a_real_report(tmp_path, monkeypatch):
    """README: ./install.sh scans test:///default into ./vminv-demo.db; then `vminv report --format html -o report.html`."""
    from vminv.cli.rscan import cli as rscan_cli

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    scanned = runner.invoke(rscan_cli, ["localhost", "--uri", "test:///default", "--db", "./vminv-demo.db", "-w"])
    assert scanned.exit_code == 0, scanned.output
    made = runner.invoke(cli, ["report", "--db", "./vminv-demo.db", "--format", "html", "-o", "report.html"])
    assert made.exit_code == 0, made.output
    text = (tmp_path / "report.html").read_text()
    assert "Scan <b>1</b>" in text and "localhost" in text
    assert '"test"' in text  # the test driver's guest, in the guest table's data
    assert "memory_overcommit" in text  # test:///default's guest may use 8 GiB of the host's 3
