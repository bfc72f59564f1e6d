"""``rscan NODERANGE``: scan KVM hosts, print the guests, record the scan, optionally write nodes."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from vminv import __version__
from vminv.cli.common import (
    EXIT_CONFLICTS,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    MappedErrorsCommand,
    StatusLine,
    db_option,
    emit,
    fail,
    format_option,
    handle_errors,
    render,
    resolve_db_path,
    seconds,
    traceback_option,
    wait_option,
)
from vminv.cli.common import warn as _warn
from vminv.cli.secrets import SSH_PASSWORD_ENV, ssh_password
from vminv.cli.signals import SignalHold, kept_on_stop
from vminv.cli.signals import install as install_signal_handlers
from vminv.errors import InventoryError, UsageError
from vminv.gcpause import gc_paused
from vminv.inventory.location import Location
from vminv.scanner.disksizes import DISK_SIZES_FILE, DISK_SIZES_PROBLEM
from vminv.scanner.live import FACTS_PROBLEM
from vminv.scanner.model import HostResult, ScanResult
from vminv.scanner.noderange import expand_noderange, read_noderange_file
from vminv.scanner.replay import HOST_FILE, replay_hosts, scan_replay
from vminv.scanner.savereplay import SaveReport, save_replay
from vminv.scanner.scan import ScanSettings, plan_targets, scan_hosts
from vminv.scanner.table import CSV_COLUMNS, RSCAN_COLUMNS, csv_rows, rscan_rows
from vminv.scanner.uri import DEFAULT_URI_TEMPLATE

if TYPE_CHECKING:
    from vminv.inventory.report import WriteReport


class _Progress:
    """``scanned 3/10 hosts, 1 failed`` on a terminal's stderr; silent otherwise."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.line = StatusLine(enabled)
        self.failed = 0

    def __call__(self, done: int, total: int, result: HostResult) -> None:
        self.failed += 0 if result.ok else 1
        failed = f", {self.failed} failed" if self.failed else ""
        self.line.show(f"scanned {done}/{total} hosts{failed} (last: {result.name})")

    def close(self) -> None:
        self.line.clear()


@dataclass(frozen=True)
class _Stored:
    """What the inventory knows that shapes a scan: per-host URIs and transports (groups: see _expand)."""

    uris: dict[str, str] = field(default_factory=dict)
    transports: dict[str, str] = field(default_factory=dict)


def _load_stored(db_path: Location, use_db: bool) -> _Stored:
    if not use_db:
        return _Stored()
    from vminv import inventory

    return _Stored(inventory.host_uris(db_path), inventory.host_transports(db_path))


def _expand(noderange: str, db_path: Location, use_db: bool) -> list[str]:
    """The hosts of ``noderange``: with the inventory's groups and tables unless it is not to be read."""
    if not use_db:
        return expand_noderange(noderange, read_file=read_noderange_file)
    from vminv import inventory

    return inventory.resolve_noderange(db_path, noderange)


def _save(scan: ScanResult, save_dir: Path, recorded: str) -> SaveReport:
    kept_on_stop(f"{recorded}; --save {save_dir} is incomplete")
    saved = save_replay(scan, save_dir)
    kept_on_stop(recorded)
    for problem in saved.problems:
        _warn(problem.line())
    _warn(f"saved {saved.guests} guest(s) of {saved.hosts} host(s) to {save_dir}; rescan them with --replay {save_dir}")
    return saved


def _scan_document(scan: ScanResult, report: WriteReport | None) -> dict[str, Any]:
    document = scan.to_document()
    if report is not None:
        document["scan"]["id"] = report.scan_id
        document["write"] = report.to_dict()
    return document


# Problems of a host as a whole (its facts, its disk sizes, a replay's files), not of one domain.
_HOST_PROBLEMS = frozenset({FACTS_PROBLEM, DISK_SIZES_PROBLEM, HOST_FILE, DISK_SIZES_FILE})


def _print_problems(scan: ScanResult) -> None:
    for host in scan.hosts:
        for problem in host.problems:
            if problem.domain in _HOST_PROBLEMS:
                _warn(f"{host.name}: {problem.domain}: {problem.message}")
            else:
                _warn(f"{host.name}: domain {problem.domain} skipped: {problem.message}")
    for host in scan.failed_hosts:
        _warn(f"{host.name}: failed ({host.error_class}): {host.error}")


