"""Recording a scan: coverage, history, and (with a write flag) the xCAT node tables.

Everything one scan writes happens in one transaction: a writer killed half
way leaves the file as it was, and concurrent writers queue on the lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from vminv.gcpause import gc_paused
from vminv.inventory.db import Database, database, write_transaction
from vminv.inventory.location import Location
from vminv.inventory.plan import FollowMoves, PlannedGuest, check_mode, plan_writes
from vminv.inventory.report import WriteEntry, WriteReport
from vminv.inventory.staging import stage_scan, unstage_scan
from vminv.inventory.track import scan_content
from vminv.inventory.write_history import record_history
from vminv.inventory.write_nodes import apply_write_plan, write_domain_xml
from vminv.scanner.model import ScanResult
from vminv.scanner.uri import uri_without_password

Progress = Callable[[str], None]
# The last stage record_scan reports: the commit follows at once (the CLI holds signals from here).
COMMITTING = "committing"


def _quiet(_message: str) -> None:
    pass


def record_scan(
    db_path: Location,
    scan: ScanResult,
    mode: str | None,
    progress: Progress | None = None,
    follow_moves: bool = False,
) -> WriteReport:
    """Record ``scan`` in the database at ``db_path`` (created on first use).

    Always stores the scan, its per-host coverage, host facts and every
    guest's observation and history. With ``mode`` ``'w'``, ``'u'`` or ``'n'``
    also writes the xCAT node tables by the rules of :mod:`inventory.plan`.

    :param progress: called with a short stage name as the write goes on
    :param follow_moves: a guest that migrated (same UUID, its old host
        answered without it) is moved in the node tables instead of being a
        conflict (see :mod:`inventory.plan`)
    :raises InventoryError: the database cannot be opened or written
    """
    check_mode(mode)
    with gc_paused():
        return _record_scan(db_path, scan, mode, progress or _quiet, follow_moves)


# The UUID a node is known by: vpd.uuid, else what its vm.host last reported.
_NODE_UUIDS = (
    "SELECT vm.node, COALESCE(vpd.uuid, (SELECT g.uuid FROM guests g WHERE g.node = vm.node AND g.host = vm.host))"
    " FROM vm LEFT JOIN vpd ON vpd.node = vm.node"
)


def _record_scan(db_path: Location, scan: ScanResult, mode: str | None, say: Progress, follow_moves: bool) -> WriteReport:
    # Hashing is much of the CPU time: do it before taking the write lock.
    content = scan_content(scan)
    with database(db_path, create=True) as db, write_transaction(db):
        say("transaction started")
        scan_id = _insert_scan(db, scan, mode)
        _write_hosts(db, scan, scan_id)
        existing = dict(db.execute("SELECT node, host FROM vm"))
        follow = FollowMoves(dict(db.execute(_NODE_UUIDS))) if follow_moves else None
        plan = plan_writes(existing, scan, mode, follow)
        written = {(p.node, p.host) for p in plan.entries if p.action in ("new", "update")}
        # Staging copies every scanned guest into a temporary table, for SQL
        # that matches them with the stored guests and writes the node tables:
        # a first scan into a new inventory, recorded only, needs neither.
        staged = bool(written) or _has_guests(db)
        if staged:
            stage_scan(db, scan, content, written)
        track = record_history(db, scan_id, scan, content, staged)
        say("history written")
        updated, unchanged = apply_write_plan(db, plan)
        # A followed move without -w/-u: only vm.host follows, as `vminv move` does.
        db.executemany("UPDATE vm SET host = ? WHERE node = ?", [(p.host, p.node) for p in plan.with_action("move")])
        write_domain_xml(db, plan, scan.domain_xml)
        unstage_scan(db)
        say("node tables written")
        report = WriteReport(
            scan_id=scan_id,
            mode=mode,
            written=tuple(_entry(p) for p in plan.with_action("new")),
            updated=tuple(updated),
            skipped=tuple(_entry(p) for p in plan.with_action("skip")),
            conflicts=tuple(_entry(p) for p in plan.with_action("conflict")),
            gone=tuple(
                WriteEntry(row.node, row.host, "gone", f"not found on {row.host}, which answered; last seen {row.last_seen}")
                for row in track.gone
            ),
            moved=tuple(
                WriteEntry(o.guest.name, o.guest.hypervisor, "moved", f"from {o.moved_from.host}")
                for o in track.observed
                if o.moved_from is not None
            ),
            unchanged=unchanged,
        )
        _store_counts(db, scan_id, report)
        say(COMMITTING)
    return report


def _has_guests(db: Database) -> bool:
    return bool(db.scalar("SELECT EXISTS (SELECT 1 FROM guests)"))


def _entry(planned: PlannedGuest) -> WriteEntry:
    return WriteEntry(planned.node, planned.host, planned.action, planned.reason)


# --- scans and hosts ---------------------------------------------------------------


def _insert_scan(db: Database, scan: ScanResult, mode: str | None) -> int:
    # Under the write lock, so the next id is ours (the same on both backends).
    scan_id = int(db.scalar("SELECT COALESCE(MAX(id), 0) FROM scans")) + 1
    db.execute(
        "INSERT INTO scans (id, started, finished, version, noderange, mode, options, hosts_total, hosts_ok,"
        " hosts_failed, guests_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            scan_id,
            scan.started,
            scan.finished,
            scan.version,
            scan.noderange,
            mode,
            json.dumps(dict(scan.options), sort_keys=True, default=str),
            len(scan.hosts),
            len(scan.hosts) - len(scan.failed_hosts),
            len(scan.failed_hosts),
            len(scan.guests),
        ],
    )
    return scan_id


def _store_counts(db: Database, scan_id: int, report: WriteReport) -> None:
    counts = report.counts()
    db.execute(
        "UPDATE scans SET written=?, updated=?, skipped=?, conflicts=?, gone=?, moved=? WHERE id=?",
        [counts[k] for k in ("written", "updated", "skipped", "conflicts", "gone", "moved")] + [scan_id],
    )


_FACT_COLUMNS = (
    "hostname",
    "hypervisor_type",
    "hypervisor_version",
    "libvirt_version",
    "uuid",
    "arch",
    "cpu_model",
    "cpu_sockets",
    "cpu_cores",
    "cpu_threads",
    "cpus",
    "memory_kib",
)


def _write_hosts(db: Database, scan: ScanResult, scan_id: int) -> None:
    db.executemany(
        "INSERT INTO scan_hosts (scan_id, host, position, uri, status, error_class, error, duration_s,"
        " guest_count, problems, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                scan_id,
                host.name,
                position,
                uri_without_password(host.uri),  # also for results not built by the scanner
                host.status,
                host.error_class,
                host.error,
                host.duration_s,
                host.guest_count,
                json.dumps([p.to_dict() for p in host.problems]),
                json.dumps(host.facts.to_dict()) if host.facts else None,
            )
            for position, host in enumerate(scan.hosts)
        ],
    )
    columns = ("name", "status", "first_seen", "last_seen", "last_scan_id", "error_class", "error", *_FACT_COLUMNS)
    # A failed host keeps its last answer (last_seen, facts) and the admin's uri.
    keep_old = ("first_seen",)
    prefer_new = ("last_seen", *_FACT_COLUMNS)
    assignments = ", ".join(
        f"{c} = COALESCE(hosts.{c}, excluded.{c})"
        if c in keep_old
        else f"{c} = COALESCE(excluded.{c}, hosts.{c})"
        if c in prefer_new
        else f"{c} = excluded.{c}"
        for c in columns[1:]
    )
    sql = (
        f"INSERT INTO hosts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT(name) DO UPDATE SET {assignments}"
    )
    rows = []
    for host in scan.hosts:
        seen = scan.started if host.ok else None
        facts = host.facts.to_dict() if host.facts and host.ok else {}
        rows.append(
            (host.name, host.status, seen, seen, scan_id, host.error_class, host.error)
            + tuple(facts.get(c) for c in _FACT_COLUMNS)
        )
    db.executemany(sql, rows)
