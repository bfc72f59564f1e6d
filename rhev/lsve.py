"""``lsve``: the engine's data centers, clusters, storage domains, networks and
templates, shown the way xCAT's ``lsve`` shows them::

    datacenters: [Default]
     description: The default Data Center
     state: up
       clusters: [Default]
         cpu: Intel Westmere Family

:func:`build_lsve` and :func:`format_lsve` are pure; :func:`list_engine_objects`
reads the engine first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vminv.errors import UsageError
from vminv.rhev.model import (
    EngineCluster,
    EngineHost,
    EngineNetwork,
    EngineSnapshot,
    EngineStorageDomain,
    EngineTemplate,
    EngineVm,
)
from vminv.rhev.settings import EngineSettings
from vminv.rhev.snapshot import read_engine
from vminv.textsafe import terminal_safe

KINDS = {
    "dc": ("datacenters", ("datacenters", "clusters", "storagedomains", "networks")),
    "cl": ("clusters", ("clusters",)),
    "sd": ("storagedomains", ("storagedomains",)),
    "nw": ("networks", ("networks",)),
    "tpl": ("templates", ("templates", "clusters")),
    # Beyond xCAT's lsve (dc, cl, sd, nw, tpl): what the engine knows of VMs and hosts.
    "vm": ("vms", ("vms", "hosts", "clusters")),
    "host": ("hosts", ("hosts", "clusters")),
}


@dataclass(frozen=True)
class LsveObject:
    collection: str  # datacenters, clusters, storagedomains, networks, templates
    name: str
    attributes: tuple[tuple[str, str], ...]  # sorted by key, as xCAT prints them
    children: tuple[LsveObject, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "name": self.name,
            "attributes": dict(self.attributes),
            "children": [child.to_dict() for child in self.children],
        }


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _object(collection: str, name: str, values: dict[str, object], children: Iterable[LsveObject] = ()) -> LsveObject:
    attributes = tuple(sorted((key, _text(value)) for key, value in values.items()))
    return LsveObject(collection, name, attributes, tuple(children))


def _cluster(cluster: EngineCluster) -> LsveObject:
    return _object("clusters", cluster.name, {
        "cpu": cluster.cpu_type,
        "description": cluster.description,
        "memory_hugepage": cluster.transparent_hugepages,
        "memory_overcommit": cluster.memory_overcommit_percent,
    })


def _storage_domain(domain: EngineStorageDomain) -> LsveObject:
    return _object("storagedomains", domain.name, {
        "available": domain.available_bytes,
        "committed": domain.committed_bytes,
        "ismaster": domain.master,
        "storage_add": domain.address,
        "storage_format": domain.storage_format,
        "storage_path": domain.path,
        "storage_type": domain.storage_type,
        "type": domain.type,
        "used": domain.used_bytes,
    })


def _network(network: EngineNetwork) -> LsveObject:
    values: dict[str, object] = {"description": network.description, "state": network.status, "stp": network.stp}
    if network.vlan_id is not None:
        values["vlan"] = network.vlan_id
    return _object("networks", network.name, values)


def _template(template: EngineTemplate, engine: EngineSnapshot) -> LsveObject:
    cluster = engine.cluster_of(template.cluster_id)
    return _object("templates", template.name, {
        "cluster": cluster.name if cluster else None,
        "cpu": f"{template.cpu_sockets or 1}:{template.cpu_cores or 1}",  # xCAT vmcpus sockets:cores
        "creation_time": template.creation_time.isoformat(timespec="milliseconds") if template.creation_time else None,
        "description": template.description,
        "memory": template.memory_bytes,
        "ostype": template.os_type,
        "state": template.status,
    })


def _joined(values: Iterable[str | None]) -> str | None:
    present = [v for v in values if v]
    return ",".join(present) if present else None


def _vm(vm: EngineVm, engine: EngineSnapshot) -> LsveObject:
    cluster = engine.cluster_of(vm.cluster_id)
    host = engine.hosts_by_id.get(vm.host_id or "")
    guest_os = " ".join(p for p in (vm.guest_os_distribution, vm.guest_os_version) if p) or None
    return _object("vms", vm.name, {
        "cluster": cluster.name if cluster else None,
        "cpu": vm.vcpus,
        "fqdn": vm.fqdn,
        "guaranteed_memory": vm.guaranteed_memory_bytes,
        "guest_os": guest_os,
        "ha": vm.high_availability,
        "host": host.name if host else None,
        "ips": _joined(vm.guest_ips),
        "memory": vm.memory_bytes,
        "ostype": vm.os_type,
        "pending_configuration": vm.pending_configuration,
        "pinned_hosts": _joined(
            (engine.hosts_by_id[h].name if h in engine.hosts_by_id else h) for h in vm.pinned_host_ids
        ),
        "state": vm.status,
        "uuid": vm.id,
    })


def _host(host: EngineHost, engine: EngineSnapshot) -> LsveObject:
    cluster = engine.cluster_of(host.cluster_id)
    return _object("hosts", host.name, {
        "address": host.address,
        "cluster": cluster.name if cluster else None,
        "cpu_model": host.cpu_model,
        "hardware": " ".join(p for p in (host.hardware_manufacturer, host.hardware_product) if p) or None,
        "libvirt": host.libvirt_version,
        "os": " ".join(p for p in (host.os_type, host.os_version) if p) or None,
        "serial": host.hardware_serial,
        "state": host.status,
        "type": host.type,
        "uuid": host.hardware_uuid,
        "vdsm": host.vdsm_version,
    })


def _by_name(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda item: (item.name.casefold(), item.id))


def build_lsve(engine: EngineSnapshot, kind: str, name: str | None = None) -> list[LsveObject]:
    """The objects of one kind (dc, cl, sd, nw, tpl), optionally only the one named."""
    if kind not in KINDS:
        raise UsageError(f"unknown object type {kind!r}", f"use one of {', '.join(KINDS)}")
    objects: list[LsveObject]
    if kind == "dc":
        objects = []
        for dc in _by_name(engine.datacenters):
            children = [_cluster(c) for c in _by_name(engine.clusters) if c.datacenter_id == dc.id]
            children += [_storage_domain(s) for s in _by_name(engine.storage_domains) if dc.id in s.datacenter_ids]
            children += [_network(n) for n in _by_name(engine.networks) if n.datacenter_id == dc.id]
            values: dict[str, object] = {
                "description": dc.description, "state": dc.status, "storageformat": dc.storage_format,
            }
            if dc.storage_type is not None:
                values["storagetype"] = dc.storage_type  # v3 only
            objects.append(_object("datacenters", dc.name, values, children))
    elif kind == "cl":
        objects = [_cluster(c) for c in _by_name(engine.clusters)]
    elif kind == "sd":
        objects = [_storage_domain(s) for s in _by_name(engine.storage_domains)]
    elif kind == "nw":
        objects = [_network(n) for n in _by_name(engine.networks)]
    elif kind == "vm":
        objects = [_vm(v, engine) for v in _by_name(engine.vms)]
    elif kind == "host":
        objects = [_host(h, engine) for h in _by_name(engine.hosts)]
    else:
        objects = [_template(t, engine) for t in _by_name(engine.templates)]
    if name is None:
        return objects
    chosen = [o for o in objects if o.name == name]
    if not chosen:
        known = ", ".join(o.name for o in objects[:10]) or "none"
        raise UsageError(f"the engine has no {KINDS[kind][0][:-1]} named {name!r}", f"known: {known}")
    return chosen


def format_lsve(objects: Sequence[LsveObject]) -> str:
    """xCAT's lsve layout; names and values are engine data, escaped for the terminal (one per line)."""
    lines: list[str] = []

    def write(obj: LsveObject, level: int) -> None:
        indent = "   " * level
        lines.append(f"{indent}{obj.collection}: [{terminal_safe(obj.name)}]")
        attr_indent = indent + (" " if level == 0 else "  ")
        for key, value in obj.attributes:
            lines.append(f"{attr_indent}{key}: {terminal_safe(value)}".rstrip())
        for child in obj.children:
            write(child, level + 1)

    for obj in objects:
        write(obj, 0)
    return "\n".join(lines) + ("\n" if lines else "")


def list_engine_objects(settings: EngineSettings, kind: str, name: str | None = None,
                        progress: Callable[[str], None] | None = None) -> list[LsveObject]:
    """Read what ``kind`` needs from the engine and build the lsve objects."""
    if kind not in KINDS:
        raise UsageError(f"unknown object type {kind!r}", f"use one of {', '.join(KINDS)}")
    # The guest agent's addresses come with the NICs (v4 reported_devices).
    engine = read_engine(settings, parts=KINDS[kind][1], vm_details=kind == "vm", progress=progress)
    return build_lsve(engine, kind, name)
