"""The xCAT-style attributes an engine knows about scanned guests and hosts. Pure.

``vm.mgr``, ``vm.cluster``, ``vm.datacenter`` for guests that match an engine
VM; ``hypervisor.type``, ``mgr``, ``cluster`` (and ``datacenter``) for scanned
hosts that match an engine host. Node names are the scan's: the
libvirt domain name (what rscan writes) and the scanned host's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vminv.rhev.matching import match
from vminv.rhev.model import EngineSnapshot
from vminv.rhev.reconcile import INACTIVE_STATES
from vminv.scanner.model import ScanResult

# xCAT's RHEV guide: "hosttype (hypervisor.type) - Must be set to 'rhevh'" for a
# RHEV-H / oVirt node; rhevm.pm routes on hypervisor.type=rhev.*.
HYPERVISOR_TYPE = "rhevh"


@dataclass(frozen=True)
class EngineAttributes:
    vm_attrs: Mapping[str, Mapping[str, str]]  # node -> {host, mgr, cluster, datacenter}
    host_attrs: Mapping[str, Mapping[str, str]]  # host -> {type, mgr, cluster, datacenter}


def _clean(values: Mapping[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}


def engine_attributes(scan: ScanResult, engine: EngineSnapshot) -> EngineAttributes:
    matching = match(scan, engine)
    manager = engine.host_name
    vm_attrs: dict[str, dict[str, str]] = {}
    for vm in engine.vms:
        cluster = engine.cluster_of(vm.cluster_id)
        datacenter = engine.datacenter_of_cluster(vm.cluster_id)
        # Shut-off copies first, so that where the guest runs has the last word.
        copies = sorted(matching.copies.get(vm.id, ()), key=lambda g: g.state not in INACTIVE_STATES)
        for guest in copies:
            vm_attrs[guest.name] = _clean({
                "host": guest.hypervisor,  # the scanned host, as rscan writes vm.host
                "mgr": manager,
                "cluster": cluster.name if cluster else None,
                "datacenter": datacenter.name if datacenter else None,
            })
    host_attrs: dict[str, dict[str, str]] = {}
    for link in matching.host_links:
        host = engine.hosts_by_id[link.engine_host_id]
        cluster = engine.cluster_of(host.cluster_id)
        datacenter = engine.datacenter_of_cluster(host.cluster_id)
        host_attrs[link.scanned] = _clean({
            "type": HYPERVISOR_TYPE,
            "mgr": manager,
            "cluster": cluster.name if cluster else None,
            "datacenter": datacenter.name if datacenter else None,
        })
    return EngineAttributes(vm_attrs=vm_attrs, host_attrs=host_attrs)
