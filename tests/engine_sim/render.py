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
        # RHEV 3.5 writes no threads attribute on VMs (threads came in 3.6 for them; hosts always had it).
        keep_threads = "threads" in item or ctx.engine_version >= (3, 6)
        sub(parent, "topology", sockets=sockets, cores=cores, threads=threads if keep_threads else None)


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
        ref(el, ctx, "mac_pool", "macpools", MAC_POOL)
    else:
        later = ctx.engine_version >= LATER_V3
        if dc.get("storage_type") or not later:  # every 3.1 data center names one
            sub(el, "storage_type", dc.get("storage_type", "nfs"))
        if later:
            sub(el, "local", dc.get("local", False))
        sub(el, "storage_format", dc.get("storage_format"))
        version(el, ctx, dc.get("version"))
        supported = sub(el, "supported_versions")
        version(supported, ctx, dc.get("version"))
        status(el, ctx, dc.get("status"))
        if later:
            sub(el, "quota_mode", "disabled")
    return el


MAC_POOL = "31c97ad0-45b3-4784-a120-f89bbc89611c"
# Elements RHEV 3.1's recorded responses lack and 3.5's have (fixtures/engine/shapes): the
# simulator adds them from 3.5 mode on; for 3.2-3.4 no recording says when each came.
LATER_V3 = (3, 5)


def cluster(cl: dict[str, Any], ctx: Context) -> Element:
    el = new("cluster", ctx, "clusters", cl["id"])
    if ctx.version >= 4:  # RHEV 3.5 lists clusters without actions
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
        properties = sub(el, "custom_scheduling_policy_properties")
        for name, value in (("HighUtilization", 80), ("CpuOverCommitDurationMinutes", 2)):
            prop = sub(properties, "property")
            sub(prop, "name", name)
            sub(prop, "value", value)
        sub(sub(el, "error_handling"), "on_error", "migrate")
        fencing = sub(el, "fencing_policy")
        sub(fencing, "enabled", True)
        broken = sub(fencing, "skip_if_connectivity_broken")
        sub(broken, "enabled", False)
        sub(broken, "threshold", 50)
        sub(fencing, "skip_if_gluster_bricks_up", False)
        sub(fencing, "skip_if_gluster_quorum_not_met", False)
        sub(sub(fencing, "skip_if_sd_active"), "enabled", False)
        sub(el, "firewall_type", "firewalld")
        sub(el, "gluster_service", False)
        sub(el, "ha_reservation", False)
        ksm = sub(el, "ksm")
        sub(ksm, "enabled", True)
        sub(ksm, "merge_across_nodes", True)
        policy = sub(el, "memory_policy")
        sub(sub(policy, "over_commit"), "percent", overcommit)
        sub(sub(policy, "transparent_hugepages"), "enabled", hugepages)
        migration = sub(el, "migration")
        sub(migration, "auto_converge", "inherit")
        sub(sub(migration, "bandwidth"), "assignment_method", "auto")
        sub(migration, "compressed", "inherit")
        sub(sub(el, "required_rng_sources"), "required_rng_source", "random")
        sub(el, "switch_type", "legacy")
        sub(el, "threads_as_cores", False)
        sub(el, "trusted_service", False)
        sub(el, "tunnel_migration", False)
        version(el, ctx, cl.get("version", "4.3"))
        sub(el, "virt_service", cl.get("virt_service", True))
        ref(el, ctx, "data_center", "datacenters", cl.get("datacenter_id"))
        ref(el, ctx, "mac_pool", "macpools", MAC_POOL)
        ref(el, ctx, "scheduling_policy", "schedulingpolicies", "7ce0a012-b949-4cae-b591-a7e3539cfb05")
    else:
        later = ctx.engine_version >= LATER_V3
        cpu = sub(el, "cpu", id=cl.get("cpu_type", "Intel Westmere Family"))
        if later:
            sub(cpu, "architecture", "X86_64")
        ref(el, ctx, "data_center", "datacenters", cl.get("datacenter_id"))
        policy = sub(el, "memory_policy")
        sub(policy, "overcommit", percent=overcommit)
        sub(sub(policy, "transparent_hugepages"), "enabled", hugepages)
        if not later:
            sub(el, "scheduling_policy")  # empty in 3.1
        else:
            scheduling = sub(el, "scheduling_policy", href=f"{ctx.prefix}/schedulingpolicies/b4ed2332-a7ac-4d5f-9596-99a439cb2812",
                             id="b4ed2332-a7ac-4d5f-9596-99a439cb2812")
            sub(scheduling, "name", "none")
            sub(scheduling, "policy", "none")
        version(el, ctx, cl.get("version", "3.5"))
        sub(sub(el, "error_handling"), "on_error", "migrate")
        sub(el, "virt_service", cl.get("virt_service", True))
        sub(el, "gluster_service", False)
        if not later:
            return el
        sub(el, "threads_as_cores", False)
        sub(el, "tunnel_migration", False)
        sub(el, "trusted_service", False)
        sub(el, "ha_reservation", False)
        sub(el, "optional_reason", False)
        sub(el, "ballooning_enabled", False)
        sub(sub(el, "ksm"), "enabled", True)
        sub(el, "required_rng_sources")
    return el


