"""Reading the inventory: groups and names for noderanges, guests, scans, hosts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from vminv.errors import UsageError
from vminv.inventory.db import Database, database
from vminv.inventory.errors import DatabaseMissingError, UnknownScanError
from vminv.inventory.location import Location
from vminv.inventory.noderange_tables import expand_in_db, read_groups, read_known
from vminv.inventory.records import record_from_json
from vminv.scanner.domainxml import DOMAIN_STATES
from vminv.scanner.model import DomainProblem, HostFacts, HostResult, ScanResult
from vminv.scanner.noderange import natural_key
from vminv.scanner.units import kib_to_mib_text
from vminv.scanner.uri import split_uri, uri_without_password


def load_groups(db_path: Location) -> dict[str, list[str]]:
    """``{group: [nodes]}`` from ``nodelist.groups``; empty when there is no database yet."""
    try:
        with database(db_path, create=False) as db:
            return read_groups(db)
    except DatabaseMissingError:
        return {}


def known_nodes(db_path: Location) -> set[str]:
    """Node and host names the database knows; empty when there is no database yet."""
    try:
        with database(db_path, create=False) as db:
            return read_known(db)
    except DatabaseMissingError:
        return set()


def host_uris(db_path: Location) -> dict[str, str]:
    """Per-host libvirt URIs an administrator stored with ``vminv host set-uri``."""
    return {name: uri_without_password(uri) for name, uri in _host_settings(db_path, "uri").items()}


def host_transports(db_path: Location) -> dict[str, str]:
    """Per-host transports (``libvirt`` or ``ssh``) stored with ``vminv host set-uri --transport``."""
    return _host_settings(db_path, "transport")


def _host_settings(db_path: Location, column: str) -> dict[str, str]:
    try:
        with database(db_path, create=False) as db:
            return dict(db.execute(f"SELECT name, {column} FROM hosts WHERE {column} IS NOT NULL AND {column} != ''"))
    except DatabaseMissingError:
        return {}


def set_host_uri(db_path: Location, host: str, uri: str, transport: str | None = None) -> str:
    """Store the libvirt URI (and optionally the transport) rscan uses for ``host``.

    ``transport`` is ``libvirt`` (libvirt's own remote driver) or ``ssh``
    (paramiko, for hosts whose login is a password); None keeps what is stored.

    A password in the URI (``root:pw@``) is never stored: libvirt ignores it.

    :returns: the URI as stored (without a password).
    :raises UsageError: the host name is empty, the URI is not a libvirt URI or
        the transport is unknown
    """
    if not host.strip():
        raise UsageError("empty host name", "name the host as it appears in the noderange")
    uri = uri_without_password(uri)
    if "://" not in uri:
        raise UsageError(f"{uri!r} is not a libvirt URI", "write e.g. qemu+ssh://root@kvmhost1/system")
    split_uri(uri)  # malformed brackets, a bad port: refused now, not at every later scan
    if transport not in (None, "libvirt", "ssh"):
        raise UsageError(f"unknown transport {transport!r}", "use libvirt or ssh")
    with database(db_path, create=True) as db:
        db.execute(
            "INSERT INTO hosts (name, uri, transport) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "uri = excluded.uri, transport = COALESCE(excluded.transport, hosts.transport)",
            [host, uri, transport],
        )
    return uri


def _shown_uri(uri: str | None) -> str | None:
    return None if uri is None else uri_without_password(uri)


@dataclass(frozen=True)
class HostRow:
    name: str
    uri: str | None
    status: str | None
    last_seen: str | None
    last_scan_id: int | None
    error_class: str | None
    hypervisor_type: str | None
    hypervisor_version: str | None
    cpus: int | None
    memory_kib: int | None
    guests: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_hosts(db_path: Location) -> list[HostRow]:
    """The hosts table: every host scanned or given a URI, with its latest outcome."""
    with database(db_path, create=False) as db:
        rows = db.execute(
            "SELECT h.name, h.uri, h.status, h.last_seen, h.last_scan_id, h.error_class, h.hypervisor_type,"
            " h.hypervisor_version, h.cpus, h.memory_kib,"
            " (SELECT COUNT(*) FROM guests g WHERE g.host = h.name AND g.status = 'present')"
            " FROM hosts h"
        ).fetchall()
    return sorted((_host_row(row) for row in rows), key=lambda h: natural_key(h.name))


def _host_row(row: Any) -> HostRow:
    name, uri, status, last_seen, last_scan_id, error_class, hv_type, hv_version, cpus, memory_kib, guests = row
    # Facts pass the one gate on the way out too: rows written before it may hold anything.
    facts = HostFacts.from_dict({"cpus": cpus, "memory_kib": memory_kib})
    # Databases written before passwords were stripped may still hold one: never shown.
    return HostRow(name, _shown_uri(uri), status, last_seen, last_scan_id, error_class, hv_type, hv_version,
                   facts.cpus, facts.memory_kib, guests)


@dataclass(frozen=True)
class GuestRow:
    """One line of ``vminv ls``: the rscan columns plus state and last seen."""

    type: str
    name: str
    hypervisor: str
    id: int | None
    cpu: int
    memory: str  # MiB, as rscan prints it
    nic: str
    disk: str
    state: str  # the libvirt state, or "gone"
    last_seen: str
    uuid: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_guests(
    db_path: Location,
    noderange: str | None = None,
    host: str | None = None,
    state: str | None = None,
) -> list[GuestRow]:
    """Every guest the scans have seen, sorted by name then host.

    :param noderange: only these nodes (any noderange form, over this inventory's tables)
    :param host: only guests last seen on this host
    :param state: only guests in this state (``running``, ``shutoff``, ``gone``...)
    """
    with database(db_path, create=False) as db:
        names: set[str] | None = None
        if noderange:
            known = {row[0] for row in db.execute("SELECT node FROM guests UNION SELECT node FROM nodelist")}
            names = set(expand_in_db(db, noderange, known))
        rows = db.execute(
            "SELECT type, node, host, domain_id, vcpus_current, memory_kib, nics, storage,"
            " CASE WHEN status = 'gone' THEN 'gone' ELSE state END, last_seen, uuid FROM guests"
        ).fetchall()
    if state is not None:
        known_states = {*DOMAIN_STATES.values(), "gone", *(row[8] for row in rows)}
        if state not in known_states:
            raise UsageError(
                f"unknown state {state!r}", f"use one of {', '.join(sorted(s for s in known_states if s))}"
            )
    result = []
    for row in rows:
        guest = GuestRow(
            type=row[0],
            name=row[1],
            hypervisor=row[2],
            id=row[3] if row[8] != "gone" else None,
            cpu=row[4],
            memory=kib_to_mib_text(row[5]),
            nic=row[6] or "",
            disk=row[7] or "",
            state=row[8],
            last_seen=row[9],
            uuid=row[10],
        )
        if names is not None and guest.name not in names:
            continue
        if host is not None and guest.hypervisor != host:
            continue
        if state is not None and guest.state != state:
            continue
        result.append(guest)
    result.sort(key=lambda g: (natural_key(g.name), natural_key(g.hypervisor)))
    return result


@dataclass(frozen=True)
class ScanSummary:
    id: int
    started: str
    finished: str
    version: str | None
    noderange: str | None
    mode: str | None
    hosts_total: int
    hosts_ok: int
    hosts_failed: int
    guests_total: int
    written: int | None
    updated: int | None
    skipped: int | None
    conflicts: int | None
    gone: int | None
    moved: int | None
    failed_hosts: tuple[str, ...]  # "host (error class)"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failed_hosts"] = list(self.failed_hosts)
        return data


def list_scans(db_path: Location) -> list[ScanSummary]:
    """Every recorded scan, oldest first, with its coverage."""
    with database(db_path, create=False) as db:
        failed: dict[int, list[str]] = {}
        for scan_id, host, error_class in db.execute(
            "SELECT scan_id, host, error_class FROM scan_hosts WHERE status != 'ok' ORDER BY scan_id, position"
        ):
            failed.setdefault(scan_id, []).append(f"{host} ({error_class or 'failed'})")
        columns = [f.name for f in fields(ScanSummary) if f.name != "failed_hosts"]
        rows = db.execute(f"SELECT {', '.join(columns)} FROM scans ORDER BY id").fetchall()
    return [
        ScanSummary(**dict(zip(columns, row)), failed_hosts=tuple(failed.get(row[0], ()))) for row in rows
    ]


@dataclass(frozen=True)
class HostCoverage:
    host: str
    uri: str | None
    status: str
    error_class: str | None
    error: str | None
    duration_s: float | None
    guest_count: int | None
    problems: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Scan ids are SQLite integers (and PostgreSQL bigints): 1 up to 2**63 - 1.
MAX_SCAN_ID = 2**63 - 1


def check_scan_id(scan_id: int) -> None:
    """Refuse an id no scan can have, before it reaches the database (which would overflow)."""
    if not 1 <= scan_id <= MAX_SCAN_ID:
        raise UnknownScanError(f"there is no scan {scan_id} in the database (scan ids run from 1 to {MAX_SCAN_ID})",
                               "see `vminv scans`")


def resolve_scan_id(db: Database, scan_id: int | None) -> int:
    if scan_id is not None:
        check_scan_id(scan_id)
    if scan_id is None:
        latest = db.execute("SELECT MAX(id) FROM scans").fetchone()[0]
        if latest is None:
            raise UnknownScanError("the database holds no scan yet", "run `rscan NODERANGE` first")
        return int(latest)
    if db.execute("SELECT 1 FROM scans WHERE id = ?", [scan_id]).fetchone() is None:
        raise UnknownScanError(f"there is no scan {scan_id} in the database", "see `vminv scans`")
    return scan_id


def scan_coverage(db_path: Location, scan_id: int | None = None) -> tuple[int, list[HostCoverage]]:
    """The hosts of one scan (the latest when None): who answered, who failed and why."""
    with database(db_path, create=False) as db:
        scan_id = resolve_scan_id(db, scan_id)
        rows = db.execute(
            "SELECT host, uri, status, error_class, error, duration_s, guest_count, problems"
            " FROM scan_hosts WHERE scan_id = ? ORDER BY position",
            [scan_id],
        ).fetchall()
    return scan_id, [
        HostCoverage(
            host=host, uri=_shown_uri(uri), status=status, error_class=error_class, error=error,
            duration_s=duration_s, guest_count=guest_count, problems=len(json.loads(problems or "[]")),
        )
        for host, uri, status, error_class, error, duration_s, guest_count, problems in rows
    ]


def load_scan(db_path: Location, scan_id: int | None = None) -> ScanResult:
    """Rebuild a recorded scan (the latest when None) as the scanner returned it.

    :raises UnknownScanError: no such scan
    """
    with database(db_path, create=False) as db:
        scan_id = resolve_scan_id(db, scan_id)
        started, finished, version, noderange, options = db.execute(
            "SELECT started, finished, version, noderange, options FROM scans WHERE id = ?", [scan_id]
        ).fetchone()
        hosts = tuple(
            HostResult(
                name=name,
                uri=uri_without_password(uri),
                status=status,
                error_class=error_class,
                error=error,
                facts=HostFacts.from_dict(json.loads(facts)) if facts else None,
                duration_s=duration_s,
                guest_count=guest_count,
                problems=tuple(DomainProblem(**p) for p in json.loads(problems or "[]")),
            )
            for name, uri, status, error_class, error, duration_s, guest_count, problems, facts in db.execute(
                "SELECT host, uri, status, error_class, error, duration_s, guest_count, problems, facts"
                " FROM scan_hosts WHERE scan_id = ? ORDER BY position",
                [scan_id],
            )
        )
        guests = tuple(
            record_from_json(record)
            for (record,) in db.execute(
                "SELECT v.record FROM observations o JOIN guest_versions v ON v.id = o.version_id"
                " WHERE o.scan_id = ? ORDER BY o.position",
                [scan_id],
            )
        )
    return ScanResult(
        started=started,
        finished=finished,
        version=version or "",
        noderange=noderange or "",
        hosts=hosts,
        guests=guests,
        options=json.loads(options or "{}"),
    )
