"""Frozen records of an engine's objects, the same for API v3 and v4.

Units are in the field names (``memory_bytes``). References to other objects
are ids (``cluster_id``); names are resolved by :class:`EngineSnapshot`, the whole engine read at once.
This module is pure: no I/O, nothing from the HTTP client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _plain(self)
        return result


@dataclass(frozen=True)
class EngineApi(_Record):
    """What the entry document says about the engine."""

    version: int  # API version of the documents: 3 or 4
    base_path: str  # "/ovirt-engine/api" or "/api"
    product_name: str | None
    vendor: str | None
    product_version: str | None  # "4.3.10" (major.minor.build) or the full version
    major: int | None
    minor: int | None
    links: tuple[tuple[str, str], ...]  # (rel, href) as the engine listed them

    def link(self, rel: str) -> str | None:
        for name, href in self.links:
            if name == rel:
                return href
        return None

    @property
    def supports_follow(self) -> bool:
        # follow= exists from 4.2 (model mixins/Follow.java @since 4.2), v4 only.
        return self.version >= 4 and (self.major or 0, self.minor or 0) >= (4, 2)


@dataclass(frozen=True)
class EngineDataCenter(_Record):
    id: str
    name: str
    description: str | None
    status: str | None
    storage_format: str | None
    storage_type: str | None  # v3 only (removed in v4)
    local: bool | None
    version: str | None  # "4.3"


@dataclass(frozen=True)
class EngineCluster(_Record):
    id: str
    name: str
    description: str | None
    datacenter_id: str | None  # a cluster may lack a data center
    cpu_type: str | None
    version: str | None
    memory_overcommit_percent: int | None
    transparent_hugepages: bool | None
    virt_service: bool | None


@dataclass(frozen=True)
class EngineHost(_Record):
    id: str
    name: str
    address: str | None
    cluster_id: str | None
    status: str | None
    type: str | None  # rhel, ovirt_node, rhev_h (v3 "rhev-h" is normalised)
    hardware_uuid: str | None  # as dmidecode prints it: compare case-insensitively
    cpu_sockets: int | None
    cpu_cores: int | None
    cpu_threads: int | None
    memory_bytes: int | None
    # What the host runs, as VDSM reports it (v3 attributes, v4 elements).
    os_type: str | None = None  # RHEL, oVirt Node, RHEV Hypervisor, ...
    os_version: str | None = None  # full version: "7.6 - 4.el7"
    vdsm_version: str | None = None  # version/full_version: "vdsm-4.30.17-1.el7ev"
    libvirt_version: str | None = None  # libvirt_version/full_version
    cpu_model: str | None = None  # cpu/name: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"
    cpu_type: str | None = None  # cpu/type (v4): the engine's CPU family
    hardware_serial: str | None = None  # hardware_information/serial_number (3.2+)
    hardware_manufacturer: str | None = None
    hardware_product: str | None = None


@dataclass(frozen=True)
class EngineNetwork(_Record):
    id: str
    name: str
    description: str | None
    datacenter_id: str | None
    status: str | None
    stp: bool | None
    vlan_id: int | None
    mtu: int | None


@dataclass(frozen=True)
class EngineVnicProfile(_Record):
    id: str
    name: str
    network_id: str | None


@dataclass(frozen=True)
class EngineStorageDomain(_Record):
    id: str
    name: str
    type: str | None  # data, iso, export, image, ...
    storage_type: str | None  # nfs, iscsi, fcp, ...
    address: str | None
    path: str | None
    available_bytes: int | None
    used_bytes: int | None
    committed_bytes: int | None
    master: bool | None
    status: str | None  # absent in the global list for attached domains
    storage_format: str | None
    datacenter_ids: tuple[str, ...]


@dataclass(frozen=True)
class EngineTemplate(_Record):
    id: str
    name: str
    description: str | None
    status: str | None
    cluster_id: str | None
    memory_bytes: int | None
    cpu_sockets: int | None
    cpu_cores: int | None
    cpu_threads: int | None
    os_type: str | None
    creation_time: datetime | None


@dataclass(frozen=True)
class EngineNic(_Record):
    id: str
    name: str | None
    mac: str | None  # lower case
    interface: str | None  # virtio, e1000, ...
    plugged: bool | None
    network_id: str | None  # v3 directly; v4 through the vNIC profile
    vnic_profile_id: str | None  # v4 (and v3 from 3.3)
    # Addresses the guest agent reports on this NIC (reported_devices), running VMs only.
    guest_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineDisk(_Record):
    id: str  # the disk (image group) id; v4 attachment ids are the same
    alias: str | None
    provisioned_size_bytes: int | None
    actual_size_bytes: int | None
    format: str | None  # cow, raw
    interface: str | None  # virtio, virtio_scsi, ide, ...
    bootable: bool | None
    active: bool | None
    read_only: bool | None
    status: str | None
    content_type: str | None  # data, ovf_store, hosted_engine, ...
    storage_domain_ids: tuple[str, ...]
    image_id: str | None = None  # the active volume (VDSM's volumeID), not the disk id
    shareable: bool | None = None
    sparse: bool | None = None
    storage_type: str | None = None  # image, lun, cinder, managed_block_storage
    logical_name: str | None = None  # /dev/vda as the guest agent reports it (v4 attachment)


@dataclass(frozen=True)
class EngineVm(_Record):
    id: str  # == the libvirt domain UUID
    name: str
    status: str | None  # up, down, migrating, ... (lower case, v3 and v4 alike)
    host_id: str | None  # only while running; the source host during migration
    cluster_id: str | None
    template_id: str | None
    memory_bytes: int | None
    cpu_sockets: int | None
    cpu_cores: int | None
    cpu_threads: int | None
    os_type: str | None
    origin: str | None  # ovirt, rhev, external, managed_hosted_engine, ...
    type: str | None  # server, desktop, high_performance
    description: str | None
    creation_time: datetime | None
    start_time: datetime | None
    stop_time: datetime | None
    # None when not read (no follow= and per-VM reads skipped); () when none.
    nics: tuple[EngineNic, ...] | None = None
    disks: tuple[EngineDisk, ...] | None = None
    # Reported by the guest agent while the VM runs (v4 elements; v3 guest_info).
    fqdn: str | None = None
    guest_os_family: str | None = None  # guest_operating_system (v4): Linux, Windows
    guest_os_distribution: str | None = None  # CentOS Linux, Red Hat Enterprise Linux, ...
    guest_os_version: str | None = None  # version/full_version
    guest_os_kernel: str | None = None  # kernel/version/full_version
    # v3 guest_info/ips, v4 the NICs' reported_devices: every address, in order, once.
    guest_ips: tuple[str, ...] = ()
    # Configuration.
    guaranteed_memory_bytes: int | None = None  # memory_policy/guaranteed
    max_memory_bytes: int | None = None  # memory_policy/max (4.1+): libvirt's <maxMemory>
    high_availability: bool | None = None  # high_availability/enabled
    ha_priority: int | None = None
    placement_affinity: str | None = None  # migratable, user_migratable, pinned
    pinned_host_ids: tuple[str, ...] = ()  # placement_policy/hosts (v3 3.x: placement_policy/host)
    # True when a configuration change waits for the next start (next_run_configuration_exists).
    pending_configuration: bool | None = None

    @property
    def vcpus(self) -> int | None:
        """sockets x cores x threads, what libvirt shows as ``vcpu/@current``."""
        if self.cpu_sockets is None:
            return None
        return self.cpu_sockets * (self.cpu_cores or 1) * (self.cpu_threads or 1)


@dataclass(frozen=True)
class EngineSnapshot:
    url: str  # the engine origin, https://host:port
    api: EngineApi
    read_at: str  # ISO 8601 UTC, when reading finished
    datacenters: tuple[EngineDataCenter, ...] = ()
    clusters: tuple[EngineCluster, ...] = ()
    hosts: tuple[EngineHost, ...] = ()
    networks: tuple[EngineNetwork, ...] = ()
    vnic_profiles: tuple[EngineVnicProfile, ...] = ()
    storage_domains: tuple[EngineStorageDomain, ...] = ()
    templates: tuple[EngineTemplate, ...] = ()
    vms: tuple[EngineVm, ...] = ()
    requests_made: int = 0

    @property
    def host_name(self) -> str:
        """The engine's host name as given in the URL (what xCAT stores in ``mgr``)."""
        return urlsplit(self.url).hostname or self.url

    @cached_property
    def hosts_by_id(self) -> Mapping[str, EngineHost]:
        return {h.id: h for h in self.hosts}

    @cached_property
    def clusters_by_id(self) -> Mapping[str, EngineCluster]:
        return {c.id: c for c in self.clusters}

    @cached_property
    def datacenters_by_id(self) -> Mapping[str, EngineDataCenter]:
        return {d.id: d for d in self.datacenters}

    @cached_property
    def networks_by_id(self) -> Mapping[str, EngineNetwork]:
        return {n.id: n for n in self.networks}

    @cached_property
    def vnic_profiles_by_id(self) -> Mapping[str, EngineVnicProfile]:
        return {p.id: p for p in self.vnic_profiles}

    @cached_property
    def storage_domains_by_id(self) -> Mapping[str, EngineStorageDomain]:
        return {s.id: s for s in self.storage_domains}

    def cluster_of(self, cluster_id: str | None) -> EngineCluster | None:
        return self.clusters_by_id.get(cluster_id or "")

    def datacenter_of_cluster(self, cluster_id: str | None) -> EngineDataCenter | None:
        cluster = self.cluster_of(cluster_id)
        return self.datacenters_by_id.get(cluster.datacenter_id or "") if cluster else None

    def network_of(self, nic: EngineNic) -> EngineNetwork | None:
        """v3 names the network on the NIC; v4 only through its vNIC profile."""
        network_id = nic.network_id
        if network_id is None and nic.vnic_profile_id is not None:
            profile = self.vnic_profiles_by_id.get(nic.vnic_profile_id)
            network_id = profile.network_id if profile else None
        return self.networks_by_id.get(network_id or "")

    def host_names(self, host_ids: tuple[str, ...]) -> list[str]:
        return [self.hosts_by_id[h].name if h in self.hosts_by_id else h for h in host_ids]

    def vm_facts(self, vm: EngineVm) -> dict[str, Any]:
        """What the engine and its guest agent say about ``vm`` beyond placement (reconcile JSON, reports)."""
        return {
            "fqdn": vm.fqdn,
            "guest_os": {"family": vm.guest_os_family, "distribution": vm.guest_os_distribution,
                         "version": vm.guest_os_version, "kernel": vm.guest_os_kernel},
            "guest_ips": list(vm.guest_ips),
            "guaranteed_memory_bytes": vm.guaranteed_memory_bytes,
            "high_availability": vm.high_availability,
            "ha_priority": vm.ha_priority,
            "placement_affinity": vm.placement_affinity,
            "pinned_hosts": self.host_names(vm.pinned_host_ids),
            "pending_configuration": vm.pending_configuration,
        }

    def host_facts(self, host: EngineHost) -> dict[str, Any]:
        """An engine host's identity and software, as VDSM reports them."""
        return {
            "name": host.name, "address": host.address, "status": host.status, "type": host.type,
            "os_type": host.os_type, "os_version": host.os_version, "vdsm_version": host.vdsm_version,
            "libvirt_version": host.libvirt_version, "cpu_model": host.cpu_model,
            "hardware_serial": host.hardware_serial, "hardware_uuid": host.hardware_uuid,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "api": self.api.to_dict(),
            "read_at": self.read_at,
            "requests_made": self.requests_made,
            **{
                name: [item.to_dict() for item in getattr(self, name)]
                for name in ("datacenters", "clusters", "hosts", "networks", "vnic_profiles",
                             "storage_domains", "templates", "vms")
            },
        }
