"""JSON and CSV renderings of a report (stable keys documented in the README)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from vminv.report.model import Report
from vminv.report.tabs import Tab, report_tabs
from vminv.textsafe import json_bytes_terminal_safe, write_csv

JSON_FORMAT = "vminv-report"
JSON_VERSION = 1

# The tabs that JSON gives as flat rows; guests come whole (nested NICs and disks).
_JSON_TABS = ("capacity", "coverage", "changes", "engine", "scans")


def summary_rows(report: Report) -> list[tuple[str, str, Any]]:
    """``(section, key, value)`` lines of the summary, for the workbook's and the CSV's summary tab."""
    s = report.summary
    rows: list[tuple[str, str, Any]] = [
        ("report", "generated_at", report.generated_at),
        ("report", "noderange", s.noderange),
        ("scan", "id", s.scan.id),
        ("scan", "started", s.scan.started),
        ("scan", "finished", s.scan.finished),
        ("scan", "noderange", s.scan.noderange),
        ("scan", "since_scan", s.since_scan),
        ("hosts", "total", s.hosts_total),
        ("hosts", "answered", s.hosts_ok),
        ("hosts", "failed", len(s.hosts_failed)),
        ("hosts", "not_scanned", len(s.hosts_unscanned)),
    ]
    rows += [("failed_host", h.name, f"{h.error_class or 'failed'}: {h.error or ''}") for h in s.hosts_failed]
    rows += [("not_scanned_host", h.name, h.last_scanned) for h in s.hosts_unscanned]
    rows += [("guests_by_state", state, count) for state, count in s.guests_by_state.items()]
    rows += [("fleet", key, value) for key, value in s.fleet.to_dict().items()]
    rows += [("health_by_severity", key, value) for key, value in s.health_by_severity.items()]
    rows += [("health_by_check", key, value) for key, value in s.health_by_check.items()]
    rows += [("engine_by_kind", key, value) for key, value in s.engine_by_kind.items()]
    rows += [("changes", key, value) for key, value in s.changes.items()]
    rows += [("threshold", key, value) for key, value in report.thresholds.to_dict().items()]
    return rows


def _rows_as_objects(tab: Tab) -> Iterator[dict[str, Any]]:
    keys = tab.headers
    for row in tab.rows():
        yield dict(zip(keys, row))


def _guest_objects(report: Report) -> Iterator[dict[str, Any]]:
    for guest in report.guests:
        data = guest.record.to_dict()
        data["first_seen"] = guest.first_seen
        data["last_seen"] = guest.last_seen
        data["state_since"] = guest.state_since
        yield data


def _write_list(out: BinaryIO, key: str, items: Iterator[dict[str, Any]]) -> None:
    out.write(b',\n"' + key.encode() + b'": [')
    first = True
    for item in items:
        out.write(b"\n" if first else b",\n")
        out.write(json_bytes_terminal_safe(orjson.dumps(item)))
        first = False
    out.write(b"\n]")


def write_json(report: Report, out: BinaryIO) -> None:
    """The report as one JSON object, streamed (one guest at a time)."""
    head = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "generated_at": report.generated_at,
        "thresholds": report.thresholds.to_dict(),
        "summary": report.summary.to_dict(),
    }
    out.write(json_bytes_terminal_safe(orjson.dumps(head))[:-1])  # left open: the lists follow
    _write_list(out, "guests", _guest_objects(report))
    tabs = {tab.key: tab for tab in report_tabs(report)}
    for key in _JSON_TABS:
        _write_list(out, key, _rows_as_objects(tabs[key]))
    _write_list(out, "health", (finding.to_dict() for finding in report.health))  # evidence as an object
    out.write(b"\n}\n")


def write_csv_folder(report: Report, folder: Path) -> list[Path]:
    """One CSV file per tab (and vSummary.csv) in ``folder``; every text cell formula-safe."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "vSummary.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        write_csv(stream, ["section", "key", "value"], summary_rows(report))
    written.append(path)
    for tab in report_tabs(report):
        path = folder / f"{tab.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            write_csv(stream, tab.headers, tab.rows())
        written.append(path)
    return written
