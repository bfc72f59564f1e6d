"""``vminv reconcile`` as one library call: stored scan + engine -> stored findings.

Reads the scan from the inventory, reads the engine, reconciles (pure), stores
the findings with the scan for audits and, with mode ``w``/``u``, fills the
engine attributes of the node tables under rscan's rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vminv.inventory.location import Location
from vminv.rhev.attributes import engine_attributes
from vminv.rhev.model import EngineSnapshot
from vminv.rhev.reconcile import Finding, reconcile, summarize
from vminv.rhev.settings import EngineSettings
from vminv.rhev.snapshot import read_engine

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReconcileReport:
    scan_id: int
    engine: EngineSnapshot
    read_seconds: float
    findings: tuple[Finding, ...]
    attributes: Any | None  # inventory's write report with -w/-u, else None

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.findings)

    def to_dict(self) -> dict[str, Any]:
        api = self.engine.api
        return {
            "scan_id": self.scan_id,
            "engine": {
                "url": self.engine.url,
                "product": api.product_name,
                "version": api.product_version,
                "api_version": api.version,
                "requests": self.engine.requests_made,
                "read_seconds": round(self.read_seconds, 3),
                "vms": len(self.engine.vms),
                "hosts": len(self.engine.hosts),
            },
            "engine_hosts": [self.engine.host_facts(h) for h in self.engine.hosts],
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "attributes": self.attributes.to_dict() if self.attributes is not None else None,
        }


def reconcile_stored_scan(
    db_path: Location,
    settings: EngineSettings,
    *,
    scan_id: int | None = None,
    write_mode: str | None = None,
    progress: Progress | None = None,
) -> ReconcileReport:
    """Reconcile a stored scan (the latest when ``scan_id`` is None) with the engine.

    :param write_mode: None, ``"w"`` or ``"u"``: also fill vm/hypervisor engine attributes.
    :raises InventoryError, UsageError: no database or no such scan.
    :raises RhevError: the engine could not be read; nothing is stored then.
    """
    # Imported here: the engine client and reconciliation need no database.
    from vminv import inventory

    if write_mode not in (None, "w", "u"):
        raise ValueError(f"write mode must be None, 'w' or 'u', not {write_mode!r}")
    # Resolve "latest" once, so the findings go with the scan they judge.
    resolved_id, _ = inventory.scan_coverage(db_path, scan_id)
    scan = inventory.load_scan(db_path, resolved_id)
    started = time.perf_counter()
    engine = read_engine(settings, progress=progress)
    read_seconds = time.perf_counter() - started
    findings = tuple(reconcile(scan, engine))
    inventory.store_findings(db_path, resolved_id, engine.url, [f.to_dict() for f in findings])
    # The guests' addresses as the engine's agents report them: Ansible's fallback (vminv.runner.ansible).
    inventory.store_engine_ips(db_path, engine.url, {vm.id: vm.guest_ips for vm in engine.vms})
    attributes = None
    if write_mode is not None:
        values = engine_attributes(scan, engine)
        attributes = inventory.apply_engine_attributes(db_path, values.vm_attrs, values.host_attrs, write_mode)
    return ReconcileReport(
        scan_id=resolved_id, engine=engine, read_seconds=read_seconds, findings=findings, attributes=attributes,
    )
