"""Who is who between a scan and an engine: hosts and guests. Pure functions.

Hosts: hardware UUID (any case, only where it is unique on both sides, since
some boards share placeholder SMBIOS UUIDs), then the engine's ``address``
against the scanned name or hostname, then the name (also the short form).
Guests: the libvirt domain UUID is the engine VM id; guests left over are
matched by name (also ``external-NAME``) to VMs left over, and marked so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from vminv.rhev.model import EngineHost, EngineSnapshot
from vminv.scanner.model import GuestRecord, HostResult, ScanResult

# External VMs are imported by the engine as "external-<libvirt name>".
EXTERNAL_PREFIX = "external-"


@dataclass(frozen=True)
class HostLink:
    scanned: str  # HostResult.name
    engine_host_id: str
    by: str  # "hardware_uuid" | "address" | "name"


@dataclass(frozen=True)
class Matching:
    host_links: tuple[HostLink, ...]
    copies: Mapping[str, tuple[GuestRecord, ...]]  # engine VM id -> its libvirt copies
    matched_by: Mapping[str, str]  # engine VM id -> "uuid" | "name"
    unknown: tuple[GuestRecord, ...]  # guests no engine VM claims
    scan_to_engine: Mapping[str, str] = field(default_factory=dict)  # scanned name -> engine host id
    engine_to_scan: Mapping[str, str] = field(default_factory=dict)  # engine host id -> scanned name


def _unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key -> value for keys that occur exactly once."""
    counts: dict[str, list[str]] = defaultdict(list)
    for key, value in pairs:
        if key:
            counts[key].append(value)
    return {key: values[0] for key, values in counts.items() if len(values) == 1}


def _short(name: str) -> str:
    return name.split(".", 1)[0]


def _scanned_names(host: HostResult) -> list[str]:
    names = [host.name.casefold()]
    if host.facts is not None and host.facts.hostname:
        names.append(host.facts.hostname.casefold())
    return names


def match_hosts(scanned: Sequence[HostResult], engine_hosts: Sequence[EngineHost]) -> tuple[HostLink, ...]:
    """Link each scanned host to at most one engine host and vice versa."""
    links: list[HostLink] = []
    free_scanned = {h.name: h for h in scanned}
    free_engine = {h.id: h for h in engine_hosts}

    def link(scan_name: str, engine_id: str, by: str) -> None:
        links.append(HostLink(scan_name, engine_id, by))
        free_scanned.pop(scan_name, None)
        free_engine.pop(engine_id, None)

    scanned_uuids = _unique(
        (h.facts.uuid.casefold(), h.name) for h in scanned if h.facts is not None and h.facts.uuid
    )
    engine_uuids = _unique((h.hardware_uuid.casefold(), h.id) for h in engine_hosts if h.hardware_uuid)
    for uuid, scan_name in scanned_uuids.items():
        if uuid in engine_uuids:
            link(scan_name, engine_uuids[uuid], "hardware_uuid")

    keys: tuple[tuple[str, Callable[[EngineHost], str | None]], ...] = (
        ("address", lambda h: h.address), ("name", lambda h: h.name))
    for by, key in keys:
        for short in (False, True):
            def norm(value: str, short: bool = short) -> str:
                value = value.casefold()
                return _short(value) if short else value

            engine_keys = _unique((norm(key(h) or ""), h.id) for h in free_engine.values() if key(h))
            scan_keys = _unique(
                (norm(n), h.name) for h in free_scanned.values() for n in dict.fromkeys(_scanned_names(h))
            )
            for value, scan_name in scan_keys.items():
                engine_id = engine_keys.get(value)
                if engine_id is not None and engine_id in free_engine and scan_name in free_scanned:
                    link(scan_name, engine_id, by)
    return tuple(links)


def match(scan: ScanResult, engine: EngineSnapshot) -> Matching:
    """Pair scanned hosts with engine hosts and libvirt guests with engine VMs."""
    links = match_hosts(scan.hosts, engine.hosts)
    scan_to_engine = {l.scanned: l.engine_host_id for l in links}
    engine_to_scan = {l.engine_host_id: l.scanned for l in links}
    vm_ids = {vm.id for vm in engine.vms}

    copies: dict[str, list[GuestRecord]] = defaultdict(list)
    leftovers: list[GuestRecord] = []
    for guest in scan.guests:
        if guest.uuid.lower() in vm_ids:
            copies[guest.uuid.lower()].append(guest)
        else:
            leftovers.append(guest)
    matched_by = dict.fromkeys(copies, "uuid")

    # Name matching only for guests on engine hosts and VMs nothing claimed by UUID.
    unclaimed = [vm for vm in engine.vms if vm.id not in copies]
    by_name = _unique((vm.name, vm.id) for vm in unclaimed)
    unknown: list[GuestRecord] = []
    for guest in leftovers:
        vm_id = None
        if guest.hypervisor in scan_to_engine:
            vm_id = by_name.get(guest.name) or by_name.get(EXTERNAL_PREFIX + guest.name)
        if vm_id is None:
            unknown.append(guest)
            continue
        copies[vm_id].append(guest)
        matched_by[vm_id] = "name"
    return Matching(
        host_links=links,
        copies={k: tuple(v) for k, v in copies.items()},
        matched_by=matched_by,
        unknown=tuple(unknown),
        scan_to_engine=scan_to_engine,
        engine_to_scan=engine_to_scan,
    )
