"""The report's tables (RVTools-style tabs), defined once for every format.

Each tab is a list of typed columns and a row generator over the report
model. The workbook, the CSV files, the JSON document and the HTML tables all
come from these definitions, so the formats cannot drift apart. Rows are
generated lazily: 100,000 guests are never held twice.

Column kinds: ``text``, ``int``, ``float``, ``bool``, ``datetime`` (an ISO 8601
string in the model; a date cell in the workbook), ``json`` (a mapping shown as
compact JSON text).
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vminv.report.model import Report
from vminv.scanner.model import Disk, GuestRecord, Nic


@dataclass(frozen=True)
class Column:
    key: str
    kind: str = "text"
    width: int = 14  # characters, for the workbook


@dataclass(frozen=True)
class Tab:
    name: str  # the sheet name, and the CSV file's
    key: str  # the JSON key
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterable[tuple[Any, ...]]]

    @property
    def headers(self) -> list[str]:
        return [c.key for c in self.columns]


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 2)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _graphics(record: GuestRecord) -> str:
    parts = []
    for g in record.graphics:
        listen = g.listen or "default"
        parts.append(f"{g.type} {listen}{' password' if g.password_set else ''}")
    return "; ".join(parts)


_GUEST = (
    Column("name", width=24), Column("host", width=16), Column("state", width=10), Column("uuid", width=36),
    Column("type", width=6),
)
# The other guest tabs name the guest by name and host (unique in a scan), as RVTools does.
_ROW = _GUEST[:3]
_DATES = (Column("first_seen", "datetime", 20), Column("last_seen", "datetime", 20))


def _kind_of(annotation: Any) -> str:
    text = str(annotation)
    if text.startswith("bool"):
        return "bool"
    if text.startswith("int"):
        return "int"
    if text.startswith("float"):
        return "float"
    return "text"


def _device_columns(cls: type) -> tuple[Column, ...]:
    """Every field of a NIC or disk record, so that fields added to the record appear without a change here."""
    return tuple(Column(f.name, _kind_of(f.type), 28 if f.name == "source" else 12) for f in dataclasses.fields(cls))


NIC_COLUMNS = _device_columns(Nic)
DISK_COLUMNS = _device_columns(Disk)
# A NIC's or disk's field values in field order (``dataclasses.astuple`` deep-copies each; this does not).
_nic_values = operator.attrgetter(*(c.key for c in NIC_COLUMNS))
_disk_values = operator.attrgetter(*(c.key for c in DISK_COLUMNS))

# vInfo names these record fields itself (or shows them in other tabs); any other
# field of GuestRecord is appended, so that a field added to the record is reported.
_INFO_FIELDS = frozenset({
    "hypervisor", "name", "state", "uuid", "type", "id", "vcpus", "vcpus_current", "memory_kib",
    "current_memory_kib", "os_type", "arch", "machine", "graphics", "guest_agent", "title", "description",
    "ovirt", "nics", "disks", "cpu_sockets", "cpu_dies", "cpu_cores", "cpu_threads",
})
EXTRA_INFO_FIELDS = tuple(
    Column(f.name, _kind_of(f.type), 12) for f in dataclasses.fields(GuestRecord) if f.name not in _INFO_FIELDS
)


def report_tabs(report: Report) -> list[Tab]:
    guests = report.guests

    def info() -> Iterator[tuple[Any, ...]]:
        for g in guests:
            r = g.record
            yield (
                r.name, r.hypervisor, r.state, r.uuid, r.type, r.id, r.vcpus, r.vcpus_current,
                _mib(r.memory_kib), _mib(r.current_memory_kib), len(r.nics), len(r.disks), r.os_type, r.arch,
                r.machine, _graphics(r), r.guest_agent, r.title, r.description, _json(r.ovirt),
                g.first_seen, g.last_seen, g.state_since,
                *(getattr(r, c.key) for c in EXTRA_INFO_FIELDS),
            )

    def cpu() -> Iterator[tuple[Any, ...]]:
        for g in guests:
            r = g.record
            yield (r.name, r.hypervisor, r.state, r.vcpus, r.vcpus_current, r.cpu_sockets,
                   r.cpu_dies, r.cpu_cores, r.cpu_threads, r.arch)

    def memory() -> Iterator[tuple[Any, ...]]:
        for g in guests:
            r = g.record
            yield (r.name, r.hypervisor, r.state, _mib(r.memory_kib), _mib(r.current_memory_kib),
                   _mib(r.memory_kib - r.current_memory_kib))

    def nics() -> Iterator[tuple[Any, ...]]:
        for g in guests:
            r = g.record
            for position, nic in enumerate(r.nics):
                yield (r.name, r.hypervisor, r.state, position, *_nic_values(nic))

    def disks() -> Iterator[tuple[Any, ...]]:
        for g in guests:
            r = g.record
            for position, disk in enumerate(r.disks):
                yield (r.name, r.hypervisor, r.state, position, *_disk_values(disk))

    def hosts() -> Iterator[tuple[Any, ...]]:
        outcomes = {h.name: h for h in report.hosts}
        for c in report.capacity:
            facts = outcomes[c.host].facts
            totals = report.per_host_totals.get(c.host)
            yield (
                c.host, c.status, facts.hostname if facts else None, facts.cpu_model if facts else None,
                facts.cpu_sockets if facts else None, facts.cpu_cores if facts else None,
                facts.cpu_threads if facts else None, c.cpus, _mib(c.memory_kib),
                facts.hypervisor_type if facts else None, facts.hypervisor_version if facts else None,
                facts.libvirt_version if facts else None, c.guests, c.running, c.vcpus_running, c.vcpus_defined,
                c.cpu_ratio_running, c.cpu_ratio_defined, _mib(c.memory_running_kib), _mib(c.memory_defined_kib),
                c.memory_ratio_running, c.memory_ratio_defined,
                totals.vcpus if totals else 0, _mib(totals.current_memory_kib if totals else 0),
                totals.nics if totals else 0, totals.disks if totals else 0, totals.media if totals else 0,
            )

    def health() -> Iterator[tuple[Any, ...]]:
        for f in report.health:
            yield (f.severity, f.check, f.subject_kind, f.subject, f.message, _json(dict(f.evidence)), f.id)

    def changes() -> Iterator[tuple[Any, ...]]:
        for e in report.changes:
            yield (e.change, e.node, e.host, e.field, e.old_value, e.new_value)

    def coverage() -> Iterator[tuple[Any, ...]]:
        for h in report.hosts:
            yield (h.name, h.status, h.error_class, h.error, h.duration_s, h.guest_count, len(h.problems),
                   "; ".join(h.problems), h.last_ok, h.uri)
        for u in report.summary.hosts_unscanned:
            yield (u.name, "not scanned", None, None, None, None, None, None, u.last_ok, None)

    def engine() -> Iterator[tuple[Any, ...]]:
        for e in report.engine:
            yield (e.kind, e.guest, e.uuid, e.engine_host, e.scanned_host, e.detail, e.engine_url, e.scan_id,
                   e.recorded_at)

    def scans() -> Iterator[tuple[Any, ...]]:
        for s in report.scans:
            yield (s.id, s.started, s.hosts_ok, s.hosts_failed, s.guests_total)

    device_head = (*_ROW, Column("position", "int", 8))
    return [
        Tab("vInfo", "guests", "Guests", (
            *_GUEST, Column("id", "int", 6), Column("vcpus", "int", 7), Column("vcpus_current", "int", 7),
            Column("memory_mib", "float", 11), Column("current_memory_mib", "float", 11), Column("nics", "int", 6),
            Column("disks", "int", 6), Column("os_type", width=7), Column("arch", width=8), Column("machine", width=16),
            Column("graphics", width=20), Column("guest_agent", "bool", 8), Column("title", width=24),
            Column("description", width=30), Column("ovirt", "json", 30), *_DATES,
            Column("state_since", "datetime", 20), *EXTRA_INFO_FIELDS,
        ), info),
        Tab("vCPU", "cpu", "vCPUs", (
            *_ROW, Column("vcpus", "int", 7), Column("vcpus_current", "int", 7), Column("cpu_sockets", "int", 8),
            Column("cpu_dies", "int", 8), Column("cpu_cores", "int", 8), Column("cpu_threads", "int", 8),
            Column("arch", width=8),
        ), cpu),
        Tab("vMemory", "memory", "Memory", (
            *_ROW, Column("memory_mib", "float", 11), Column("current_memory_mib", "float", 11),
            Column("ballooned_mib", "float", 11),
        ), memory),
        Tab("vNetwork", "nics", "NICs", (*device_head, *NIC_COLUMNS), nics),
        Tab("vDisk", "disks", "Disks", (*device_head, *DISK_COLUMNS), disks),
        Tab("vHost", "capacity", "Capacity per host", (
            Column("host", width=16), Column("status", width=8), Column("hostname", width=20),
            Column("cpu_model", width=16), Column("cpu_sockets", "int", 8), Column("cpu_cores", "int", 8),
            Column("cpu_threads", "int", 8), Column("cpus", "int", 6), Column("memory_mib", "float", 11),
            Column("hypervisor_type", width=10), Column("hypervisor_version", width=10),
            Column("libvirt_version", width=10), Column("guests", "int", 7), Column("running", "int", 7),
            Column("vcpus_running", "int", 8), Column("vcpus_defined", "int", 8),
            Column("cpu_ratio_running", "float", 8), Column("cpu_ratio_defined", "float", 8),
            Column("memory_running_mib", "float", 11), Column("memory_defined_mib", "float", 11),
            Column("memory_ratio_running", "float", 8), Column("memory_ratio_defined", "float", 8),
            Column("vcpus_max_defined", "int", 8), Column("current_memory_defined_mib", "float", 11),
            Column("nics", "int", 6), Column("disks", "int", 6), Column("cdroms_floppies", "int", 8),
        ), hosts),
        Tab("vHealth", "health", "Health findings", (
            Column("severity", width=9), Column("check", width=18), Column("subject_kind", width=8),
            Column("subject", width=30), Column("message", width=60), Column("evidence", "json", 40),
            Column("id", width=30),
        ), health),
        Tab("vChanges", "changes", "Changes", (
            Column("change", width=9), Column("node", width=24), Column("host", width=16), Column("field", width=16),
            Column("old", width=24), Column("new", width=24),
        ), changes),
        Tab("vCoverage", "coverage", "Scan coverage", (
            Column("host", width=16), Column("status", width=10), Column("error_class", width=11),
            Column("error", width=40), Column("duration_s", "float", 9), Column("guests", "int", 7),
            Column("problems", "int", 8), Column("problem_details", width=40), Column("last_ok", "datetime", 20),
            Column("uri", width=30),
        ), coverage),
        Tab("vEngine", "engine", "Engine reconcile", (
            Column("kind", width=16), Column("guest", width=24), Column("uuid", width=36),
            Column("engine_host", width=16), Column("scanned_host", width=16), Column("detail", width=50),
            Column("engine_url", width=30), Column("scan_id", "int", 7), Column("recorded_at", "datetime", 20),
        ), engine),
        Tab("vScans", "scans", "Scan history", (
            Column("scan", "int", 7), Column("started", "datetime", 20), Column("hosts_ok", "int", 9),
            Column("hosts_failed", "int", 9), Column("guests", "int", 9),
        ), scans),
    ]
