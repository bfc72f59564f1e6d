"""One consistent-enough picture of an engine: every collection read whole, joined on ids.

:func:`read_engine` does the I/O (paging, ``follow=``, per-VM sub-collections
only where the engine has no ``follow``); :class:`EngineSnapshot` is the frozen
result, with the id lookups the reconciliation and ``lsve`` need.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from vminv.rhev.client import EngineClient
from vminv.rhev.discovery import discover
from vminv.rhev.model import (
    EngineApi,
    EngineCluster,
    EngineDataCenter,
    EngineDisk,
    EngineHost,
    EngineNetwork,
    EngineNic,
    EngineStorageDomain,
    EngineTemplate,
    EngineVm,
    EngineVnicProfile,
)
from vminv.rhev.paging import read_pages, read_whole
from vminv.rhev.parse import (
    cluster_from,
    datacenter_from,
    disk_attachment_from,
    disk_from,
    host_from,
    network_from,
    nic_from,
    storage_domain_from,
    template_from,
    vm_from,
    vnic_profile_from,
)
from vminv.rhev.settings import EngineSettings

Progress = Callable[[str], None]

PARTS = frozenset({"datacenters", "clusters", "hosts", "networks", "storagedomains", "templates", "vms"})


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


def _merge_disks(attachments: Iterable[EngineDisk], disks: Mapping[str, EngineDisk]) -> tuple[EngineDisk, ...]:
    merged = []
    for attachment in attachments:
        disk = disks.get(attachment.id)
        if disk is None:
            merged.append(attachment)
            continue
        merged.append(dataclasses.replace(
            disk,
            interface=attachment.interface or disk.interface,
            bootable=attachment.bootable,
            active=attachment.active,
            read_only=attachment.read_only,
        ))
    return tuple(merged)


def _read_vms(client: EngineClient, api: EngineApi, vm_details: bool, progress: Progress | None) -> list[EngineVm]:
    if api.version >= 4 and api.supports_follow and vm_details:
        # One paged listing brings NICs and disk attachments along (4.2+):
        # requests grow with pages, not with VMs.
        vms = [vm_from(e) for e in read_pages(client, api, "vms", "vms", follow="nics,disk_attachments",
                                              progress=progress)]
    else:
        vms = [vm_from(e) for e in read_pages(client, api, "vms", "vms", progress=progress)]
    if not vm_details:
        return vms
    base = api.base_path
    needs_sub_reads = not (api.version >= 4 and api.supports_follow)
    if needs_sub_reads:
        # v3 and v4 before 4.2 have no follow=: one request per VM and sub-collection.
        detailed = []
        for index, vm in enumerate(vms, 1):
            nics = tuple(nic_from(e) for e in read_whole(client, api, f"{base}/vms/{vm.id}/nics", "nics"))
            if api.version >= 4:
                elements = read_whole(client, api, f"{base}/vms/{vm.id}/diskattachments", "disk_attachments")
                disks = tuple(disk_attachment_from(e) for e in elements)
            else:
                disks = tuple(disk_from(e) for e in read_whole(client, api, f"{base}/vms/{vm.id}/disks", "disks"))
            detailed.append(dataclasses.replace(vm, nics=nics, disks=disks))
            if progress is not None and index % 100 == 0:
                progress(f"vms: details of {index}/{len(vms)}")
        vms = detailed
    if api.version >= 4:
        all_disks = {d.id: d for d in (disk_from(e) for e in read_pages(client, api, "disks", "disks", progress=progress))}
        vms = [dataclasses.replace(vm, disks=_merge_disks(vm.disks, all_disks)) if vm.disks is not None else vm
               for vm in vms]
    return vms


def read_engine(
    settings: EngineSettings,
    *,
    parts: Iterable[str] = PARTS,
    vm_details: bool = True,
    progress: Progress | None = None,
) -> EngineSnapshot:
    """Read an engine's objects into one snapshot.

    :param parts: which collections to read (subset of :data:`PARTS`).
    :param vm_details: also read each VM's NICs and disks (needed for drift).
    :raises RhevError: on any failure; nothing partial is returned.
    """
    wanted = set(parts)
    unknown = wanted - PARTS
    if unknown:
        raise ValueError(f"unknown parts: {sorted(unknown)}")
    with EngineClient(settings, progress) as client:
        api = discover(client)
        if progress is not None:
            progress(f"{settings.origin}: {api.product_name or 'engine'} {api.product_version or ''}, API v{api.version}")
        fields: dict[str, Any] = {}
        if "datacenters" in wanted:
            fields["datacenters"] = tuple(datacenter_from(e) for e in read_pages(client, api, "datacenters", "data_centers", progress=progress))
        if "clusters" in wanted:
            fields["clusters"] = tuple(cluster_from(e) for e in read_pages(client, api, "clusters", "clusters", progress=progress))
        if "hosts" in wanted:
            fields["hosts"] = tuple(host_from(e) for e in read_pages(client, api, "hosts", "hosts", progress=progress))
        if "networks" in wanted or ("vms" in wanted and vm_details):
            fields["networks"] = tuple(network_from(e) for e in read_pages(client, api, "networks", "networks", progress=progress))
        if "vms" in wanted and vm_details and api.version >= 4:
            href = f"{api.base_path}/vnicprofiles"
            fields["vnic_profiles"] = tuple(vnic_profile_from(e) for e in read_whole(client, api, href, "vnic_profiles"))
        if "storagedomains" in wanted:
            fields["storage_domains"] = tuple(storage_domain_from(e) for e in read_pages(client, api, "storagedomains", "storage_domains", progress=progress))
        if "templates" in wanted:
            fields["templates"] = tuple(template_from(e) for e in read_pages(client, api, "templates", "templates", progress=progress))
        if "vms" in wanted:
            fields["vms"] = tuple(_read_vms(client, api, vm_details, progress))
    return EngineSnapshot(
        url=settings.origin,
        api=api,
        read_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        requests_made=client.requests_made,  # read after close: the logout counts too
        **fields,
    )
