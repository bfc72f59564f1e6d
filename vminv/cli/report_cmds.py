"""``vminv report``: an audit report of the inventory as HTML, XLSX, JSON or CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vminv import report as reports
from vminv.cli.common import EXIT_FINDINGS, SCAN_ID, db_option, handle_errors, resolve_db_path, warn

_DEFAULTS = reports.Thresholds()


@click.command("report")
@click.argument("noderange", required=False)
@click.option("--format", "output_format", type=click.Choice(reports.FORMATS), default="html", show_default=True,
              help="html, xlsx, json: one file; csv: a folder with one file per tab.")
@click.option("-o", "--output", metavar="PATH", help="File (html, xlsx, json) or folder (csv); JSON goes to stdout without it.")
@click.option("--scan", "scan_id", type=SCAN_ID, metavar="ID", help="Report this scan (default: the latest).")
@click.option("--since", metavar="SCAN_ID|DATE", help="Changes since this scan or date (default: since the scan before).")
@click.option("--fail-on", type=click.Choice(reports.SEVERITIES), metavar="SEVERITY",
              help="Exit 5 when a health finding this severe or worse exists (critical, high, medium, low, info).")
@click.option("--memory-overcommit", type=click.FloatRange(min=0), default=_DEFAULTS.memory_overcommit, show_default=True,
              help="Finding when running guests' memory exceeds host memory by this ratio.")
@click.option("--cpu-overcommit", type=click.FloatRange(min=0), default=_DEFAULTS.cpu_overcommit, show_default=True,
              help="Finding when running guests' vCPUs per host CPU exceed this.")
@click.option("--shutoff-days", type=click.IntRange(min=0), default=_DEFAULTS.shutoff_days, show_default=True,
              help="Finding for a guest shut off longer than this.")
@click.option("--gone-days", type=click.IntRange(min=0), default=_DEFAULTS.gone_days, show_default=True,
              help="Finding for a guest gone longer than this.")
@click.option("--failed-scans", type=click.IntRange(min=1), default=_DEFAULTS.failed_scans, show_default=True,
              help="Finding for a host that failed this many scans in a row.")
@click.option("--unscanned-days", type=click.IntRange(min=0), default=_DEFAULTS.unscanned_days, show_default=True,
              help="Finding for a host not scanned for longer than this.")
@db_option
@handle_errors
def report_command(
    noderange: str | None,
    output_format: str,
    output: str | None,
    scan_id: int | None,
    since: str | None,
    fail_on: str | None,
    memory_overcommit: float,
    cpu_overcommit: float,
    shutoff_days: int,
    gone_days: int,
    failed_scans: int,
    unscanned_days: int,
    db_path: str | None,
) -> None:
    """Write an audit report: summary, capacity, guests, NICs, disks, changes, engine and health findings.

    Example: vminv report --format html -o report.html; vminv report --format xlsx -o fleet.xlsx --fail-on high
    """
    thresholds = reports.Thresholds(
        memory_overcommit=memory_overcommit,
        cpu_overcommit=cpu_overcommit,
        shutoff_days=shutoff_days,
        gone_days=gone_days,
        failed_scans=failed_scans,
        unscanned_days=unscanned_days,
    )
    built = reports.build_report(
        resolve_db_path(db_path), scan_id=scan_id, since=since, noderange=noderange, thresholds=thresholds
    )
    target = Path(output).expanduser() if output else None
    written = reports.write_report(built, output_format, target, stream=sys.stdout.buffer)
    sys.stdout.flush()
    counts = ", ".join(f"{n} {sev}" for sev, n in built.summary.health_by_severity.items() if n)
    if written:
        warn(
            f"report of scan {built.summary.scan.id} written to {target}"
            + (f" ({len(written)} files)" if len(written) > 1 else "")
            + f": {_count(len(built.guests), 'guest')}, {_count(len(built.capacity), 'host')},"
            f" health: {counts or 'no findings'}"
        )
    if fail_on is not None:
        failing = reports.findings_at_or_above(built, fail_on)
        if failing:
            warn(f"{_count(len(failing), 'health finding')} at or above {fail_on}")
            sys.exit(EXIT_FINDINGS)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def register(group: click.Group) -> None:
    group.add_command(report_command)
