"""CSV on a terminal is escaped like a table; into a file it keeps exact values (formula guard aside)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from tests.ttyrun import output_through

# A valid domain whose NIC source holds a C1 CSI and DEL, whose disk path holds a bidi override and a
# zero-width space, and whose name starts like a formula.
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "terminal" / "cmd01.xml"


def _csv_through(tmp_path: Path, stdout: str) -> list[list[str]]:
    replay = tmp_path / "replay"
    (replay / "kvmhost1").mkdir(parents=True, exist_ok=True)
    (replay / "kvmhost1" / "cmd01.xml").write_bytes(FIXTURE.read_bytes())
    command = [sys.executable, "-c", "from vminv.cli.rscan import cli; cli()", "--replay", str(replay),
               "--format", "csv", "--no-db"]
    text = output_through(command, stdout, tmp_path).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_csv_into_a_file_keeps_exact_values(tmp_path: Path) -> None:
    header, row = _csv_through(tmp_path, "file")
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == "'=cmd01"
    assert "br\u009b2J0\x7f" in row
    assert any("/img/a\u202egpj.qcow2\u200b" in cell for cell in row)


def test_csv_on_a_terminal_shows_controls_and_bidi_escaped(tmp_path: Path) -> None:
    header, row = _csv_through(tmp_path, "terminal")
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == "'=cmd01"
    assert all(cell.isprintable() for cell in row), row
    assert "br\\x9b2J0\\x7f" in row
    assert any("/img/a\\u202egpj.qcow2\\u200b" in cell for cell in row)