def network(nw: dict[str, Any], ctx: Context) -> Element:
    el = new("network", ctx, "networks", nw["id"])
    sub(el, "name", nw["name"])
    sub(el, "description", nw.get("description", ""))
    if ctx.version >= 4:
        sub(el, "comment", "")
    later = ctx.version >= 4 or ctx.engine_version >= LATER_V3
    if later:
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
        if later:
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
    if ctx.version < 4 and ctx.engine_version < LATER_V3:
        # 3.1: no description; the one data center right after the name
        if sd.get("datacenter_ids"):
            ref(el, ctx, "data_center", "datacenters", sd["datacenter_ids"][0])
    else:
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
        sub(el, "block_size", 512)
        sub(el, "committed", sd.get("committed", 0))
        sub(el, "critical_space_action_blocker", 5)
        sub(el, "discard_after_delete", False)
        sub(el, "external_status", "ok")
        sub(el, "master", sd.get("master", False))
        if unattached:
            status(el, ctx, "unattached")
        storage_block()
        sub(el, "storage_format", sd.get("storage_format", "v5"))
        sub(el, "supports_discard", False)
        sub(el, "supports_discard_zeroes_data", False)
        sub(el, "type", sd.get("type", "data"))
        opt(el, "used", sd.get("used"))
        sub(el, "warning_low_space_indicator", 10)
        sub(el, "wipe_after_delete", False)
        if not unattached:
            dcs = sub(el, "data_centers")
            for dc_id in sd["datacenter_ids"]:
                ref(dcs, ctx, "data_center", "datacenters", dc_id)
    else:
        later = ctx.engine_version >= LATER_V3
        if not unattached and later:
            dcs = sub(el, "data_centers")
            for dc_id in sd["datacenter_ids"]:
                ref(dcs, ctx, "data_center", "datacenters", dc_id, href=False)  # v3: id only
        sub(el, "type", sd.get("type", "data"))
        if not later and unattached:
            status(el, ctx, "unattached")  # 3.1: right after the type
        if later:
            sub(sub(el, "external_status"), "state", "ok")
        sub(el, "master", sd.get("master", False))
        storage_block()
        opt(el, "available", sd.get("available"))
        opt(el, "used", sd.get("used"))
        opt(el, "committed", sd.get("committed"))
        sub(el, "storage_format", sd.get("storage_format", "v5"))
        if unattached and later:
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
        values = (("family", "PowerEdge"), ("manufacturer", "Dell Inc."), ("product_name", "PowerEdge R640"),
                  ("serial_number", h.get("serial", "8F1VQ23")), ("uuid", h.get("hw_uuid")), ("version", "01"))
        if ctx.version >= 4:  # alphabetical, rng sources before uuid
            for tag, value in values[:4]:
                sub(hw, tag, value)
            sub(sub(hw, "supported_rng_sources"), "supported_rng_source", "random")
            for tag, value in values[4:]:
                opt(hw, tag, value)
        else:  # 3.x: manufacturer, version, serial, product, uuid, family, rng sources
            for tag in ("manufacturer", "version", "serial_number", "product_name", "uuid", "family"):
                opt(hw, tag, dict(values)[tag])
            sub(sub(hw, "supported_rng_sources"), "source", "RANDOM")

    def flag(tag: str, value: bool = False) -> None:
        sub(sub(el, tag), "enabled", value)

    def ssh() -> None:
        block = sub(el, "ssh")
        if ctx.version >= 4:
            sub(block, "fingerprint", "SHA256:nNTNXVUHu8sM6t4a2W+y/ZpnsvpFeXvS088wBRBz+qY")
            sub(block, "port", 22)
        else:
            sub(block, "port", 22)
            sub(block, "fingerprint", "ae:57:8c:12:fa:3b:ba:52:ea:f1:d5:b3:fa:fd:8b:0a")

    def v3_head() -> None:
        sub(el, "address", address)
        cert = sub(el, "certificate")
        sub(cert, "organization", "example.com")
        sub(cert, "subject", f"O=example.com,CN={address}")
        status(el, ctx, h.get("status", "up"))
        ref(el, ctx, "cluster", "clusters", h.get("cluster_id"))
        sub(el, "port", 54321)
        sub(el, "type", "rhev-h" if host_type in ("rhev_h", "ovirt_node") else host_type)
        sub(el, "storage_manager", False, priority=5)

    def summary() -> None:
        block = sub(el, "summary")
        for tag, value in (("active", 1), ("migrating", 0), ("total", 1)):
            sub(block, tag, value)

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
        flag("device_passthrough")
        sub(el, "external_status", "ok")
        hardware()
        sub(sub(el, "iscsi"), "initiator", f"iqn.1994-05.com.redhat:{h['name']}")
        sub(el, "kdump_status", "disabled")
        flag("ksm")
        libvirt = sub(el, "libvirt_version")
        for tag, value in (("build", 0), ("full_version", h.get("libvirt", "libvirt-4.5.0-10.el7_6.10")),
                           ("major", 4), ("minor", 5), ("revision", 0)):
            sub(libvirt, tag, value)
        sub(el, "max_scheduling_memory", memory - 404750336)
        sub(el, "memory", memory)
        sub(el, "numa_supported", False)
        os_el = sub(el, "os")
        sub(os_el, "custom_kernel_cmdline", "")
        sub(os_el, "reported_kernel_cmdline", "BOOT_IMAGE=/vmlinuz-3.10.0-957.el7.x86_64 root=/dev/mapper/rhel-root ro")
        sub(os_el, "type", h.get("os", "RHEL"))
        os_version = sub(os_el, "version")
        sub(os_version, "full_version", h.get("os_version", "7.6 - 4.el7"))
        sub(os_version, "major", 7)
        sub(os_version, "minor", 6)
        sub(el, "port", 54321)
        power = sub(el, "power_management")
        sub(power, "automatic_pm_enabled", True)
        sub(power, "enabled", False)
        sub(power, "kdump_detection", True)
        sub(power, "pm_proxies")
        sub(el, "protocol", "stomp")
        sub(sub(el, "se_linux"), "mode", "enforcing")
        spm = sub(el, "spm")
        sub(spm, "priority", 5)
        sub(spm, "status", "none")
        ssh()
        status(el, ctx, h.get("status", "up"))
        summary()
        flag("transparent_hugepages", True)
        sub(el, "type", host_type)
        sub(el, "update_available", False)
        ver = sub(el, "version")
        for tag, value in (("build", 17), ("full_version", h.get("vdsm", "vdsm-4.30.17-1.el7ev")), ("major", 4),
                           ("minor", 30), ("revision", 0)):
            sub(ver, tag, value)
        ref(el, ctx, "cluster", "clusters", h.get("cluster_id"))
    elif ctx.engine_version < LATER_V3:  # 3.1: no VDSM version, OS, libvirt, ssh yet
        v3_head()
        hardware()
        power = sub(el, "power_management")
        sub(power, "enabled", False)
        sub(sub(power, "options"), "option", name="secure", value="false")
        flag("ksm")
        flag("transparent_hugepages", True)
        sub(sub(el, "iscsi"), "initiator", f"iqn.1994-05.com.redhat:{h['name']}")
        cpu = sub(el, "cpu")
        sub(cpu, "topology", sockets=2, cores=16)
        sub(cpu, "name", "Intel(R) Xeon(R) CPU           E5649  @ 2.53GHz")
        sub(cpu, "speed", 2527)
        sub(el, "memory", memory)
        sub(el, "max_scheduling_memory", memory - 404750336)
        summary()
    else:
        v3_head()
        if ctx.engine_version >= (3, 5):
            sub(sub(el, "spm"), "priority", 5)
        sub(el, "version", major=4, minor=16, build=8, revision=1, full_version=h.get("vdsm", "vdsm-4.16.8.1-5.el6ev"))
        hardware()
        power = sub(el, "power_management", type="ipmilan")
        sub(power, "enabled", False)
        sub(power, "options")
        sub(power, "automatic_pm_enabled", True)
        sub(power, "kdump_detection", False)
        flag("ksm")
        flag("transparent_hugepages", True)
        sub(sub(el, "iscsi"), "initiator", f"iqn.1994-05.com.redhat:{h['name']}")
        ssh()
        cpu = sub(el, "cpu")
        topology(cpu, ctx, {"sockets": 2, "cores": 16, "threads": 2})
        sub(cpu, "name", "Intel(R) Xeon(R) CPU           E5649  @ 2.53GHz")
        sub(cpu, "speed", 2527)
        sub(el, "memory", memory)
        sub(el, "max_scheduling_memory", memory - 404750336)
        summary()
        sub(el, "protocol", "xml")
        sub(sub(el, "os", type=h.get("os", "RHEL")), "version", full_version=h.get("os_version", "6Server - 6.6.0.2.el6"))
        sub(el, "libvirt_version", major=0, minor=10, build=2, revision=0,
            full_version=h.get("libvirt", "libvirt-0.10.2-46.el6_6.3"))
        sub(el, "kdump_status", "disabled")
        sub(sub(el, "selinux"), "mode", "enforcing")
        sub(el, "auto_numa_status", "unknown")
        sub(el, "numa_supported", False)
        sub(el, "live_snapshot_support", True)
    return el


