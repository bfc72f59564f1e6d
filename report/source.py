"""Read what a report needs from the inventory, in one pass, into plain frozen data.

This is the only part of the report that does I/O; everything after it
(health findings, the report model, the renderers) is a function of what is
read here.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from vminv.errors import UsageError
from vminv.inventory.db import database
from vminv.inventory.diff import ScanDiff, diff_scans
from vminv.inventory.errors import UnknownScanError
from vminv.inventory.location import Location
from vminv.inventory.noderange_tables import expand_in_db
from vminv.inventory.queries import resolve_scan_id
from vminv.scanner.hostfacts import FACT_NAMES
from vminv.scanner.model import Disk, Graphics, GuestRecord, HostFacts, Nic

# How many of a host's latest outcomes are read, enough for any sensible
# "failed its last N scans" threshold.
OUTCOME_HISTORY = 30


@dataclass(frozen=True)
class ScanInfo:
    id: int
    started: str
    finished: str
    version: str | None
    noderange: str | None
    mode: str | None


@dataclass(frozen=True)
class HostOutcome:
    """One host in the reported scan, with what the scan history says about it."""

    name: str
    uri: str | None
    status: str  # ok | failed
    error_class: str | None
    error: str | None
    duration_s: float | None
    guest_count: int | None
    problems: tuple[str, ...]  # "domain: message"
    facts: HostFacts | None  # from this scan, else the last scan that had them
    recent: tuple[str, ...]  # statuses in the latest scans up to this one, newest first
    last_ok: str | None  # when it last answered (scan start), up to this scan


@dataclass(frozen=True)
class ReportGuest:
    """A guest seen by the reported scan, with its inventory dates."""

    record: GuestRecord
    first_seen: str | None
    last_seen: str | None
    state_since: str | None  # when the current state was first recorded


@dataclass(frozen=True)
class KnownGuest:
    """A row of the inventory's guest table (any scan), for gone and long-gone guests."""

    node: str
    host: str
    uuid: str | None
    state: str | None
    status: str  # present | gone
    last_seen: str | None
    gone_at: str | None


@dataclass(frozen=True)
class ScanPoint:
    id: int
    started: str
    hosts_ok: int
    hosts_failed: int
    guests_total: int


@dataclass(frozen=True)
class EngineFinding:
    kind: str
    guest: str | None
    uuid: str | None
    engine_host: str | None
    scanned_host: str | None
    detail: str | None
    engine_url: str | None
    scan_id: int | None
    recorded_at: str


@dataclass(frozen=True)
class UnscannedHost:
    """A host the inventory knows that the reported scan did not include."""

    name: str
    last_scanned: str | None  # start of the latest scan that included it
    last_ok: str | None


