"""Health findings: a pure function of the inventory data a report reads.

Each finding names one check, a severity, a subject (a host, a guest, a NIC,
a disk) and carries the evidence that made it, so a reader can verify it
without the tool. Thresholds are explicit arguments (:class:`Thresholds`),
with the defaults documented in the README.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vminv.errors import UsageError
from vminv.report.source import EngineFinding, HostOutcome, ReportInput, parse_time
from vminv.scanner.model import Disk, GuestRecord

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}  # 0 is the most severe

ACTIVE_STATES = frozenset({"running", "paused", "blocked", "pmsuspended", "shutdown"})
LOOPBACK = ("127.", "::1", "localhost", "socket", "none")


# name -> (type, lowest, highest): the one statement of what a threshold may be,
# checked here and by the configuration file's reader.
THRESHOLD_BOUNDS: dict[str, tuple[type, float, float]] = {
    "memory_overcommit": (float, 0.01, 1000),
    "cpu_overcommit": (float, 0.01, 1000),
    "shutoff_days": (int, 0, 36500),
    "gone_days": (int, 0, 36500),
    "failed_scans": (int, 1, 1_000_000),
    "unscanned_days": (int, 0, 36500),
}


@dataclass(frozen=True)
class Thresholds:
    """When a check fires. Defaults are documented in the README (Reports: health findings)."""

    memory_overcommit: float = 1.0  # running guests' maximum memory / host memory
    cpu_overcommit: float = 4.0  # running guests' current vCPUs / host logical CPUs
    shutoff_days: int = 90  # a guest shut off for longer than this
    gone_days: int = 30  # a guest gone for longer than this (its record can be pruned)
    failed_scans: int = 3  # a host that failed this many scans in a row
    unscanned_days: int = 7  # a host not scanned for longer than this

    def __post_init__(self) -> None:
        for name, (kind, lowest, highest) in THRESHOLD_BOUNDS.items():
            value = getattr(self, name)
            # bool is an int to Python, not a threshold; NaN fails both comparisons.
            if isinstance(value, bool) or not isinstance(value, int | float) or not lowest <= value <= highest:
                raise UsageError(f"threshold {name} must be a number from {lowest:g} to {highest:g}, not {value!r}",
                                 "give a value in that range")
            if kind is int and value != int(value):
                raise UsageError(f"threshold {name} must be a whole number, not {value!r}", "drop the fraction")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HealthFinding:
    id: str  # check/subject: stable across runs for the same problem
    check: str
    severity: str
    subject_kind: str  # host | guest | nic | disk
    subject: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check": self.check,
            "severity": self.severity,
            "subject_kind": self.subject_kind,
            "subject": self.subject,
            "message": self.message,
            "evidence": dict(self.evidence),
        }


def _finding(check: str, severity: str, kind: str, subject: str, message: str, **evidence: Any) -> HealthFinding:
    return HealthFinding(f"{check}/{subject}", check, severity, kind, subject, message, evidence)


def _where(record: GuestRecord) -> str:
    return f"{record.name}@{record.hypervisor}"


def _days(since: str | None, now: datetime) -> float | None:
    moment = parse_time(since)
    return None if moment is None else (now - moment) / timedelta(days=1)


# --------------------------------------------------------------------------------------------
# Guests seen together in the reported scan


def split_brain(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """One UUID active on two or more hosts: two qemu processes writing the same disks."""
    active: dict[str, list[GuestRecord]] = defaultdict(list)
    for guest in guests:
        if guest.state in ACTIVE_STATES:
            active[guest.uuid].append(guest)
    for uuid, copies in active.items():
        hosts = sorted({g.hypervisor for g in copies})
        if len(hosts) > 1:
            yield _finding(
                "split_brain", "critical", "guest", uuid,
                f"{copies[0].name} ({uuid}) is active on {len(hosts)} hosts at once: {', '.join(hosts)}",
                uuid=uuid, copies=[{"name": g.name, "host": g.hypervisor, "state": g.state} for g in copies],
            )


def stale_copies(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """One UUID defined on several hosts with at most one copy active: leftovers of a move."""
    by_uuid: dict[str, list[GuestRecord]] = defaultdict(list)
    for guest in guests:
        by_uuid[guest.uuid].append(guest)
    for uuid, copies in by_uuid.items():
        hosts = sorted({g.hypervisor for g in copies})
        active_hosts = {g.hypervisor for g in copies if g.state in ACTIVE_STATES}
        if len(hosts) > 1 and len(active_hosts) <= 1:
            yield _finding(
                "stale_copies", "medium", "guest", uuid,
                f"{copies[0].name} ({uuid}) is defined on {len(hosts)} hosts: {', '.join(hosts)}"
                + (f"; it runs on {next(iter(active_hosts))}" if active_hosts else "; none runs it"),
                uuid=uuid, copies=[{"name": g.name, "host": g.hypervisor, "state": g.state} for g in copies],
            )


_MEDIA = frozenset({"cdrom", "floppy"})
_HOST_LOCAL = frozenset({"file", "block", "dir", "volume", "nvme"})


def _disk_key(guest: GuestRecord, disk: Disk) -> tuple[str, str, str | None] | None:
    """What identifies the storage behind a disk: network storage fleet-wide, the rest per host."""
    if disk.source is None or disk.device in _MEDIA:
        return None
    return (guest.hypervisor if disk.type in _HOST_LOCAL else "*"), disk.type, disk.source


def shared_writable_disks(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """One disk source written by two guests without <shareable/>: their file systems will corrupt each other.

    Copies of one guest (same UUID) are not two writers: that is split brain or
    a stale copy, reported as such. A read-only user, or a disk every user
    marks shareable, is no finding. Files, block devices, directories and pool
    volumes are compared per host (the same path on two hosts is usually two
    files); network disks (rbd, iscsi, gluster, ...) fleet-wide.
    """
    guests = list(guests)
    # First pass: which sources have writers from more than one guest. Most
    # sources have one user, so this pass keeps one small tuple per source.
    first_writer: dict[tuple[str, str, str | None], str] = {}
    shared: set[tuple[str, str, str | None]] = set()
    for guest in guests:
        for disk in guest.disks:
            key = _disk_key(guest, disk)
            if key is None or disk.readonly:
                continue
            owner = first_writer.setdefault(key, guest.uuid)
            if owner != guest.uuid:
                shared.add(key)
    if not shared:
        return
    users: dict[tuple[str, str, str | None], list[tuple[GuestRecord, Disk]]] = defaultdict(list)
    for guest in guests:
        for disk in guest.disks:
            key = _disk_key(guest, disk)
            if key in shared:
                users[key].append((guest, disk))
    for key in sorted(shared, key=lambda k: (k[0], k[1], k[2] or "")):
        uses = users[key]
        writers = [(g, d) for g, d in uses if not d.readonly]
        if all(d.shareable for _, d in writers):
            continue
        scope, _kind, source = key
        subject = source or "" if scope == "*" else f"{scope}:{source}"
        names = sorted({_where(g) for g, _ in writers})
        yield _finding(
            "shared_disk", "critical", "disk", subject,
            f"{source} is written by {len(names)} guests without <shareable/>: {', '.join(names)}",
            source=source, disk_type=writers[0][1].type, host=None if scope == "*" else scope,
            users=[
                {"guest": g.name, "host": g.hypervisor, "uuid": g.uuid, "target": d.target,
                 "readonly": d.readonly, "shareable": d.shareable}
                for g, d in uses
            ],
        )


def duplicate_macs(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """One MAC on NICs of two different guests: frames go to whichever answered last.

    Copies of one guest (same UUID) and two NICs of one guest are not counted.
    """
    guests = list(guests)
    first_owner: dict[str, str] = {}
    duplicated: set[str] = set()
    for guest in guests:
        for nic in guest.nics:
            if nic.mac and first_owner.setdefault(nic.mac, guest.uuid) != guest.uuid:
                duplicated.add(nic.mac)
    if not duplicated:
        return
    holders: dict[str, list[tuple[GuestRecord, int]]] = defaultdict(list)
    for guest in guests:
        for position, nic in enumerate(guest.nics):
            if nic.mac in duplicated:
                holders[nic.mac].append((guest, position))
    for mac in sorted(duplicated):
        owners = holders[mac]
        names = sorted({_where(g) for g, _ in owners})
        yield _finding(
            "duplicate_mac", "high", "nic", mac,
            f"MAC {mac} is on {len({g.uuid for g, _ in owners})} different guests: {', '.join(names)}",
            mac=mac,
            nics=[{"guest": g.name, "host": g.hypervisor, "uuid": g.uuid, "nic": p, "source": g.nics[p].source}
                  for g, p in owners],
        )


def _loopback(listen: str | None) -> bool:
    # No listen address in the XML: qemu.conf's vnc_listen/spice_listen apply, loopback by default.
    return listen is None or listen.startswith(LOOPBACK)


def open_consoles(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """VNC/SPICE reachable beyond loopback with no password in sight.

    A read-only libvirt connection leaves ``passwd`` out of the XML; only a
    password with an expiry (``passwdValidTo``, as oVirt sets) shows. So this
    finding means "no password visible": check qemu.conf's vnc_password too.
    """
    for guest in guests:
        for position, graphics in enumerate(guest.graphics):
            if graphics.type not in ("vnc", "spice") or _loopback(graphics.listen) or graphics.password_set:
                continue
            yield _finding(
                "open_console", "high", "guest", f"{_where(guest)}#{graphics.type}{position}",
                f"{graphics.type.upper()} of {guest.name} on {guest.hypervisor} listens on {graphics.listen}"
                " with no password in its definition",
                guest=guest.name, host=guest.hypervisor, uuid=guest.uuid, type=graphics.type,
                listen=graphics.listen, port=graphics.port, password_set=False, state=guest.state,
            )


def media_and_agents(guests: Iterable[GuestRecord]) -> Iterator[HealthFinding]:
    """A cdrom with a medium left in (low); no guest-agent channel (info)."""
    for guest in guests:
        for disk in guest.disks:
            if disk.device == "cdrom" and disk.source:
                yield _finding(
                    "cdrom_medium", "low", "disk", f"{_where(guest)}:{disk.target}",
                    f"{guest.name} on {guest.hypervisor} has {disk.source} in its cdrom {disk.target}",
                    guest=guest.name, host=guest.hypervisor, target=disk.target, source=disk.source,
                )
        if guest.guest_agent is False:
            yield _finding(
                "no_guest_agent", "info", "guest", _where(guest),
                f"{guest.name} on {guest.hypervisor} has no qemu guest agent channel (org.qemu.guest_agent.0)",
                guest=guest.name, host=guest.hypervisor, uuid=guest.uuid,
            )


# --------------------------------------------------------------------------------------------
# Hosts: capacity and scan coverage


def overcommit(hosts: Iterable[HostOutcome], guests: Iterable[GuestRecord], thresholds: Thresholds) -> Iterator[HealthFinding]:
    """Running guests asking for more memory or vCPUs than their host has, beyond the thresholds."""
    memory: dict[str, int] = defaultdict(int)
    vcpus: dict[str, int] = defaultdict(int)
    for guest in guests:
        if guest.state in ACTIVE_STATES:
            memory[guest.hypervisor] += guest.memory_kib
            vcpus[guest.hypervisor] += guest.vcpus_current
    for host in hosts:
        facts = host.facts
        if facts is None:
            continue
        if facts.memory_kib and memory[host.name] / facts.memory_kib > thresholds.memory_overcommit:
            ratio = memory[host.name] / facts.memory_kib
            yield _finding(
                "memory_overcommit", "medium", "host", host.name,
                f"running guests on {host.name} may use {ratio:.2f}x its memory"
                f" (threshold {thresholds.memory_overcommit:g}x)",
                host=host.name, host_memory_kib=facts.memory_kib, running_memory_kib=memory[host.name],
                ratio=round(ratio, 3), threshold=thresholds.memory_overcommit,
            )
        if facts.cpus and vcpus[host.name] / facts.cpus > thresholds.cpu_overcommit:
            ratio = vcpus[host.name] / facts.cpus
            yield _finding(
                "cpu_overcommit", "medium", "host", host.name,
                f"running guests on {host.name} have {ratio:.2f} vCPUs per host CPU"
                f" (threshold {thresholds.cpu_overcommit:g})",
                host=host.name, host_cpus=facts.cpus, running_vcpus=vcpus[host.name],
                ratio=round(ratio, 3), threshold=thresholds.cpu_overcommit,
            )


def coverage(data: ReportInput, thresholds: Thresholds, now: datetime) -> Iterator[HealthFinding]:
    """Hosts that keep failing, and hosts not scanned for too long."""
    for host in data.hosts:
        streak = 0
        for status in host.recent:
            if status == "ok":
                break
            streak += 1
        if streak >= thresholds.failed_scans:
            yield _finding(
                "host_failing", "high", "host", host.name,
                f"{host.name} failed its last {streak} scans ({host.error_class or 'failed'}: {host.error or ''});"
                + (f" its guests are not seen since {host.last_ok}" if host.last_ok else " it never answered"),
                host=host.name, failed_scans=streak, error_class=host.error_class, error=host.error,
                last_ok=host.last_ok, threshold=thresholds.failed_scans,
            )
    for unscanned in data.unscanned_hosts:
        days = _days(unscanned.last_scanned, now)
        if days is not None and days > thresholds.unscanned_days:
            yield _finding(
                "host_unscanned", "medium", "host", unscanned.name,
                f"{unscanned.name} was last scanned {days:.0f} days ago ({unscanned.last_scanned})",
                host=unscanned.name, last_scanned=unscanned.last_scanned, last_ok=unscanned.last_ok,
                days=round(days, 1), threshold=thresholds.unscanned_days,
            )


def lifecycle(data: ReportInput, thresholds: Thresholds, now: datetime) -> Iterator[HealthFinding]:
    """Guests shut off for long, and records of guests gone for long."""
    for guest in data.guests:
        record = guest.record
        if record.state != "shutoff":
            continue
        days = _days(guest.state_since, now)
        if days is not None and days > thresholds.shutoff_days:
            yield _finding(
                "long_shutoff", "low", "guest", _where(record),
                f"{record.name} on {record.hypervisor} has been shut off for {days:.0f} days (since {guest.state_since})",
                guest=record.name, host=record.hypervisor, uuid=record.uuid, since=guest.state_since,
                days=round(days, 1), threshold=thresholds.shutoff_days,
            )
    for known in data.known_guests:
        if known.status != "gone":
            continue
        days = _days(known.gone_at, now)
        if days is not None and days > thresholds.gone_days:
            yield _finding(
                "long_gone", "info", "guest", f"{known.node}@{known.host}",
                f"{known.node} has been gone from {known.host} for {days:.0f} days; `vminv prune` can remove it",
                guest=known.node, host=known.host, uuid=known.uuid, gone_at=known.gone_at, last_seen=known.last_seen,
                days=round(days, 1), threshold=thresholds.gone_days,
            )


# The engine's reconcile kinds, as health: "ok" is no finding.
ENGINE_SEVERITY = {
    "duplicate_active": "critical",
    "wrong_host": "high",
    "missing": "high",
    "state_mismatch": "medium",
    "unmanaged": "medium",
    "drift": "low",
    "stale_definition": "low",
    "not_covered": "info",
}


def engine_findings(findings: Iterable[EngineFinding]) -> Iterator[HealthFinding]:
    for found in findings:
        severity = ENGINE_SEVERITY.get(found.kind)
        if severity is None:
            continue
        subject = found.uuid or found.guest or ""
        yield HealthFinding(
            f"engine_{found.kind}/{subject}", f"engine_{found.kind}", severity, "guest", subject,
            f"engine: {found.kind}: {found.guest or subject}: {found.detail or ''}",
            {"guest": found.guest, "uuid": found.uuid, "engine_host": found.engine_host,
             "scanned_host": found.scanned_host, "engine_url": found.engine_url, "scan_id": found.scan_id,
             "recorded_at": found.recorded_at},
        )


def health_findings(data: ReportInput, thresholds: Thresholds, now: datetime) -> list[HealthFinding]:
    """Every finding, most severe first, then by check and subject (a pure function of its arguments)."""
    records = [g.record for g in data.guests]
    found: list[HealthFinding] = [
        *split_brain(records),
        *shared_writable_disks(records),
        *duplicate_macs(records),
        *open_consoles(records),
        *overcommit(data.hosts, records, thresholds),
        *stale_copies(records),
        *lifecycle(data, thresholds, now),
        *coverage(data, thresholds, now),
        *media_and_agents(records),
        *engine_findings(data.engine),
    ]
    found.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.check, f.subject))
    return found


def worst_severity(findings: Iterable[HealthFinding]) -> str | None:
    ranks = [SEVERITY_RANK[f.severity] for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None