@click.command(cls=MappedErrorsCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("noderange", required=False)
@click.option("--uri", "uri_template", metavar="TEMPLATE", default=None,
              help=f"libvirt URI template; {{host}} is replaced [default: {DEFAULT_URI_TEMPLATE}]")
@click.option("--transport", type=click.Choice(["libvirt", "ssh"]), default="libvirt", show_default=True,
              help="libvirt's own remote driver, or paramiko + 'virsh --readonly' (password logins).")
@click.option("-j", "--concurrency", type=click.IntRange(1, 512), default=ScanSettings.concurrency, show_default=True,
              help="Hosts scanned at once.")
@click.option("--timeout", "timeout_s", type=float, callback=seconds(low=0.5), default=60.0, show_default=True,
              help="Seconds per host, connecting and scanning together.")
@click.option("--xml-threads", type=click.IntRange(1, 256), default=32, show_default=True,
              help="Concurrent domain XML reads on each host's one connection.")
@click.option("--known-hosts", type=click.Path(dir_okay=False), default=None,
              help="ssh known_hosts file to check host keys against (default: ssh's own).")
@click.option("--accept-new-host-keys", is_flag=True,
              help="Accept and remember keys of hosts never seen before (a changed key is always refused).")
@click.option("--addresses", "address_sources", metavar="SOURCES", default=None,
              help="Also ask each running guest's IP addresses from these sources: lease, agent, arp (comma-separated).")
@click.option("--password-file", metavar="FILE", default=None,
              help=f"File holding the ssh password for --transport ssh (else ${SSH_PASSWORD_ENV}, else a prompt).")
@click.option("--replay", "replay_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scan saved 'virsh dumpxml' files in DIR/HOST/*.xml instead of live hosts.")
@click.option("--save", "save_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also save every domain's XML and the hosts' facts and states as a replay folder DIR/HOST/.")
@format_option
@click.option("-z", "stanza", is_flag=True, help="Print an xCAT stanza file (for 'mkdef -z') instead of a table.")
@click.option("-w", "write_all", is_flag=True, help="Write new guests and update same ones; report conflicts.")
@click.option("-u", "update_only", is_flag=True, help="Update guests already in the inventory on the same host.")
@click.option("-n", "new_only", is_flag=True, help="Write guests not yet in the inventory.")
@db_option
@click.option("--no-db", is_flag=True, help="Do not record the scan in the inventory (just print it).")
@wait_option
@traceback_option
@click.version_option(__version__, prog_name="rscan")
@handle_errors
def cli(noderange: str | None, uri_template: str | None, transport: str, concurrency: int, timeout_s: float,
        xml_threads: int, known_hosts: str | None, accept_new_host_keys: bool, address_sources: str | None, password_file: str | None,
        replay_dir: Path | None, save_dir: Path | None, output_format: str, stanza: bool, write_all: bool, update_only: bool,
        new_only: bool, db_path: str | None, no_db: bool, wait_s: float) -> None:
    """Scan the KVM hosts in NODERANGE and list every guest, running or not.

    NODERANGE uses xCAT's syntax: kvmhost1,kvmhost2  kvmhost01-kvmhost10
    kvmhost[1-4]  f[1-2]n[1-3]  group names from the inventory  all,-kvmhost3.

    \b
    Exit status: 0 every host scanned; 3 some hosts failed (the output holds
    the rest); 4 guests skipped as conflicts by -w/-u/-n; 6 another writer holds
    the inventory (-w/-u/-n take its writer lock; see --wait); 2 usage error;
    1 other error, or --save could not write every guest (those are named;
    the scan was still shown and recorded).
    """
    modes = [flag for flag, on in (("w", write_all), ("u", update_only), ("n", new_only)) if on]
    if len(modes) > 1:
        raise UsageError(f"-{' and -'.join(modes)} cannot be combined", "choose one of -w, -u, -n")
    mode = modes[0] if modes else None
    if mode and no_db:
        raise UsageError(f"-{mode} writes the inventory, --no-db forbids it", "drop one of them")
    if stanza and output_format != "table":
        raise UsageError("-z and --format cannot be combined", "choose one output")
    db = resolve_db_path(db_path)
    if mode:
        from vminv.inventory.lock import writer_lock

        # Held from before the scan until the write is done; released when the command ends.
        click.get_current_context().with_resource(writer_lock(db, wait_s))
    record_error: InventoryError | None = None
    try:
        stored = _load_stored(db, not no_db)
    except InventoryError as exc:
        # No groups or per-host URIs then; the scan still runs and is shown.
        stored, record_error = _Stored(), exc
    keep_xml = mode is not None or save_dir is not None  # kvm_nodedata, or the replay folder
    use_db = not no_db and record_error is None
    kept_on_stop("the scan was not recorded")

    if replay_dir is not None:
        if save_dir is not None and save_dir.resolve() == replay_dir.resolve():
            raise UsageError(f"--save {save_dir} is the folder being replayed", "save to another folder")
        hosts = _expand(noderange, db, use_db) if noderange else replay_hosts(replay_dir)
        # Parsing saved XML is CPU-bound: one process per core, at most -j.
        workers = min(concurrency, len(os.sched_getaffinity(0)))
        # rscan is one short process and keeps every record to its end: freeze them out of the collector.
        with gc_paused(keep_survivors=True):
            scan = scan_replay(replay_dir, hosts, noderange or ",".join(hosts), keep_xml=keep_xml, workers=workers)
    else:
        if not noderange:
            raise UsageError("no NODERANGE given", "name the hosts to scan, e.g. rscan kvmhost[1-4]")
        hosts = _expand(noderange, db, use_db)
        transport_given = click.get_current_context().get_parameter_source("transport") not in (
            ParameterSource.DEFAULT, None)
        plan = plan_targets(
            hosts, uri_template=uri_template, transport=transport if transport_given else None,
            stored_uris=stored.uris, stored_transports=stored.transports,
            read_password=lambda: ssh_password(password_file),
        )
        for line in plan.warnings:
            _warn(f"rscan: warning: {line}")
        targets = list(plan.targets)
        settings = ScanSettings(
            concurrency=concurrency, timeout_s=timeout_s, xmldesc_threads=xml_threads,
            known_hosts=known_hosts, accept_new_host_keys=accept_new_host_keys, keep_xml=keep_xml,
            addresses=tuple(a.strip() for a in address_sources.split(",") if a.strip()) if address_sources else (),
        )
        progress = _Progress()
        try:
            scan = scan_hosts(targets, settings, noderange, progress)
        finally:
            progress.close()

    report = None
    if not no_db and record_error is None:
        from vminv import inventory

        try:
            # Interruptible until the commit, which then runs to its end: the scan is recorded
            # whole or not at all, and the message knows which.
            from vminv.inventory.store import COMMITTING

            hold = SignalHold()
            try:
                report = inventory.record_scan(db, scan, mode, progress=hold.hold_at(COMMITTING))
                kept_on_stop(f"the scan was recorded as scan {report.scan_id}")
            finally:
                hold.release()
        except InventoryError as exc:
            record_error = exc  # the scan itself is still shown below: never lose it

    if stanza:
        from vminv.inventory.stanza import to_stanza

        text, left_out = to_stanza(scan.guests)
        emit(text)
        for guest, reason in left_out:
            _warn(f"{guest.hypervisor}: guest {guest.name!r} left out of the stanza: {reason}")
    else:
        as_csv = output_format == "csv"
        rows = [] if output_format == "json" else csv_rows(scan.guests) if as_csv else rscan_rows(scan.guests)
        render(output_format, CSV_COLUMNS if as_csv else RSCAN_COLUMNS, rows,
               lambda: _scan_document(scan, report), header_when_empty=True)

    if report is not None and mode and output_format != "json":
        from vminv.inventory import format_write_report

        for line in format_write_report(report):
            _warn(line)
    _print_problems(scan)
    # Saved last: the scan is already shown and recorded whatever the folder does.
    recorded = "the scan was not recorded" if report is None else f"the scan was recorded as scan {report.scan_id}"
    saved = _save(scan, save_dir, recorded) if save_dir is not None else None
    if record_error is not None:
        fail(f"the scan was not recorded: {record_error}", EXIT_ERROR)
    if saved is not None and not saved.complete:
        fail(f"--save {save_dir} is incomplete ({len(saved.problems)} problem(s) above); "
             "the scan itself was shown" + ("" if report is None else " and recorded"), EXIT_ERROR)
    if scan.failed_hosts:
        sys.exit(EXIT_PARTIAL)
    if report is not None and mode and report.conflicts:
        sys.exit(EXIT_CONFLICTS)
    sys.exit(EXIT_OK)


def main() -> None:
    install_signal_handlers()
    cli(prog_name="rscan")
