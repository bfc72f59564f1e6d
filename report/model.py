"""The report model: what every format shows, built by a pure function from the inventory data."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vminv.inventory.diff import DiffEntry
from vminv.report.health import ACTIVE_STATES, SEVERITIES, HealthFinding, Thresholds, health_findings
from vminv.report.source import EngineFinding, HostOutcome, ReportGuest, ReportInput, ScanInfo, ScanPoint, UnscannedHost
from vminv.scanner.noderange import natural_key


def _ratio(used: int, capacity: int | None) -> float | None:
    return round(used / capacity, 3) if capacity else None


@dataclass(frozen=True)
class HostCapacity:
    """A host's CPUs and memory against what its guests ask for."""

    host: str
    status: str  # ok | failed | in the scan or not
    cpus: int | None  # logical CPUs (facts)
    memory_kib: int | None
    guests: int
    running: int
    vcpus_running: int  # current vCPUs of active guests
    vcpus_defined: int  # current vCPUs of all guests
    memory_running_kib: int  # maximum memory of active guests
    memory_defined_kib: int

    @property
    def cpu_ratio_running(self) -> float | None:
        return _ratio(self.vcpus_running, self.cpus)

    @property
    def cpu_ratio_defined(self) -> float | None:
        return _ratio(self.vcpus_defined, self.cpus)

    @property
    def memory_ratio_running(self) -> float | None:
        return _ratio(self.memory_running_kib, self.memory_kib)

    @property
    def memory_ratio_defined(self) -> float | None:
        return _ratio(self.memory_defined_kib, self.memory_kib)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            cpu_ratio_running=self.cpu_ratio_running,
            cpu_ratio_defined=self.cpu_ratio_defined,
            memory_ratio_running=self.memory_ratio_running,
            memory_ratio_defined=self.memory_ratio_defined,
        )
        return data


@dataclass(frozen=True)
class Totals:
    guests: int
    vcpus: int  # maximum
    vcpus_current: int
    memory_kib: int  # maximum
    current_memory_kib: int
    nics: int
    disks: int  # device="disk" and LUNs
    media: int  # cdroms and floppies

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    scan: ScanInfo
    since_scan: int | None
    noderange: str | None
    hosts_total: int
    hosts_ok: int
    hosts_failed: tuple[HostOutcome, ...]
    hosts_unscanned: tuple[UnscannedHost, ...]  # known, not in this scan
    guests_by_state: dict[str, int]
    fleet: Totals
    health_by_severity: dict[str, int]
    health_by_check: dict[str, int]
    engine_by_kind: dict[str, int]
    changes: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan": asdict(self.scan),
            "since_scan": self.since_scan,
            "noderange": self.noderange,
            "hosts_total": self.hosts_total,
            "hosts_ok": self.hosts_ok,
            "hosts_failed": [
                {"host": h.name, "error_class": h.error_class, "error": h.error, "last_ok": h.last_ok}
                for h in self.hosts_failed
            ],
            "hosts_unscanned": [asdict(h) for h in self.hosts_unscanned],
            "guests_by_state": dict(self.guests_by_state),
            "fleet": self.fleet.to_dict(),
            "health_by_severity": dict(self.health_by_severity),
            "health_by_check": dict(self.health_by_check),
            "engine_by_kind": dict(self.engine_by_kind),
            "changes": dict(self.changes),
        }


@dataclass(frozen=True)
class Report:
    generated_at: str
    summary: Summary
    thresholds: Thresholds
    capacity: tuple[HostCapacity, ...]  # hosts, natural order
    hosts: tuple[HostOutcome, ...]  # the scan's coverage, in scan order
    guests: tuple[ReportGuest, ...]  # in the scan's order: by host (noderange order), then name
    changes: tuple[DiffEntry, ...]
    engine: tuple[EngineFinding, ...]
    health: tuple[HealthFinding, ...]
    scans: tuple[ScanPoint, ...]
    per_host_totals: dict[str, Totals] = field(default_factory=dict)


_MEDIA = frozenset({"cdrom", "floppy"})


def _totals(guests: list[ReportGuest]) -> Totals:
    vcpus = vcpus_current = memory = current = nics = disks = media = 0
    for guest in guests:
        record = guest.record
        vcpus += record.vcpus
        vcpus_current += record.vcpus_current
        memory += record.memory_kib
        current += record.current_memory_kib
        nics += len(record.nics)
        for disk in record.disks:
            if disk.device in _MEDIA:
                media += 1
            else:
                disks += 1
    return Totals(len(guests), vcpus, vcpus_current, memory, current, nics, disks, media)


def _capacity(hosts: tuple[HostOutcome, ...], by_host: dict[str, list[ReportGuest]]) -> list[HostCapacity]:
    rows = []
    for host in hosts:
        guests = [g.record for g in by_host.get(host.name, [])]
        active = [g for g in guests if g.state in ACTIVE_STATES]
        rows.append(
            HostCapacity(
                host=host.name,
                status=host.status,
                cpus=host.facts.cpus if host.facts else None,
                memory_kib=host.facts.memory_kib if host.facts else None,
                guests=len(guests),
                running=len(active),
                vcpus_running=sum(g.vcpus_current for g in active),
                vcpus_defined=sum(g.vcpus_current for g in guests),
                memory_running_kib=sum(g.memory_kib for g in active),
                memory_defined_kib=sum(g.memory_kib for g in guests),
            )
        )
    rows.sort(key=lambda r: natural_key(r.host))
    return rows


def build_report_model(data: ReportInput, thresholds: Thresholds, now: datetime) -> Report:
    """The whole report from what :func:`load_report_input` read (pure: same input, same report).

    :param now: the moment day thresholds count back from, and the report's date
    """
    guests = list(data.guests)  # the scan's order: hosts in noderange order, each host's guests by name
    by_host: dict[str, list[ReportGuest]] = {}
    for guest in guests:
        by_host.setdefault(guest.record.hypervisor, []).append(guest)
    health = health_findings(data, thresholds, now)
    changes = data.changes.entries if data.changes is not None else ()
    summary = Summary(
        scan=data.scan,
        since_scan=data.changes.scan_a if data.changes is not None else None,
        noderange=data.noderange,
        hosts_total=len(data.hosts),
        hosts_ok=sum(1 for h in data.hosts if h.status == "ok"),
        hosts_failed=tuple(h for h in data.hosts if h.status != "ok"),
        hosts_unscanned=tuple(
            sorted(
                (h for h in data.unscanned_hosts if _older(h.last_scanned, now, thresholds.unscanned_days)),
                key=lambda h: natural_key(h.name),
            )
        ),
        guests_by_state=dict(sorted(Counter(g.record.state for g in guests).items())),
        fleet=_totals(guests),
        health_by_severity={s: sum(1 for f in health if f.severity == s) for s in SEVERITIES},
        health_by_check=dict(sorted(Counter(f.check for f in health).items())),
        engine_by_kind=dict(sorted(Counter(e.kind for e in data.engine).items())),
        changes=data.changes.counts() if data.changes is not None else {},
    )
    return Report(
        generated_at=now.isoformat(timespec="seconds"),
        summary=summary,
        thresholds=thresholds,
        capacity=tuple(_capacity(data.hosts, by_host)),
        hosts=data.hosts,
        guests=tuple(guests),
        changes=tuple(changes),
        engine=data.engine,
        health=tuple(health),
        scans=data.scans,
        per_host_totals={host: _totals(items) for host, items in by_host.items()},
    )


def _older(when: str | None, now: datetime, days: int) -> bool:
    if not when:
        return True
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return now - moment > timedelta(days=days)

