"""Read an engine's collections whole into one :class:`~vminv.rhev.model.EngineSnapshot`.

:func:`read_engine` does the I/O (paging, ``follow=``, per-VM sub-collections
only where the engine has no ``follow``). The snapshot itself is a plain frozen
model in :mod:`vminv.rhev.model`, so the pure modules (reconcile, matching,
lsve formatting) never import the HTTP client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from vminv.rhev.client import EngineClient
from vminv.rhev.discovery import discover
from vminv.rhev.model import (
    EngineApi,
    EngineDisk,
    EngineSnapshot,
    EngineVm,
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
    with_nics,
)
from vminv.rhev.settings import EngineSettings

Progress = Callable[[str], None]

PARTS = frozenset({"datacenters", "clusters", "hosts", "networks", "storagedomains", "templates", "vms"})


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
            logical_name=attachment.logical_name or disk.logical_name,
        ))
    return tuple(merged)


def vm_href(api: EngineApi, vm_id: str, sub: str) -> str:
    """A VM's sub-collection. The id is engine data: quoted, so that it stays one path segment."""
    return f"{api.base_path}/vms/{quote(vm_id, safe='')}/{sub}"


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
    needs_sub_reads = not (api.version >= 4 and api.supports_follow)
    if needs_sub_reads:
        # v3 and v4 before 4.2 have no follow=: one request per VM and sub-collection.
        detailed = []
        for index, vm in enumerate(vms, 1):
            nics = tuple(nic_from(e) for e in read_whole(client, api, vm_href(api, vm.id, "nics"), "nics"))
            if api.version >= 4:
                elements = read_whole(client, api, vm_href(api, vm.id, "diskattachments"), "disk_attachments")
                disks = tuple(disk_attachment_from(e) for e in elements)
            else:
                disks = tuple(disk_from(e) for e in read_whole(client, api, vm_href(api, vm.id, "disks"), "disks"))
            detailed.append(dataclasses.replace(with_nics(vm, nics), disks=disks))
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
