"""Reconciliation of a scan with an engine snapshot: a pure function, typed findings.

Every engine VM gets one primary finding (``ok``, ``wrong_host``,
``state_mismatch``, ``missing``, ``duplicate_active``, ``drift`` or
``not_covered``), plus a ``stale_definition`` for each shut-off copy left
behind. Guests on engine hosts that the engine does not know are
``unmanaged``. A host the scan could not reach (or did not scan) never yields
``missing``: what the engine places there is ``not_covered``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vminv.rhev.devices import DiskSizeCheck, disk_differences, disk_size_checks, nic_differences
from vminv.rhev.matching import EXTERNAL_PREFIX, Matching, match
from vminv.rhev.model import EngineSnapshot, EngineVm
from vminv.scanner.model import DomainProblem, GuestRecord, HostResult, ScanResult

KINDS = (
    "missing",
    "wrong_host",
    "duplicate_active",
    "state_mismatch",
    "unmanaged",
    "stale_definition",
    "drift",
    "not_covered",
    "ok",
)

# libvirt states of a domain that is not running (crashed domains are inactive too).
INACTIVE_STATES = frozenset({"shutoff", "crashed"})
# Engine statuses of a VM that has a qemu process somewhere (VmStatus, v3 and v4).
ENGINE_RUNNING = frozenset({
    "up", "powering_up", "powering_down", "paused", "migrating", "reboot_in_progress",
    "not_responding", "wait_for_launch", "saving_state", "restoring_state", "unknown",
})
# Which libvirt states agree with which engine status; statuses not listed are
# transitional and agree with any active state.
EXPECTED_LIBVIRT = {
    "up": frozenset({"running", "blocked", "shutdown"}),
    "powering_up": frozenset({"running", "blocked", "paused"}),  # qemu starts paused
    "powering_down": frozenset({"running", "blocked", "shutdown"}),
    "reboot_in_progress": frozenset({"running", "blocked", "shutdown"}),
    "migrating": frozenset({"running", "blocked", "paused"}),
    "paused": frozenset({"paused", "pmsuspended"}),
}

@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    guest: str  # the engine's VM name; the libvirt name for unmanaged guests
    uuid: str
    engine_host: str | None  # where the engine says the VM runs (its host name)
    scanned_host: str | None  # where the scan found it (comma-joined when several)
    detail: str
    match: str | None = None  # "uuid" | "name" (a name-only match); None when unmatched
    # The engine's facts of the VM (EngineSnapshot.vm_facts); None for unmanaged guests.
    engine_facts: Mapping[str, Any] | None = field(default=None, compare=False)
    # Each disk matched by id with its size on both sides, and whether they could be
    # compared; empty unless the VM's devices were compared (ok or drift on one host).
    disk_sizes: tuple[DiskSizeCheck, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # engine_facts is a plain dict of JSON values


def _mib(value_bytes: int) -> str:
    mib = value_bytes / 2**20
    return f"{mib:.0f}" if mib == int(mib) else f"{mib:.2f}"


def _drift(vm: EngineVm, guest: GuestRecord) -> list[str]:
    where = guest.hypervisor
    differences: list[str] = []
    if vm.memory_bytes is not None and guest.memory_kib * 1024 != vm.memory_bytes:
        differences.append(
            f"memory {_mib(vm.memory_bytes)} MiB in the engine, {_mib(guest.memory_kib * 1024)} MiB on {where}"
        )
    # oVirt defines hot-plug maximums: compare the current count, not <vcpu> or the topology.
    vcpus = vm.vcpus
    if vcpus is not None and guest.vcpus_current != vcpus:
        differences.append(f"vcpus {vcpus} in the engine (sockets x cores x threads), {guest.vcpus_current} on {where}")
    if vm.nics is not None and _devices_compared(vm):
        differences.extend(nic_differences(vm.nics, guest.nics, where))
    if vm.disks is not None and _devices_compared(vm):
        differences.extend(disk_differences(vm.disks, guest.disks, where))
    return differences


def _devices_compared(vm: EngineVm) -> bool:
    # The engine does not manage an external VM's devices (it imported the domain
    # as VDSM reported it), so only memory and vCPUs are comparable.
    return vm.origin != "external"


def _size_checks(vm: EngineVm, guest: GuestRecord) -> tuple[DiskSizeCheck, ...]:
    if vm.disks is None or not _devices_compared(vm):
        return ()
    return tuple(disk_size_checks(vm.disks, guest.disks))


def _unread_here(host: HostResult, vm: EngineVm) -> DomainProblem | None:
    """The domain the scan of ``host`` skipped (unreadable XML) that may be ``vm``.

    Such a VM is not known to be missing: the scan did not cover it. Problems
    name the domain by name, UUID or replay file name (``NAME.xml``,
    ``UUID.xml``, or ``NAME_UUID.xml`` as ``rscan --save`` names them).
    """
    keys = {vm.id.casefold(), vm.name.casefold()}
    if vm.name.startswith(EXTERNAL_PREFIX):
        keys.add(vm.name[len(EXTERNAL_PREFIX):].casefold())
    for problem in host.problems:
        domain = problem.domain.casefold()
        stem = domain[:-4] if domain.endswith(".xml") else domain
        saved_as = stem.endswith("_" + vm.id.casefold())
        if domain in keys or stem in keys or saved_as or vm.id.casefold() in problem.message.casefold():
            return problem
    return None


class _Reconciler:
    def __init__(self, scan: ScanResult, engine: EngineSnapshot, matching: Matching) -> None:
        self.engine = engine
        self.matching = matching
        self.scan_hosts: dict[str, HostResult] = {h.name: h for h in scan.hosts}
        self.findings: list[Finding] = []

    def engine_host_name(self, host_id: str | None) -> str | None:
        host = self.engine.hosts_by_id.get(host_id or "")
        return host.name if host else host_id

    def add(self, kind: str, vm: EngineVm, scanned: str | None, detail: str,
            disk_sizes: tuple[DiskSizeCheck, ...] = ()) -> None:
        self.findings.append(Finding(
            kind=kind, guest=vm.name or vm.id, uuid=vm.id, engine_host=self.engine_host_name(vm.host_id),
            scanned_host=scanned, detail=detail, match=self.matching.matched_by.get(vm.id),
            engine_facts=self.engine.vm_facts(vm), disk_sizes=disk_sizes,
        ))

    def vm(self, vm: EngineVm) -> None:
        copies = self.matching.copies.get(vm.id, ())
        active = sorted((g for g in copies if g.state not in INACTIVE_STATES), key=lambda g: g.hypervisor)
        inactive = [g for g in copies if g.state in INACTIVE_STATES]
        status = vm.status or "unknown"
        running = status in ENGINE_RUNNING
        engine_host = self.engine_host_name(vm.host_id)
        engine_scan = self.matching.engine_to_scan.get(vm.host_id or "")
        prefix = ""
        if self.matching.matched_by.get(vm.id) == "name":
            uuids = ",".join(sorted({g.uuid for g in copies}))
            prefix = f"matched by name only (libvirt uuid {uuids}); "

        if len(active) >= 2:
            hosts = [g.hypervisor for g in active]
            if status == "migrating" and len(active) == 2 and engine_scan in hosts:
                target = next(h for h in hosts if h != engine_scan)
                self.add("ok", vm, ",".join(hosts),
                         prefix + f"migrating from {engine_host} to {target}: on both, as expected during a migration")
            else:
                if status == "migrating":
                    note = f" (the engine says migrating from {engine_host})"
                elif status != "up":
                    note = f" (the engine says {status})"
                else:
                    note = ""
                self.add("duplicate_active", vm, ",".join(hosts), prefix + f"active on {len(hosts)} hosts: {', '.join(hosts)}{note}")
        elif len(active) == 1:
            guest = active[0]
            here = guest.hypervisor
            if not running:
                self.add("state_mismatch", vm, here, prefix + f"the engine says {status}, {here} has it {guest.state}")
            elif vm.host_id is not None and engine_scan != here:
                note = " (a migration may have finished since)" if status == "migrating" else ""
                self.add("wrong_host", vm, here, prefix + f"the engine says it runs on {engine_host}, it runs on {here}{note}")
            elif guest.state not in EXPECTED_LIBVIRT.get(status, frozenset({guest.state})):
                self.add("state_mismatch", vm, here, prefix + f"the engine says {status}, {here} has it {guest.state}")
            else:
                differences = _drift(vm, guest)
                sizes = _size_checks(vm, guest)
                if differences:
                    self.add("drift", vm, here, prefix + "; ".join(differences), sizes)
                else:
                    self.add("ok", vm, here, prefix + f"{status} on {here}", sizes)
        else:
            self.not_active(vm, status, running, engine_host, engine_scan, inactive, prefix)
            return
        for guest in inactive:
            running_on = ", ".join(g.hypervisor for g in active)
            self.add("stale_definition", vm, guest.hypervisor,
                     prefix + f"shut-off copy on {guest.hypervisor}; the VM runs on {running_on}")

    def not_active(self, vm: EngineVm, status: str, running: bool, engine_host: str | None,
                   engine_scan: str | None, inactive: Sequence[GuestRecord], prefix: str) -> None:
        stale = list(inactive)
        if not running:
            self.add("ok", vm, None, prefix + f"{status}; no running domain on the scanned hosts")
        elif vm.host_id is None:
            self.add("not_covered", vm, None, prefix + f"the engine says {status} but names no host")
        elif engine_scan is None:
            self.add("not_covered", vm, None, prefix + f"the engine says it runs on {engine_host}, which was not scanned")
        elif not self.scan_hosts[engine_scan].ok:
            failed = self.scan_hosts[engine_scan]
            self.add("not_covered", vm, engine_scan,
                     prefix + f"the engine says it runs on {engine_host}; {engine_scan} could not be scanned"
                     f" ({failed.error_class or 'failed'})")
        elif (problem := _unread_here(self.scan_hosts[engine_scan], vm)) is not None:
            self.add("not_covered", vm, engine_scan,
                     prefix + f"the engine says it runs on {engine_host}; the scan of {engine_scan} could not read"
                     f" domain {problem.domain} ({problem.message})")
        else:
            shut_off_here = [g for g in inactive if g.hypervisor == engine_scan]
            if shut_off_here:
                stale.remove(shut_off_here[0])
                self.add("state_mismatch", vm, engine_scan,
                         prefix + f"the engine says {status} on {engine_host}, {engine_scan} has it {shut_off_here[0].state}")
            else:
                self.add("missing", vm, engine_scan,
                         prefix + f"the engine says it runs on {engine_host}; {engine_scan} has no such domain")
        for guest in stale:
            self.add("stale_definition", vm, guest.hypervisor,
                     prefix + f"shut-off copy on {guest.hypervisor}; the engine says {status}"
                     + (f" on {engine_host}" if running and engine_host else ""))

    def unknown(self, guest: GuestRecord) -> None:
        engine_host_id = self.matching.scan_to_engine.get(guest.hypervisor)
        if engine_host_id is None:
            return  # not an engine host: outside this engine's view
        note = " (hosted-engine bootstrap VM)" if guest.name == "HostedEngineLocal" else ""
        self.findings.append(Finding(
            kind="unmanaged", guest=guest.name, uuid=guest.uuid, engine_host=self.engine_host_name(engine_host_id),
            scanned_host=guest.hypervisor, detail=f"{guest.state} on {guest.hypervisor}, unknown to the engine{note}",
            match=None,
        ))


def _order(finding: Finding) -> tuple[int, str, str, str]:
    return (KINDS.index(finding.kind), finding.guest.casefold(), finding.uuid, finding.scanned_host or "")


def reconcile(scan: ScanResult, engine: EngineSnapshot) -> list[Finding]:
    """All findings, ordered by kind (problems first), then guest name."""
    matching = match(scan, engine)
    work = _Reconciler(scan, engine, matching)
    for vm in engine.vms:
        work.vm(vm)
    for guest in matching.unknown:
        work.unknown(guest)
    return sorted(work.findings, key=_order)


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count per kind, every kind present (zero when none), in :data:`KINDS` order."""
    counts = Counter(f.kind for f in findings)
    return {kind: counts.get(kind, 0) for kind in KINDS}