def template(t: dict[str, Any], ctx: Context) -> Element:
    el = new("template", ctx, "templates", t["id"])
    actions(el, f"{ctx.prefix}/templates/{t['id']}", ("export",))
    sub(el, "name", t["name"])
    sub(el, "description", t.get("description", ""))
    sub_links = ("diskattachments", "nics", "permissions", "tags") if ctx.version >= 4 else ("disks", "nics", "permissions", "tags")
    links(el, f"{ctx.prefix}/templates/{t['id']}", sub_links)
    if ctx.version >= 4:
        vm_base_v4(el, t, ctx, t.get("memory", 2**30), running=False)
        ref(el, ctx, "cluster", "clusters", t.get("cluster_id"))
        if t.get("cluster_id"):
            ref(el, ctx, "cpu_profile", "cpuprofiles", "022fb54d-8653-4b42-8bb1-56e19349a5ee")
        status(el, ctx, t.get("status", "ok"))
        ver = sub(el, "version")
        ref(ver, ctx, "base_template", "templates", t["id"])
        sub(ver, "version_name", "base version")
        sub(ver, "version_number", 1)
    else:  # the 3.1 recording's order
        sub(el, "type", t.get("type", "server"))
        status(el, ctx, t.get("status", "ok"))
        sub(el, "memory", t.get("memory", 2**30))
        cpu = sub(el, "cpu")
        topology(cpu, ctx, t)
        if ctx.engine_version >= LATER_V3:
            sub(cpu, "architecture", "X86_64")
        os_el = sub(el, "os", type=t.get("os", "other"))
        sub(os_el, "boot", dev="hd")
        ref(el, ctx, "cluster", "clusters", t.get("cluster_id"))
        opt(el, "creation_time", t.get("creation_time"))
        sub(el, "origin", t.get("origin", "rhev"))
        ha = sub(el, "high_availability")
        sub(ha, "enabled", False)
        sub(ha, "priority", 1)
        display = sub(el, "display")
        sub(display, "type", "spice")
        sub(display, "monitors", 1)
        sub(display, "allow_override", False)
        sub(el, "stateless", False)
        sub(sub(el, "usb"), "enabled", False)
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
        if ctx.engine_version >= LATER_V3:
            sub(el, "linked", True)
        sub(el, "interface", n.get("interface", "virtio"))
        sub(el, "mac", address=n["mac"])
        if ctx.engine_version >= (3, 1):
            sub(el, "active", plugged)
        if ctx.engine_version >= LATER_V3:
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
        sub(el, "actual_size", d.get("actual_size", 0))
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
        if ctx.engine_version >= (3, 1):  # recorded in 3.1 (not in the 3.0 XSD)
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
        if ctx.engine_version >= LATER_V3:
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
        vm_base_v4(el, v, ctx, memory, running=bool(running))
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
        # RHEV 3.5 order (VmBase then VM members of the 3.x XSD); 3.1 has fewer members.
        later = ctx.engine_version >= LATER_V3
        if v.get("description"):
            sub(el, "description", v["description"])
        links(el, base, ("applications", "cdroms", "disks", "nics", "permissions", "snapshots", "statistics", "tags"))
        sub(el, "type", v.get("type", "server"))
        status(el, ctx, v.get("status"))
        if not running and later:
            sub(el, "stop_reason", "")
        sub(el, "memory", memory)
        cpu = sub(el, "cpu")
        topology(cpu, ctx, v)
        if later:
            sub(cpu, "architecture", "X86_64")
            sub(el, "cpu_shares", 0)
            sub(sub(sub(el, "bios"), "boot_menu"), "enabled", False)
        os_el = sub(el, "os", type=v.get("os", "other"))
        sub(os_el, "boot", dev="hd")
        ha = sub(el, "high_availability")
        sub(ha, "enabled", v.get("ha", False))
        sub(ha, "priority", v.get("ha_priority", 1))
        display = sub(el, "display")
        sub(display, "type", v.get("display", "spice"))
        if running:
            sub(display, "address", v.get("display_address", "10.0.10.21"))
            sub(display, "secure_port", 5901)
        sub(display, "monitors", 1)
        if later:
            sub(display, "single_qxl_pci", False)
        sub(display, "allow_override", False)
        if later:
            sub(display, "smartcard_enabled", False)
            sub(display, "file_transfer_enabled", True)
            sub(display, "copy_paste_enabled", True)
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
        if later:
            sub(el, "delete_protected", False)
            sub(sub(sub(el, "sso"), "methods"), "method", id="GUEST_AGENT")
            sub(el, "timezone", "America/New_York")
        placement = sub(el, "placement_policy")
        for host_id in v.get("pinned_host_ids", [])[:1]:  # one pinned host before 3.6's <hosts>
            ref(placement, ctx, "host", "hosts", host_id, href=later)
        sub(placement, "affinity", v.get("affinity", "migratable"))
        sub(sub(el, "memory_policy"), "guaranteed", v.get("guaranteed", memory))
        addresses = [ip for n in v.get("nics", []) for ip in n.get("ips", [])]
        if running and (v.get("fqdn") or addresses):
            guest = sub(el, "guest_info")
            if addresses:
                ips = sub(guest, "ips")
                for address in addresses:
                    sub(ips, "ip", address=address)
            opt(guest, "fqdn", v.get("fqdn"))
        if not later:
            sub(el, "quota", id="00000000-0000-0000-0000-000000000000")
        sub(sub(el, "usb"), "enabled", False)
        if not later:
            return el
        sub(el, "migration_downtime", -1)
        ref(el, ctx, "cpu_profile", "cpuprofiles", "b1cbb890-529f-4bb1-b73c-9f2082eb6bd6")
        sub(el, "next_run_configuration_exists", v.get("next_run", False))
        sub(el, "numa_tune_mode", "interleave")
    return el


