"""Audit reports over the inventory: HTML, XLSX, JSON and CSV, with health findings and charts.

Two calls do everything, with explicit arguments (the CLI and scheduled runs
use them alike)::

    report = build_report(db_path, scan_id=None, since=None, noderange=None, thresholds=Thresholds())
    write_report(report, "html", Path("report.html"))

``build_report`` reads the inventory once (:mod:`vminv.report.source`) and
builds the model with pure functions (:mod:`.health`, :mod:`.model`); the
renderers (:mod:`.html`, :mod:`.xlsx`, :mod:`.textout`) only format it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from vminv.errors import UsageError, VminvError
from vminv.inventory.location import Location
from vminv.report.health import SEVERITIES, SEVERITY_RANK, HealthFinding, Thresholds, health_findings
from vminv.report.model import Report, build_report_model
from vminv.report.source import ReportInput, load_report_input, parse_since

FORMATS = ("html", "xlsx", "json", "csv")


def build_report(
    db_path: Location,
    *,
    scan_id: int | None = None,
    since: int | datetime | str | None = None,
    noderange: str | None = None,
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> Report:
    """Read the inventory at ``db_path`` and build the report of one scan.

    :param scan_id: the scan (default: the latest)
    :param since: baseline for changes: a scan id, a moment, or text for
        :func:`parse_since`; default: the scan before
    :param noderange: only these guests (and hosts)
    :param thresholds: when health checks fire (defaults: :class:`Thresholds`)
    :param now: the moment day thresholds count from (default: now, UTC)
    :raises UnknownScanError, DatabaseMissingError, UsageError: as the inventory says
    """
    if isinstance(since, str):
        since = parse_since(since)
    data = load_report_input(db_path, scan_id=scan_id, since=since, noderange=noderange)
    return build_report_model(data, thresholds or Thresholds(), now or datetime.now(UTC))


def findings_at_or_above(report: Report, severity: str) -> list[HealthFinding]:
    """The health findings as severe as ``severity`` or more (for ``--fail-on``).

    :raises UsageError: unknown severity
    """
    if severity not in SEVERITY_RANK:
        raise UsageError(f"unknown severity {severity!r}", f"use one of {', '.join(SEVERITIES)}")
    limit = SEVERITY_RANK[severity]
    return [f for f in report.health if SEVERITY_RANK[f.severity] <= limit]


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file next to ``path`` and rename: a reader never sees half a report."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: {folder} is not a directory", "create it or pass another -o")
    if path.is_dir():
        raise UsageError(f"{path} is a directory", "pass a file name to -o")
    if path.exists() and not path.is_file():
        # Renaming over it would replace a device node or a FIFO (as root: -o /dev/null).
        raise UsageError(f"{path} is not a regular file", "pass the name of a file to -o")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(report: Report, fmt: str, output: Path | None = None, stream: BinaryIO | None = None) -> list[Path]:
    """Render ``report`` as ``fmt`` (html, xlsx, json: a file; csv: a folder, one file per tab).

    JSON goes to ``stream`` when ``output`` is None. Returns the files written.

    :raises UsageError: unknown format, missing output, output folder missing
    :raises VminvError: the file system refused the write
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    try:
        if fmt == "json":
            from vminv.report.textout import write_json

            if output is None:
                if stream is None:
                    raise UsageError("a JSON report needs -o FILE or a stream")
                write_json(report, stream)
                return []

            def json_file(path: Path) -> None:
                with path.open("wb") as out:
                    write_json(report, out)

            _atomic(output, json_file)
            return [output]
        if output is None:
            what = "-o DIR (one CSV file per tab)" if fmt == "csv" else "-o FILE"
            example = "report-csv" if fmt == "csv" else f"report.{fmt}"
            raise UsageError(f"a {fmt} report needs {what}", f"e.g. vminv report --format {fmt} -o {example}")
        if fmt == "csv":
            from vminv.report.textout import write_csv_folder

            if output.exists() and not output.is_dir():
                raise UsageError(f"{output} is not a directory", "a CSV report is a folder: pass -o DIR")
            return write_csv_folder(report, output)
        if fmt == "xlsx":
            from vminv.report.xlsx import write_xlsx

            _atomic(output, lambda path: write_xlsx(report, path))
        else:
            from vminv.report.html import write_html

            _atomic(output, lambda path: write_html(report, path))
        return [output]
    except OSError as exc:
        target = output if output is not None else "the output"
        raise VminvError(f"cannot write the report to {target}: {exc.strerror or exc}", "check the path and free space") from exc


__all__ = [
    "FORMATS",
    "SEVERITIES",
    "HealthFinding",
    "Report",
    "ReportInput",
    "Thresholds",
    "build_report",
    "build_report_model",
    "findings_at_or_above",
    "health_findings",
    "load_report_input",
    "parse_since",
    "write_report",
]
