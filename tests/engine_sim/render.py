"""Engine documents, v3 and v4, rendered from scenario data with lxml.

Shapes follow /work/shared/notes/ovirt-api.md (recorded 3.5/3.6 and 4.3
engines): the XML declaration with ``standalone="yes"``, 4-space indentation,
``<actions>`` first, then ``name``/``description``/``comment``, ``<link rel>``
sub-collections, the object's attributes (v3: XSD order, many as XML
attributes; v4: alphabetical elements), then references with ``href`` and
``id``. Everything here is test infrastructure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
Element = etree._Element


@dataclass(frozen=True)
class Context:
    version: int  # 3 or 4
    prefix: str  # /ovirt-engine/api, /ovirt-engine/api/v4, /api
    engine_version: tuple[int, int]
    engine: dict[str, Any]
    follow: frozenset[str] = field(default_factory=frozenset)

    @property
    def hardware_information(self) -> bool:
        return self.engine_version >= (3, 2)  # absent from the 3.0/3.1 XSD


def sub(parent: Element, tag: str, text: Any = None, **attrs: Any) -> Element:
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = "true" if text is True else "false" if text is False else str(text)
    return element


def opt(parent: Element, tag: str, value: Any) -> None:
    if value is not None:
        sub(parent, tag, value)


def ref(parent: Element, ctx: Context, tag: str, collection: str, identifier: str | None, href: bool = True) -> None:
    if identifier:
        sub(parent, tag, href=f"{ctx.prefix}/{collection}/{identifier}" if href else None, id=identifier)


def new(tag: str, ctx: Context, collection: str, identifier: str) -> Element:
    return etree.Element(tag, href=f"{ctx.prefix}/{collection}/{identifier}", id=identifier)


def actions(parent: Element, base: str, names: tuple[str, ...]) -> None:
    block = sub(parent, "actions")
    for name in names:
        sub(block, "link", href=f"{base}/{name}", rel=name)


def links(parent: Element, base: str, names: tuple[str, ...]) -> None:
    for name in names:
        sub(parent, "link", href=f"{base}/{name}", rel=name)


def status(parent: Element, ctx: Context, value: str | None, tag: str = "status") -> None:
    if value is None:
        return
    if ctx.version >= 4:
        sub(parent, tag, value)
    else:
        sub(sub(parent, tag), "state", value)


def version(parent: Element, ctx: Context, text: str | None, tag: str = "version") -> None:
    if not text:
        return
    major, _, minor = text.partition(".")
    if ctx.version >= 4:
        element = sub(parent, tag)
        sub(element, "major", major)
        sub(element, "minor", minor or "0")
    else:
        sub(parent, tag, major=major, minor=minor or "0")


def topology(parent: Element, ctx: Context, item: dict[str, Any]) -> None:
    sockets, cores, threads = item.get("sockets", 1), item.get("cores", 1), item.get("threads", 1)
    if ctx.version >= 4:
        element = sub(parent, "topology")
        sub(element, "cores", cores)
        sub(element, "sockets", sockets)
        sub(element, "threads", threads)
    else:
        sub(parent, "topology", sockets=sockets, cores=cores, threads=threads)


# --- object renderers -----------------------------------------------------------------


def datacenter(dc: dict[str, Any], ctx: Context) -> Element:
    el = new("data_center", ctx, "datacenters", dc["id"])
    sub(el, "name", dc["name"])
    sub(el, "description", dc.get("description", ""))
    base = f"{ctx.prefix}/datacenters/{dc['id']}"
    links(el, base, ("clusters", "iscsibonds", "networks", "permissions", "quotas", "qoss", "storagedomains"))
    if ctx.version >= 4:
        sub(el, "local", dc.get("local", False))
        sub(el, "quota_mode", "disabled")
        status(el, ctx, dc.get("status"))
        sub(el, "storage_format", dc.get("storage_format"))
        supported = sub(el, "supported_versions")
        version(supported, ctx, dc.get("version"))
        version(el, ctx, dc.get("version"))
    else:
        if dc.get("storage_type"):
            sub(el, "storage_type", dc["storage_type"])
        sub(el, "local", dc.get("local", False))
        sub(el, "storage_format", dc.get("storage_format"))
        version(el, ctx, dc.get("version"))
        supported = sub(el, "supported_versions")
        version(supported, ctx, dc.get("version"))
        status(el, ctx, dc.get("status"))
        sub(el, "quota_mode", "disabled")
    return el


def cluster(cl: dict[str, Any], ctx: Context) -> Element:
    el = new("cluster", ctx, "clusters", cl["id"])
    actions(el, f"{ctx.prefix}/clusters/{cl['id']}", ("resetemulatedmachine",))
    sub(el, "name", cl["name"])
    sub(el, "description", cl.get("description", ""))
    if ctx.version >= 4:
        sub(el, "comment", "")
    links(el, f"{ctx.prefix}/clusters/{cl['id']}", ("affinitygroups", "cpuprofiles", "networks", "permissions"))
    overcommit = cl.get("memory_overcommit", 100)
    hugepages = cl.get("transparent_hugepages", True)
    if ctx.version >= 4:
        sub(el, "ballooning_enabled", False)
        cpu = sub(el, "cpu")
        sub(cpu, "architecture", "x86_64")
        sub(cpu, "type", cl.get("cpu_type", "Intel Westmere Family"))
        sub(sub(el, "error_handling"), "on_error", "migrate")
        sub(el, "gluster_service", False)
        policy = sub(el, "memory_policy")
        sub(sub(policy, "over_commit"), "percent", overcommit)
        sub(sub(policy, "transparent_hugepages"), "enabled", hugepages)
        sub(el, "switch_type", "legacy")
        sub(el, "threads_as_cores", False)
        version(el, ctx, cl.get("version", "4.3"))
        sub(el, "virt_service", cl.get("virt_service", True))
        ref(el, ctx, "data_center", "datacenters", cl.get("datacenter_id"))
        ref(el, ctx, "scheduling_policy", "schedulingpolicies", "7ce0a012-b949-4cae-b591-a7e3539cfb05")
    else:
        cpu = sub(el, "cpu", id=cl.get("cpu_type", "Intel Westmere Family"))
        sub(cpu, "architecture", "X86_64")
        ref(el, ctx, "data_center", "datacenters", cl.get("datacenter_id"))
        policy = sub(el, "memory_policy")
        sub(policy, "overcommit", percent=overcommit)
        sub(sub(policy, "transparent_hugepages"), "enabled", hugepages)
        version(el, ctx, cl.get("version", "3.6"))
        sub(sub(el, "error_handling"), "on_error", "migrate")
        sub(el, "virt_service", cl.get("virt_service", True))
        sub(el, "gluster_service", False)
        sub(el, "threads_as_cores", False)
    return el


def network(nw: dict[str, Any], ctx: Context) -> Element:
    el = new("network", ctx, "networks", nw["id"])
    sub(el, "name", nw["name"])
    sub(el, "description", nw.get("description", ""))
    if ctx.version >= 4:
        sub(el, "comment", "")
    links(el, f"{ctx.prefix}/networks/{nw['id']}", ("networklabels", "permissions", "vnicprofiles"))
    if ctx.version >= 4:
        sub(el, "mtu", nw.get("mtu", 0))
        sub(el, "stp", nw.get("stp", False))
        sub(sub(el, "usages"), "usage", "vm")
        if nw.get("vlan") is not None:
            sub(el, "vlan", id=nw["vlan"])
        ref(el, ctx, "data_center", "datacenters", nw.get("datacenter_id"))
    else:
        ref(el, ctx, "data_center", "datacenters", nw.get("datacenter_id"))
        if nw.get("vlan") is not None:
            sub(el, "vlan", id=nw["vlan"])
        sub(el, "stp", nw.get("stp", False))
        status(el, ctx, nw.get("status", "operational"))
        sub(el, "display", False)
        sub(el, "mtu", nw.get("mtu", 0))
        sub(sub(el, "usages"), "usage", "vm")
    return el


def vnic_profile(profile: dict[str, Any], ctx: Context) -> Element:
    el = new("vnic_profile", ctx, "vnicprofiles", profile["id"])
    sub(el, "name", profile["name"])
    links(el, f"{ctx.prefix}/vnicprofiles/{profile['id']}", ("permissions",))
    sub(sub(el, "pass_through"), "mode", "disabled")
    sub(el, "port_mirroring", False)
    ref(el, ctx, "network", "networks", profile.get("network_id"))
    return el


def storage_domain(sd: dict[str, Any], ctx: Context) -> Element:
    el = new("storage_domain", ctx, "storagedomains", sd["id"])
    actions(el, f"{ctx.prefix}/storagedomains/{sd['id']}", ("isattached", "refreshluns", "updateovfstore"))
    sub(el, "name", sd["name"])
    sub(el, "description", sd.get("description", ""))
    links(el, f"{ctx.prefix}/storagedomains/{sd['id']}", ("disks", "permissions", "templates", "vms"))
    def storage_block() -> None:
        storage = sub(el, "storage")
        if ctx.version >= 4:
            opt(storage, "address", sd.get("address"))
            opt(storage, "path", sd.get("path"))
            sub(storage, "type", sd.get("storage_type", "nfs"))
        else:
            opt(storage, "address", sd.get("address"))
            sub(storage, "type", sd.get("storage_type", "nfs"))
            opt(storage, "path", sd.get("path"))

    unattached = not sd.get("datacenter_ids")
    if ctx.version >= 4:
        opt(el, "available", sd.get("available"))
        sub(el, "backup", False)
        opt(el, "committed", sd.get("committed"))
        sub(el, "external_status", "ok")
        sub(el, "master", sd.get("master", False))
        if unattached:
            status(el, ctx, "unattached")
        storage_block()
        sub(el, "storage_format", sd.get("storage_format", "v5"))
        sub(el, "type", sd.get("type", "data"))
        opt(el, "used", sd.get("used"))
        if not unattached:
            dcs = sub(el, "data_centers")
            for dc_id in sd["datacenter_ids"]:
                ref(dcs, ctx, "data_center", "datacenters", dc_id)
    else:
        if not unattached:
            dcs = sub(el, "data_centers")
            for dc_id in sd["datacenter_ids"]:
                ref(dcs, ctx, "data_center", "datacenters", dc_id, href=False)  # v3: id only
        sub(el, "type", sd.get("type", "data"))
        sub(sub(el, "external_status"), "state", "ok")
        sub(el, "master", sd.get("master", False))
        storage_block()
        opt(el, "available", sd.get("available"))
        opt(el, "used", sd.get("used"))
        opt(el, "committed", sd.get("committed"))
        sub(el, "storage_format", sd.get("storage_format", "v5"))
        if unattached:
            status(el, ctx, "unattached")
    return el


def host(h: dict[str, Any], ctx: Context) -> Element:
    el = new("host", ctx, "hosts", h["id"])
    actions(el, f"{ctx.prefix}/hosts/{h['id']}", ("activate", "deactivate", "fence", "refresh"))
    sub(el, "name", h["name"])
    if ctx.version >= 4:
        sub(el, "comment", "")
    links(el, f"{ctx.prefix}/hosts/{h['id']}", ("nics", "numanodes", "permissions", "statistics", "tags"))
    address = h.get("address", h["name"])
    host_type = h.get("type", "rhel")
    memory = h.get("memory", 16654532608)

    def hardware() -> None:
        if not ctx.hardware_information:
            return
        hw = sub(el, "hardware_information")
        if ctx.version >= 4:
            sub(hw, "family", "PowerEdge")
        sub(hw, "manufacturer", "Dell Inc.")
        sub(hw, "product_name", "PowerEdge R640")
        sub(hw, "serial_number", h.get("serial", "8F1VQ23"))
        rng = sub(hw, "supported_rng_sources")
        if ctx.version >= 4:
            sub(rng, "supported_rng_source", "random")
        else:
            sub(rng, "source", "RANDOM")
        opt(hw, "uuid", h.get("hw_uuid"))

    if ctx.version >= 4:
        sub(el, "address", address)
        sub(el, "auto_numa_status", "disable")
        cert = sub(el, "certificate")
        sub(cert, "organization", "example.com")
        sub(cert, "subject", f"O=example.com,CN={address}")
        cpu = sub(el, "cpu")
        sub(cpu, "name", "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz")
        sub(cpu, "speed", 2100)
        topology(cpu, ctx, {"sockets": 2, "cores": 16, "threads": 2})
        sub(cpu, "type", "Intel Skylake Server IBRS SSBD Family")
        sub(el, "external_status", "ok")
        hardware()
        sub(el, "kdump_status", "disabled")
        libvirt = sub(el, "libvirt_version")
        for tag, value in (("build", 0), ("full_version", h.get("libvirt", "libvirt-4.5.0-10.el7_6.10")),
                           ("major", 4), ("minor", 5), ("revision", 0)):
            sub(libvirt, tag, value)
        sub(el, "max_scheduling_memory", memory - 404750336)
        sub(el, "memory", memory)
        os_el = sub(el, "os")
        sub(os_el, "type", h.get("os", "RHEL"))
        os_version = sub(os_el, "version")
        sub(os_version, "full_version", h.get("os_version", "7.6 - 4.el7"))
        sub(os_version, "major", 7)
        sub(os_version, "minor", 6)
        sub(el, "port", 54321)
        sub(el, "protocol", "stomp")
        spm = sub(el, "spm")
        sub(spm, "priority", 5)
        sub(spm, "status", "none")
        status(el, ctx, h.get("status", "up"))
        sub(el, "type", host_type)
        sub(el, "update_available", False)
        ver = sub(el, "version")
        for tag, value in (("build", 17), ("full_version", h.get("vdsm", "vdsm-4.30.17-1.el7ev")), ("major", 4),
                           ("minor", 30), ("revision", 0)):
            sub(ver, tag, value)
        ref(el, ctx, "cluster", "clusters", h.get("cluster_id"))
    else:
        sub(el, "address", address)
        cert = sub(el, "certificate")
        sub(cert, "organization", "example.com")
        sub(cert, "subject", f"O=example.com,CN={address}")
        status(el, ctx, h.get("status", "up"))
        ref(el, ctx, "cluster", "clusters", h.get("cluster_id"))
        sub(el, "port", 54321)
        sub(el, "type", "rhev-h" if host_type in ("rhev_h", "ovirt_node") else host_type)
        sub(el, "storage_manager", False, priority=5)
        sub(el, "version", major=4, minor=16, build=8, revision=1, full_version=h.get("vdsm", "vdsm-4.16.8.1-5.el6ev"))
        hardware()
        cpu = sub(el, "cpu")
        topology(cpu, ctx, {"sockets": 2, "cores": 16, "threads": 2})
        sub(cpu, "name", "Intel(R) Xeon(R) CPU           E5649  @ 2.53GHz")
        sub(cpu, "speed", 2527)
        sub(el, "memory", memory)
        sub(el, "max_scheduling_memory", memory - 404750336)
        summary = sub(el, "summary")
        for tag in ("active", "migrating", "total"):
            sub(summary, tag, 0)
        sub(el, "protocol", "xml")
        sub(sub(el, "os", type=h.get("os", "RHEL")), "version", full_version=h.get("os_version", "6Server - 6.6.0.2.el6"))
        sub(el, "libvirt_version", major=0, minor=10, build=2, revision=0,
            full_version=h.get("libvirt", "libvirt-0.10.2-46.el6_6.3"))
    return el


def template(t: dict[str, Any], ctx: Context) -> Element:
    el = new("template", ctx, "templates", t["id"])
    actions(el, f"{ctx.prefix}/templates/{t['id']}", ("export",))
    sub(el, "name", t["name"])
    sub(el, "description", t.get("description", ""))
    sub_links = ("diskattachments", "nics", "permissions", "tags") if ctx.version >= 4 else ("disks", "nics", "permissions", "tags")
    links(el, f"{ctx.prefix}/templates/{t['id']}", sub_links)
    if ctx.version >= 4:
        cpu = sub(el, "cpu")
        sub(cpu, "architecture", "x86_64")
        topology(cpu, ctx, t)
        opt(el, "creation_time", t.get("creation_time"))
        sub(el, "memory", t.get("memory", 2**30))
        os_el = sub(el, "os")
        sub(sub(sub(os_el, "boot"), "devices"), "device", "hd")
        sub(os_el, "type", t.get("os", "other"))
        sub(el, "type", t.get("type", "server"))
        status(el, ctx, t.get("status", "ok"))
        ref(el, ctx, "cluster", "clusters", t.get("cluster_id"))
    else:
        sub(el, "type", t.get("type", "server"))
        status(el, ctx, t.get("status", "ok"))
        sub(el, "memory", t.get("memory", 2**30))
        cpu = sub(el, "cpu")
        topology(cpu, ctx, t)
        sub(cpu, "architecture", "X86_64")
        os_el = sub(el, "os", type=t.get("os", "other"))
        sub(os_el, "boot", dev="hd")
        ref(el, ctx, "cluster", "clusters", t.get("cluster_id"))
        opt(el, "creation_time", t.get("creation_time"))
    return el


def nic(vm: dict[str, Any], n: dict[str, Any], ctx: Context) -> Element:
    base = f"{ctx.prefix}/vms/{vm['id']}/nics/{n['id']}"
    el = etree.Element("nic", href=base, id=n["id"])
    actions(el, base, ("activate", "deactivate"))
    sub(el, "name", n["name"])
    links(el, base, ("reporteddevices", "statistics") if ctx.version >= 4 else ("statistics",))
    ref(el, ctx, "vm", "vms", vm["id"])
    plugged = n.get("plugged", True)
    reported = n.get("ips") if vm.get("status") in RUNNING and vm.get("host_id") else None
    if ctx.version >= 4:
        sub(el, "interface", n.get("interface", "virtio"))
        sub(el, "linked", True)
        sub(sub(el, "mac"), "address", n["mac"])
        sub(el, "plugged", plugged)
        if reported:
            devices = sub(el, "reported_devices")
            device_id = n["id"]
            device = sub(devices, "reported_device", href=f"{ctx.prefix}/vms/{vm['id']}/reporteddevices/{device_id}",
                         id=device_id)
            sub(device, "name", n.get("guest_name", "eth0"))
            sub(device, "description", "guest reported data")
            ips = sub(device, "ips")
            for address in reported:
                ip = sub(ips, "ip")
                sub(ip, "address", address)
                sub(ip, "version", "v6" if ":" in address else "v4")
            sub(sub(device, "mac"), "address", n["mac"])
            sub(device, "type", "network")
        ref(el, ctx, "vnic_profile", "vnicprofiles", n.get("profile_id"))
    else:
        if ctx.engine_version < (3, 3) or n.get("profile_id"):
            ref(el, ctx, "network", "networks", n.get("network_id"))
        if ctx.engine_version >= (3, 1):
            sub(el, "linked", True)
        sub(el, "interface", n.get("interface", "virtio"))
        sub(el, "mac", address=n["mac"])
        if ctx.engine_version >= (3, 1):
            sub(el, "active", plugged)
            sub(el, "plugged", plugged)
        if reported and ctx.engine_version >= (3, 4):
            devices = sub(el, "reported_devices")
            device = sub(devices, "reported_device", href=f"{ctx.prefix}/vms/{vm['id']}/reporteddevices/{n['id']}",
                         id=n["id"])
            sub(device, "name", n.get("guest_name", "eth0"))
            sub(device, "description", "guest reported data")
            sub(device, "type", "network")
            sub(device, "mac", address=n["mac"])
            ips = sub(device, "ips")
            for address in reported:
                sub(ips, "ip", address=address, version="v6" if ":" in address else "v4")
            ref(device, ctx, "vm", "vms", vm["id"])
        if ctx.engine_version >= (3, 3):
            ref(el, ctx, "vnic_profile", "vnicprofiles", n.get("profile_id"))
    return el


def disk(d: dict[str, Any], ctx: Context, vm: dict[str, Any] | None = None) -> Element:
    """v4 ``/disks/ID``; v3 ``/vms/VM/disks/ID`` (attachment data merged in)."""
    if vm is not None and ctx.version < 4:
        base = f"{ctx.prefix}/vms/{vm['id']}/disks/{d['id']}"
        el = etree.Element("disk", href=base, id=d["id"])
    else:
        base = f"{ctx.prefix}/disks/{d['id']}"
        el = etree.Element("disk", href=base, id=d["id"])
    actions(el, base, ("copy", "export", "move"))
    sub(el, "name", d["alias"])
    if ctx.version >= 4:
        sub(el, "description", "")
    links(el, base, ("permissions", "statistics"))
    provisioned = d.get("provisioned_size", 20 * 2**30)
    if ctx.version >= 4:
        opt(el, "actual_size", d.get("actual_size"))
        sub(el, "alias", d["alias"])
        sub(el, "backup", "none")
        sub(el, "content_type", d.get("content_type", "data"))
        sub(el, "format", d.get("format", "cow"))
        sub(el, "image_id", d["image_id"])
        sub(el, "propagate_errors", False)
        sub(el, "provisioned_size", provisioned)
        sub(el, "shareable", False)
        sub(el, "sparse", True)
        status(el, ctx, d.get("status", "ok"))
        sub(el, "storage_type", "image")
        opt(el, "total_size", d.get("actual_size"))
        sub(el, "wipe_after_delete", False)
        if d.get("sd_id"):
            sds = sub(el, "storage_domains")
            ref(sds, ctx, "storage_domain", "storagedomains", d["sd_id"])
    else:
        if vm is not None:
            ref(el, ctx, "vm", "vms", vm["id"])
        if ctx.engine_version >= (3, 2):
            sub(el, "alias", d["alias"])
            sub(el, "image_id", d["image_id"])
        if d.get("sd_id"):
            sds = sub(el, "storage_domains")
            ref(sds, ctx, "storage_domain", "storagedomains", d["sd_id"], href=False)
        sub(el, "size", provisioned)
        if ctx.engine_version >= (3, 1):
            sub(el, "provisioned_size", provisioned)
            opt(el, "actual_size", d.get("actual_size"))
        status(el, ctx, d.get("status", "ok"))
        sub(el, "interface", d.get("interface", "virtio"))
        sub(el, "format", d.get("format", "cow"))
        sub(el, "sparse", True)
        sub(el, "bootable", d.get("bootable", False))
        sub(el, "shareable", False)
        sub(el, "wipe_after_delete", False)
        sub(el, "propagate_errors", False)
        sub(el, "active", d.get("active", True))
        sub(el, "read_only", d.get("read_only", False))
        if ctx.engine_version >= (3, 3):
            sub(el, "storage_type", "image")
    return el


def disk_attachment(vm: dict[str, Any], d: dict[str, Any], ctx: Context) -> Element:
    base = f"{ctx.prefix}/vms/{vm['id']}/diskattachments/{d['id']}"
    el = etree.Element("disk_attachment", href=base, id=d["id"])
    sub(el, "active", d.get("active", True))
    sub(el, "bootable", d.get("bootable", False))
    sub(el, "interface", d.get("interface", "virtio"))
    if vm.get("status") == "up" and d.get("logical_name"):
        sub(el, "logical_name", d["logical_name"])
    sub(el, "pass_discard", False)
    sub(el, "read_only", d.get("read_only", False))
    sub(el, "uses_scsi_reservation", False)
    ref(el, ctx, "disk", "disks", d["id"])
    ref(el, ctx, "vm", "vms", vm["id"])
    return el


RUNNING = {"up", "powering_up", "powering_down", "paused", "migrating", "reboot_in_progress",
           "not_responding", "wait_for_launch", "saving_state", "restoring_state", "unknown"}


def vm(v: dict[str, Any], ctx: Context) -> Element:
    base = f"{ctx.prefix}/vms/{v['id']}"
    el = new("vm", ctx, "vms", v["id"])
    actions(el, base, ("cancelmigration", "migrate", "reboot", "shutdown", "start", "stop", "suspend"))
    sub(el, "name", v["name"])
    running = v.get("status") in RUNNING and v.get("host_id")
    memory = v.get("memory", 2**30)
    if ctx.version >= 4:
        sub(el, "description", v.get("description", ""))
        sub(el, "comment", "")
        links(el, base, ("affinitylabels", "cdroms", "diskattachments", "nics", "permissions",
                         "reporteddevices", "snapshots", "statistics", "tags"))
        bios = sub(el, "bios")
        sub(sub(bios, "boot_menu"), "enabled", False)
        sub(bios, "type", "i440fx_sea_bios")
        cpu = sub(el, "cpu")
        sub(cpu, "architecture", "x86_64")
        topology(cpu, ctx, v)
        sub(el, "cpu_shares", 0)
        opt(el, "creation_time", v.get("creation_time", "2019-08-20T15:13:17.128+03:00"))
        sub(el, "delete_protected", False)
        ha = sub(el, "high_availability")
        sub(ha, "enabled", v.get("ha", False))
        sub(ha, "priority", v.get("ha_priority", 1))
        sub(el, "memory", memory)
        policy = sub(el, "memory_policy")
        sub(policy, "guaranteed", v.get("guaranteed", memory))
        sub(policy, "max", v.get("max_memory", memory * 4))
        sub(el, "migration_downtime", -1)
        sub(el, "origin", v.get("origin", "ovirt"))
        os_el = sub(el, "os")
        sub(sub(sub(os_el, "boot"), "devices"), "device", "hd")
        sub(os_el, "type", v.get("os", "other"))
        placement = sub(el, "placement_policy")
        sub(placement, "affinity", v.get("affinity", "migratable"))
        if v.get("pinned_host_ids"):
            pinned = sub(placement, "hosts")
            for host_id in v["pinned_host_ids"]:
                ref(pinned, ctx, "host", "hosts", host_id)
        sub(el, "stateless", False)
        sub(sub(el, "time_zone"), "name", "Etc/GMT")
        sub(el, "type", v.get("type", "server"))
        sub(sub(el, "usb"), "enabled", False)
        ref(el, ctx, "cluster", "clusters", v.get("cluster_id"))
        ref(el, ctx, "cpu_profile", "cpuprofiles", "022fb54d-8653-4b42-8bb1-56e19349a5ee")
        sub(el, "quota", id="49ba2164-bbb7-4c2c-bfae-16a313181709")
        if running and v.get("fqdn"):
            sub(el, "fqdn", v["fqdn"])
        if running and v.get("guest_os"):
            guest_os(el, v["guest_os"])
        sub(el, "next_run_configuration_exists", v.get("next_run", False))
        sub(el, "numa_tune_mode", "interleave")
        sub(el, "run_once", False)
        if running:
            opt(el, "start_time", v.get("start_time", "2019-08-21T09:51:52.775+03:00"))
        status(el, ctx, v.get("status"))
        if not running:
            sub(el, "stop_reason", "")
        opt(el, "stop_time", v.get("stop_time", "2019-08-21T09:49:05.491+03:00"))
        if running:
            ref(el, ctx, "host", "hosts", v["host_id"])
        ref(el, ctx, "original_template", "templates", v.get("template_id"))
        ref(el, ctx, "template", "templates", v.get("template_id"))
        if "nics" in ctx.follow:
            nics = sub(el, "nics")
            for n in v.get("nics", []):
                nics.append(nic(v, n, ctx))
        if "disk_attachments" in ctx.follow:
            attachments = sub(el, "disk_attachments")
            for d in v.get("disks", []):
                attachments.append(disk_attachment(v, d, ctx))
    else:
        if v.get("description"):
            sub(el, "description", v["description"])
        links(el, base, ("applications", "cdroms", "disks", "nics", "permissions", "snapshots", "statistics", "tags"))
        sub(el, "type", v.get("type", "server"))
        status(el, ctx, v.get("status"))
        sub(el, "memory", memory)
        cpu = sub(el, "cpu")
        topology(cpu, ctx, v)
        sub(cpu, "architecture", "X86_64")
        sub(el, "cpu_shares", 0)
        os_el = sub(el, "os", type=v.get("os", "other"))
        sub(os_el, "boot", dev="hd")
        ha = sub(el, "high_availability")
        sub(ha, "enabled", v.get("ha", False))
        sub(ha, "priority", v.get("ha_priority", 1))
        if running:
            ref(el, ctx, "host", "hosts", v["host_id"])
        ref(el, ctx, "cluster", "clusters", v.get("cluster_id"))
        ref(el, ctx, "template", "templates", v.get("template_id"))
        if running:
            opt(el, "start_time", v.get("start_time", "2015-03-02T09:25:36.370-05:00"))
        if ctx.engine_version >= (3, 4):
            opt(el, "stop_time", v.get("stop_time", "2015-02-20T17:14:29.604-05:00"))
        opt(el, "creation_time", v.get("creation_time", "2015-02-17T11:47:56.855-05:00"))
        sub(el, "origin", v.get("origin", "rhev"))
        sub(el, "stateless", False)
        sub(el, "delete_protected", False)
        sub(el, "timezone", "America/New_York")
        placement = sub(el, "placement_policy")
        for host_id in v.get("pinned_host_ids", [])[:1]:  # one pinned host before 3.6's <hosts>
            ref(placement, ctx, "host", "hosts", host_id)
        sub(placement, "affinity", v.get("affinity", "migratable"))
        sub(sub(el, "memory_policy"), "guaranteed", v.get("guaranteed", memory))
        sub(sub(el, "usb"), "enabled", False)
        addresses = [ip for n in v.get("nics", []) for ip in n.get("ips", [])]
        if running and (v.get("fqdn") or addresses):
            guest = sub(el, "guest_info")
            if addresses:
                ips = sub(guest, "ips")
                for address in addresses:
                    sub(ips, "ip", address=address)
            opt(guest, "fqdn", v.get("fqdn"))
        sub(el, "next_run_configuration_exists", v.get("next_run", False))
        sub(el, "numa_tune_mode", "interleave")
    return el


def guest_os(parent: Element, info: dict[str, Any]) -> None:
    """v4 ``guest_operating_system`` (4.1+), as the guest agent reports it."""
    el = sub(parent, "guest_operating_system")
    sub(el, "architecture", "x86_64")
    opt(el, "codename", info.get("codename"))
    sub(el, "distribution", info["distribution"])
    sub(el, "family", info.get("family", "Linux"))
    kernel = sub(sub(el, "kernel"), "version")
    for tag, value in (("build", 0), ("full_version", info["kernel"]), ("major", 3), ("minor", 10), ("revision", 957)):
        sub(kernel, tag, value)
    ver = sub(el, "version")
    sub(ver, "full_version", info["version"])
    sub(ver, "major", info["version"].split(".")[0])


# --- documents ------------------------------------------------------------------------


def serialize(element: Element, level: int = 0) -> str:
    etree.indent(element, space="    ", level=level)
    text = etree.tostring(element, encoding="unicode")
    return ("    " * level) + text


def document(element: Element) -> bytes:
    return (DECLARATION + serialize(element) + "\n").encode("utf-8")


def collection(plural: str, fragments: list[str]) -> bytes:
    """A collection from pre-serialized objects (each indented at level 1)."""
    if not fragments:
        return (DECLARATION + f"<{plural}/>\n").encode("utf-8")
    body = "\n".join(fragments)
    return (DECLARATION + f"<{plural}>\n{body}\n</{plural}>\n").encode("utf-8")


ROOT_LINKS = ("clusters", "datacenters", "events", "hosts", "networks", "storagedomains", "templates", "vms",
              "disks", "vnicprofiles", "users", "groups", "roles", "tags", "jobs")


def api(ctx: Context, scenario: Any) -> bytes:
    engine = ctx.engine
    full = engine["full_version"]
    numbers = full.split("-")[0].split(".")
    major, minor = numbers[0], numbers[1] if len(numbers) > 1 else "0"
    build = numbers[2] if len(numbers) > 2 else "0"
    revision = numbers[3] if len(numbers) > 3 else "0"
    root = etree.Element("api")
    searchable = {"clusters", "datacenters", "hosts", "networks", "storagedomains", "templates", "vms", "disks", "events"}
    if ctx.version < 4:
        sub(root, "link", href=f"{ctx.prefix}/capabilities", rel="capabilities")
    for rel in ROOT_LINKS:
        if rel == "vnicprofiles" and ctx.version < 4 and ctx.engine_version < (3, 3):
            continue
        sub(root, "link", href=f"{ctx.prefix}/{rel}", rel=rel)
        if rel in searchable:
            sub(root, "link", href=f"{ctx.prefix}/{rel}?search={{query}}", rel=f"{rel}/search")
    if ctx.version >= 4:
        sub(root, "link", href=f"{ctx.prefix}/clusterlevels", rel="clusterlevels")
    blank = "00000000-0000-0000-0000-000000000000"
    product = etree.Element("product_info")
    sub(product, "name", engine["name"])
    sub(product, "vendor", engine["vendor"])
    if ctx.version >= 4:
        ver = sub(product, "version")
        for tag, value in (("build", build), ("full_version", full), ("major", major), ("minor", minor),
                           ("revision", revision)):
            sub(ver, tag, value)
        root.append(product)
        special = sub(root, "special_objects")
        sub(special, "blank_template", href=f"{ctx.prefix}/templates/{blank}", id=blank)
        sub(special, "root_tag", href=f"{ctx.prefix}/tags/{blank}", id=blank)
    else:
        special = sub(root, "special_objects")
        sub(special, "link", href=f"{ctx.prefix}/templates/{blank}", rel="templates/blank")
        sub(special, "link", href=f"{ctx.prefix}/tags/{blank}", rel="tags/root")
        if ctx.engine_version >= (3, 3):
            sub(product, "version", major=major, minor=minor, build=build, revision=revision)
            sub(product, "full_version", full)
        else:
            sub(product, "version", major=major, minor=minor, build=build, revision=revision, full_version=full)
        root.append(product)
    summary = sub(root, "summary")
    vms = scenario.vms
    hosts = scenario.hosts
    counts = (
        ("hosts", sum(1 for h in hosts if h.get("status") == "up"), len(hosts)),
        ("storage_domains", len(scenario.storage_domains), len(scenario.storage_domains)),
        ("users", 1, 1),
        ("vms", sum(1 for v in vms if v.get("status") in RUNNING), len(vms)),
    )
    for tag, active, total in counts if ctx.version >= 4 else (counts[3], counts[0], counts[2], counts[1]):
        block = sub(summary, tag)
        if ctx.version >= 4:
            sub(block, "active", active)
            sub(block, "total", total)
        else:
            sub(block, "total", total)
            sub(block, "active", active)
    if ctx.engine_version >= (3, 1):
        sub(root, "time", "2024-05-02T10:21:33.512" + engine.get("tz", "+02:00"))
    if ctx.version >= 4:
        user = "13f651ce-54a3-47fb-9558-b79bd91fd1c3"
        sub(root, "authenticated_user", href=f"{ctx.prefix}/users/{user}", id=user)
        sub(root, "effective_user", href=f"{ctx.prefix}/users/{user}", id=user)
    return document(root)


def fault(reason: str, detail: str) -> bytes:
    root = etree.Element("fault")
    sub(root, "reason", reason)
    sub(root, "detail", detail)
    return document(root)