ICON = "14ca85cd-8c70-9adf-2c69-884beb8ac3fb"


def vm_base_v4(el: Element, item: dict[str, Any], ctx: Context, memory: int, running: bool) -> None:
    """The VmBase members a v4 VM and template share, in the engine's order (bios ... usb)."""
    bios = sub(el, "bios")
    sub(sub(bios, "boot_menu"), "enabled", False)
    sub(bios, "type", "i440fx_sea_bios")
    cpu = sub(el, "cpu")
    sub(cpu, "architecture", "x86_64")
    topology(cpu, ctx, item)
    sub(el, "cpu_shares", 0)
    opt(el, "creation_time", item.get("creation_time", "2019-08-20T15:13:17.128+03:00"))
    sub(el, "delete_protected", False)
    display = sub(el, "display")
    if running:
        sub(display, "address", item.get("display_address", "10.0.10.21"))
    sub(display, "allow_override", False)
    sub(display, "copy_paste_enabled", True)
    sub(display, "disconnect_action", "LOCK_SCREEN")
    sub(display, "file_transfer_enabled", True)
    sub(display, "monitors", 1)
    if running:
        sub(display, "port", 5900)
        sub(display, "secure_port", 5901)
    sub(display, "single_qxl_pci", False)
    sub(display, "smartcard_enabled", False)
    sub(display, "type", item.get("display", "spice"))
    ha = sub(el, "high_availability")
    sub(ha, "enabled", item.get("ha", False))
    sub(ha, "priority", item.get("ha_priority", 1))
    sub(sub(el, "io"), "threads", 1)
    sub(el, "large_icon", href=f"{ctx.prefix}/icons/{ICON}", id=ICON)
    sub(el, "memory", memory)
    policy = sub(el, "memory_policy")
    sub(policy, "guaranteed", item.get("guaranteed", memory))
    sub(policy, "max", item.get("max_memory", memory * 4))
    migration = sub(el, "migration")
    sub(migration, "auto_converge", "inherit")
    sub(migration, "compressed", "inherit")
    sub(el, "migration_downtime", -1)
    sub(el, "multi_queues_enabled", True)
    sub(el, "origin", item.get("origin", "ovirt"))
    os_el = sub(el, "os")
    sub(sub(sub(os_el, "boot"), "devices"), "device", "hd")
    sub(os_el, "type", item.get("os", "other"))
    placement = sub(el, "placement_policy")
    sub(placement, "affinity", item.get("affinity", "migratable"))
    if item.get("pinned_host_ids"):
        pinned = sub(placement, "hosts")
        for host_id in item["pinned_host_ids"]:
            ref(pinned, ctx, "host", "hosts", host_id)
    sub(el, "small_icon", href=f"{ctx.prefix}/icons/{ICON}", id=ICON)
    sub(sub(sub(el, "sso"), "methods"), "method", id="guest_agent")
    sub(el, "start_paused", False)
    sub(el, "stateless", False)
    sub(el, "storage_error_resume_behaviour", "auto_resume")
    sub(sub(el, "time_zone"), "name", "Etc/GMT")
    sub(el, "type", item.get("type", "server"))
    sub(sub(el, "usb"), "enabled", False)


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
        else:  # RHEV 3.0 and 3.1 (recorded) name no full version at all
            sub(product, "version", major=major, minor=minor, build=build, revision=revision)
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