@dataclass(frozen=True)
class ReportInput:
    scan: ScanInfo
    hosts: tuple[HostOutcome, ...]  # in the scan's order
    unscanned_hosts: tuple[UnscannedHost, ...]
    guests: tuple[ReportGuest, ...]  # in the scan's order
    known_guests: tuple[KnownGuest, ...]
    scans: tuple[ScanPoint, ...]  # every scan up to the reported one, oldest first
    changes: ScanDiff | None
    engine: tuple[EngineFinding, ...]  # the latest reconcile's findings, if any
    noderange: str | None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_since(text: str) -> int | datetime:
    """``--since``: a scan id, or an ISO date / date-time (UTC unless it says otherwise).

    :raises UsageError: neither
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    if _DATE.match(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise UsageError(f"--since {text!r} is neither a scan id nor a date", "write e.g. --since 12 or --since 2024-05-01")


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time as stored in the inventory (UTC when it has no zone); None if absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _baseline_scan(db: Any, scan_id: int, since: int | datetime | None) -> int | None:
    """The scan to compare with: ``since`` (an id, or the last scan started before a date), else the previous one."""
    if isinstance(since, int):
        baseline = resolve_scan_id(db, since)
        if baseline >= scan_id:
            raise UsageError(f"--since {since} is not before scan {scan_id}", "name an earlier scan or a date")
        return baseline
    rows = db.execute("SELECT id, started FROM scans WHERE id < ? ORDER BY id DESC", [scan_id]).fetchall()
    if since is None:
        return rows[0][0] if rows else None
    for scan, started in rows:
        moment = parse_time(started)
        if moment is not None and moment <= since:
            return int(scan)
    return int(rows[-1][0]) if rows else None  # the date is before every scan: the first one


def _selection(db: Any, noderange: str | None) -> set[str] | None:
    if not noderange:
        return None
    known = {row[0] for row in db.execute("SELECT node FROM guests UNION SELECT node FROM nodelist UNION SELECT name FROM hosts")}
    return set(expand_in_db(db, noderange, known))


def _host_outcomes(db: Any, scan_id: int) -> list[HostOutcome]:
    recent: dict[str, list[str]] = {}
    last_ok: dict[str, str] = {}
    for host, status, started in db.execute(
        "SELECT host, status, started FROM (SELECT sh.host, sh.status, s.started,"
        " ROW_NUMBER() OVER (PARTITION BY sh.host ORDER BY sh.scan_id DESC) AS n"
        " FROM scan_hosts sh JOIN scans s ON s.id = sh.scan_id WHERE sh.scan_id <= ?) AS recent WHERE n <= ? ORDER BY host, n",
        [scan_id, OUTCOME_HISTORY],
    ):
        recent.setdefault(host, []).append(status)
        if status == "ok" and host not in last_ok:
            last_ok[host] = started
    for host, started in db.execute(
        "SELECT sh.host, MAX(s.started) FROM scan_hosts sh JOIN scans s ON s.id = sh.scan_id"
        " WHERE sh.scan_id <= ? AND sh.status = 'ok' GROUP BY sh.host",
        [scan_id],
    ):
        last_ok.setdefault(host, started)
    stored_facts = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT name, hostname, hypervisor_type, hypervisor_version, libvirt_version, uuid, arch, cpu_model,"
            " cpu_sockets, cpu_cores, cpu_threads, cpus, memory_kib FROM hosts"
        )
    }
    outcomes = []
    for host, uri, status, error_class, error, duration_s, guest_count, problems, facts in db.execute(
        "SELECT host, uri, status, error_class, error, duration_s, guest_count, problems, facts"
        " FROM scan_hosts WHERE scan_id = ? ORDER BY position",
        [scan_id],
    ):
        host_facts = HostFacts.from_dict(json.loads(facts)) if facts else None
        if host_facts is None and host in stored_facts and any(v is not None for v in stored_facts[host]):
            # A failed host keeps its last known facts: capacity planning still needs them.
            host_facts = HostFacts.from_dict(dict(zip(FACT_NAMES, stored_facts[host], strict=True)))
        outcomes.append(
            HostOutcome(
                name=host,
                uri=uri,
                status=status,
                error_class=error_class,
                error=error,
                duration_s=duration_s,
                guest_count=guest_count,
                problems=tuple(f"{p.get('domain')}: {p.get('message')}" for p in json.loads(problems or "[]")),
                facts=host_facts,
                recent=tuple(recent.get(host, ())),
                last_ok=last_ok.get(host),
            )
        )
    return outcomes


def _unscanned_hosts(db: Any, scan_id: int, scanned: set[str]) -> list[UnscannedHost]:
    rows = db.execute(
        "SELECT sh.host, MAX(s.started), MAX(CASE WHEN sh.status = 'ok' THEN s.started END)"
        " FROM scan_hosts sh JOIN scans s ON s.id = sh.scan_id WHERE sh.scan_id <= ? GROUP BY sh.host",
        [scan_id],
    ).fetchall()
    return [UnscannedHost(name, last, ok) for name, last, ok in rows if name not in scanned]


_RecordPart = type[GuestRecord] | type[Nic] | type[Disk] | type[Graphics]
_DEFAULTS: dict[type, dict[str, Any]] = {
    cls: {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    for cls in (GuestRecord, Nic, Disk, Graphics)
}
_FIELDS: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in dataclasses.fields(cls)) for cls in (GuestRecord, Nic, Disk, Graphics)
}

_REQUIRED: dict[type, frozenset[str]] = {cls: _FIELDS[cls] - _DEFAULTS[cls].keys() for cls in _FIELDS}


def _restore(cls: _RecordPart, values: Mapping[str, Any]) -> Any:
    """A stored record part, rebuilt without the frozen dataclass's ``__init__``.

    ``__init__`` sets each field through ``object.__setattr__``: about 70 calls
    per guest, most of the time of reading 100,000 guests. The values come from
    ``to_dict`` of the same classes, so filling ``__dict__`` gives an equal
    object; anything unexpected goes through the real constructor, which
    says what is wrong.
    """
    if not _REQUIRED[cls] <= values.keys() <= _FIELDS[cls]:
        return cls(**values)  # raises TypeError naming the missing or unknown field
    record = object.__new__(cls)
    state = record.__dict__
    state.update(_DEFAULTS[cls])
    state.update(values)
    return record


def restore_record(text: str | bytes) -> GuestRecord:
    """``GuestRecord.from_dict(orjson.loads(text))``, about twice as fast (see :func:`_restore`)."""
    data = orjson.loads(text)
    data["nics"] = tuple([_restore(Nic, n) for n in data.get("nics", ())])
    data["disks"] = tuple([_restore(Disk, d) for d in data.get("disks", ())])
    data["graphics"] = tuple([_restore(Graphics, g) for g in data.get("graphics", ())])
    record: GuestRecord = _restore(GuestRecord, data)
    return record


def _report_guests(db: Any, scan_id: int) -> list[ReportGuest]:
    state_since = dict(
        db.execute("SELECT guest_id, MAX(at) FROM guest_events WHERE field = 'state' AND scan_id <= ? GROUP BY guest_id", [scan_id])
    )
    guests = []
    for text, guest_id, first_seen, last_seen in db.execute(
        "SELECT v.record, g.id, g.first_seen, g.last_seen FROM observations o"
        " JOIN guest_versions v ON v.id = o.version_id LEFT JOIN guests g ON g.id = o.guest_id"
        " WHERE o.scan_id = ? ORDER BY o.position",
        [scan_id],
    ):
        guests.append(ReportGuest(restore_record(text), first_seen, last_seen, state_since.get(guest_id, first_seen)))
    return guests


def _latest_reconcile(db: Any) -> list[EngineFinding]:
    latest = db.execute("SELECT engine_url, recorded_at FROM findings ORDER BY id DESC LIMIT 1").fetchone()
    if latest is None:
        return []
    rows = db.execute(
        "SELECT kind, guest, uuid, engine_host, scanned_host, detail, engine_url, scan_id, recorded_at FROM findings"
        " WHERE engine_url IS ? AND recorded_at = ? ORDER BY id",
        list(latest),
    ).fetchall()
    return [EngineFinding(*row) for row in rows]


def load_report_input(
    db_path: Location,
    scan_id: int | None = None,
    since: int | datetime | None = None,
    noderange: str | None = None,
) -> ReportInput:
    """Everything a report shows, read from the inventory at ``db_path``.

    :param scan_id: the scan to report (the latest when None)
    :param since: the baseline for changes: a scan id or a moment (the last
        scan started at or before it); None: the scan before ``scan_id``
    :param noderange: only these guests (by name) and hosts (a guest is also
        kept when its host is selected)
    :raises UnknownScanError: no scan yet, or no such scan
    :raises UsageError: ``since`` is not before the reported scan; bad noderange
    """
    with database(db_path, create=False) as db:
        scan_id = resolve_scan_id(db, scan_id)
        scan = ScanInfo(
            scan_id,
            *db.execute("SELECT started, finished, version, noderange, mode FROM scans WHERE id = ?", [scan_id]).fetchone(),
        )
        selected = _selection(db, noderange)
        hosts = _host_outcomes(db, scan_id)
        unscanned = _unscanned_hosts(db, scan_id, {h.name for h in hosts})
        guests = _report_guests(db, scan_id)
        known = [
            KnownGuest(*row)
            # Only gone guests are needed (the scan's own guests come with their records).
            for row in db.execute(
                "SELECT node, host, uuid, state, status, last_seen, gone_at FROM guests"
                " WHERE status = 'gone' AND first_scan_id <= ?",
                [scan_id],
            )
        ]
        scans = [
            ScanPoint(*row)
            for row in db.execute(
                "SELECT id, started, COALESCE(hosts_ok, 0), COALESCE(hosts_failed, 0), COALESCE(guests_total, 0)"
                " FROM scans WHERE id <= ? ORDER BY id",
                [scan_id],
            )
        ]
        baseline = _baseline_scan(db, scan_id, since)
        engine = _latest_reconcile(db)
    changes = diff_scans(db_path, baseline, scan_id) if baseline is not None else None
    if selected is not None:
        guests = [g for g in guests if g.record.name in selected or g.record.hypervisor in selected]
        chosen_hosts = selected | {g.record.hypervisor for g in guests}
        hosts = [h for h in hosts if h.name in chosen_hosts]
        unscanned = [h for h in unscanned if h.name in selected]
        known = [k for k in known if k.node in selected or k.host in selected]
        engine = [e for e in engine if (e.guest in selected) or (e.scanned_host in selected) or (e.engine_host in selected)]
        if changes is not None:
            changes = ScanDiff(
                changes.scan_a, changes.scan_b, tuple(e for e in changes.entries if e.node in selected or e.host in selected)
            )
    return ReportInput(
        scan=scan,
        hosts=tuple(hosts),
        unscanned_hosts=tuple(unscanned),
        guests=tuple(guests),
        known_guests=tuple(known),
        scans=tuple(scans),
        changes=changes,
        engine=tuple(engine),
        noderange=noderange,
    )


__all__ = [
    "EngineFinding",
    "HostOutcome",
    "KnownGuest",
    "ReportGuest",
    "ReportInput",
    "ScanInfo",
    "ScanPoint",
    "UnknownScanError",
    "UnscannedHost",
    "load_report_input",
    "parse_since",
]
