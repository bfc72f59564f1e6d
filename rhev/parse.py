"""Engine XML documents (API v3 and v4) to the frozen records of :mod:`rhev.model`.

Pure functions of bytes. Every document goes through
:func:`scanner.xmlparse.parse_xml`. The parsers never depend on element order
and accept both spellings of everything that changed between v3 and v4
(``status/state`` vs ``status``, ``<topology sockets=.../>`` vs
``<topology><sockets>``, ``<mac address=.../>`` vs ``<mac><address>``, ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from lxml import etree

from vminv.rhev.errors import RhevProtocolError
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
from vminv.scanner.xmlparse import XMLSyntaxProblem, parse_xml

Element = etree._Element
T = TypeVar("T")

# Collection root tag -> object tag, for every collection this client reads.
SINGULAR = {
    "vms": "vm",
    "hosts": "host",
    "clusters": "cluster",
    "data_centers": "data_center",
    "storage_domains": "storage_domain",
    "networks": "network",
    "templates": "template",
    "disks": "disk",
    "vnic_profiles": "vnic_profile",
    "nics": "nic",
    "disk_attachments": "disk_attachment",
}


def parse_document(data: bytes, what: str) -> Element:
    """Parse one engine response body; ``what`` names it in the error."""
    try:
        return parse_xml(data)
    except XMLSyntaxProblem as exc:
        raise RhevProtocolError(f"{what}: the engine's answer is not XML ({exc})") from None


def collection_items(root: Element, plural: str, what: str) -> list[Element]:
    """The object elements of a collection document (``<vms><vm/>...</vms>``)."""
    if root.tag != plural:
        raise RhevProtocolError(f"{what}: expected <{plural}>, the engine sent <{root.tag}>")
    singular = SINGULAR[plural]
    return [child for child in root if child.tag == singular]


# --- small readers that accept both v3 and v4 shapes ---------------------------------


def _text(element: Element | None, path: str | None = None) -> str | None:
    if element is None:
        return None
    # findtext is lxml's C path: this runs ~80 times per VM on a 20,000-VM engine.
    value = element.findtext(path) if path else element.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        # xsd:dateTime with milliseconds and an offset or "Z" (3.11 reads both).
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _field(element: Element | None, name: str) -> str | None:
    """A value that v3 writes as an attribute and v4 as a child element."""
    if element is None:
        return None
    child = _text(element, name)
    if child is not None:
        return child
    attribute = element.get(name)
    return attribute.strip() if attribute and attribute.strip() else None


def _status(element: Element, name: str = "status") -> str | None:
    """v3 ``<status><state>up</state></status>`` or v4 ``<status>up</status>``."""
    status = element.find(name)
    if status is None:
        return None
    return _lower(_text(status, "state") or _text(status))


def _ref(element: Element, name: str) -> str | None:
    """The id of a reference such as ``<cluster href=".." id=".."/>``."""
    ref = element.find(name)
    if ref is None:
        return None
    return ref.get("id") or None


def _version_text(element: Element | None) -> str | None:
    """``<version major= minor=/>`` (v3) or ``<version><major>..`` (v4) as "4.3"."""
    if element is None:
        return None
    major, minor = _field(element, "major"), _field(element, "minor")
    if major is None:
        return None
    return f"{major}.{minor}" if minor is not None else major


def _topology(element: Element) -> tuple[int | None, int | None, int | None]:
    return _topology_of(element.find("cpu"))


def _os_type(element: Element) -> str | None:
    os_element = element.find("os")
    return _lower(_field(os_element, "type")) if os_element is not None else None


def _required_id(element: Element, what: str) -> str:
    identifier = element.get("id")
    if not identifier:
        raise RhevProtocolError(f"{what}: an <{element.tag}> has no id")
    return identifier


def _name(element: Element) -> str:
    return _text(element, "name") or ""


# --- documents ----------------------------------------------------------------------


def parse_api(data: bytes, base_path: str) -> EngineApi:
    """The entry document; tells v3 from v4 by the shape of ``product_info/version``."""
    root = parse_document(data, f"GET {base_path}")
    if root.tag != "api":
        raise RhevProtocolError(f"GET {base_path}: expected the <api> entry document, got <{root.tag}>")
    return api_from_element(root, base_path)


def api_from_element(root: Element, base_path: str) -> EngineApi:
    product = root.find("product_info")
    version_element = product.find("version") if product is not None else None
    if version_element is None:
        version_element = root.find("version")  # minimal probes send <api><version/>
    api_version = 3
    major = minor = None
    product_version = None
    if version_element is not None:
        if version_element.find("major") is not None:
            api_version = 4  # v4 writes every attribute as an element
        major = _int(_field(version_element, "major"))
        minor = _int(_field(version_element, "minor"))
        build = _field(version_element, "build")
        product_version = _text(product, "full_version") if product is not None else None
        product_version = product_version or _field(version_element, "full_version")
        if product_version is None and major is not None:
            product_version = ".".join(str(p) for p in (major, minor, build) if p is not None)
    elif root.find("special_objects/blank_template") is not None:
        api_version = 4
    links = tuple(
        (link.get("rel") or "", link.get("href") or "") for link in root.iterfind("link") if link.get("rel")
    )
    return EngineApi(
        version=api_version,
        base_path=base_path,
        product_name=_text(product, "name") if product is not None else None,
        vendor=_text(product, "vendor") if product is not None else None,
        product_version=product_version,
        major=major,
        minor=minor,
        links=links,
    )


def parse_fault(data: bytes) -> tuple[str | None, str | None] | None:
    """``<fault><reason/><detail/></fault>`` (or inside ``<action>``): (reason, detail)."""
    try:
        root = parse_xml(data)
    except XMLSyntaxProblem:
        return None
    fault = root if root.tag == "fault" else root.find("fault")
    if fault is None:
        return None
    return _text(fault, "reason"), _text(fault, "detail")


def datacenter_from(element: Element) -> EngineDataCenter:
    return EngineDataCenter(
        id=_required_id(element, "data centers"),
        name=_name(element),
        description=_text(element, "description"),
        status=_status(element),
        storage_format=_lower(_text(element, "storage_format")),
        storage_type=_lower(_text(element, "storage_type")),
        local=_bool(_text(element, "local")),
        version=_version_text(element.find("version")),
    )


def cluster_from(element: Element) -> EngineCluster:
    cpu = element.find("cpu")
    # v3: <cpu id="Intel Westmere Family">; v4: <cpu><type>...</type>
    cpu_type = _text(cpu, "type") or (cpu.get("id") if cpu is not None else None)
    overcommit = element.find("memory_policy/over_commit")  # v4
    if overcommit is None:
        overcommit = element.find("memory_policy/overcommit")  # v3
    return EngineCluster(
        id=_required_id(element, "clusters"),
        name=_name(element),
        description=_text(element, "description"),
        datacenter_id=_ref(element, "data_center"),
        cpu_type=cpu_type,
        version=_version_text(element.find("version")),
        memory_overcommit_percent=_int(_field(overcommit, "percent")),
        transparent_hugepages=_bool(_text(element, "memory_policy/transparent_hugepages/enabled")),
        virt_service=_bool(_text(element, "virt_service")),
    )


def _full_version(element: Element | None) -> str | None:
    """``<version full_version=".."/>`` (v3) or ``<version><full_version>..`` (v4)."""
    return _field(element, "full_version")


def host_from(element: Element) -> EngineHost:
    sockets, cores, threads = _topology(element)
    host_type = _lower(_text(element, "type"))
    if host_type == "rhev-h":
        host_type = "rhev_h"  # v3 spelling of the same enum member
    os_element = element.find("os")
    cpu = element.find("cpu")
    return EngineHost(
        id=_required_id(element, "hosts"),
        name=_name(element),
        address=_text(element, "address"),
        cluster_id=_ref(element, "cluster"),
        status=_status(element),
        type=host_type,
        hardware_uuid=_text(element, "hardware_information/uuid"),
        cpu_sockets=sockets,
        cpu_cores=cores,
        cpu_threads=threads,
        memory_bytes=_int(_text(element, "memory")),
        os_type=_field(os_element, "type"),
        os_version=_full_version(os_element.find("version")) if os_element is not None else None,
        vdsm_version=_full_version(element.find("version")),
        libvirt_version=_full_version(element.find("libvirt_version")),
        cpu_model=_text(cpu, "name"),
        cpu_type=_text(cpu, "type"),
        hardware_serial=_text(element, "hardware_information/serial_number"),
        hardware_manufacturer=_text(element, "hardware_information/manufacturer"),
        hardware_product=_text(element, "hardware_information/product_name"),
    )


def network_from(element: Element) -> EngineNetwork:
    vlan = element.find("vlan")
    return EngineNetwork(
        id=_required_id(element, "networks"),
        name=_name(element),
        description=_text(element, "description"),
        datacenter_id=_ref(element, "data_center"),
        status=_status(element),
        stp=_bool(_text(element, "stp")),
        vlan_id=_int(vlan.get("id")) if vlan is not None else None,
        mtu=_int(_text(element, "mtu")),
    )


def vnic_profile_from(element: Element) -> EngineVnicProfile:
    return EngineVnicProfile(
        id=_required_id(element, "vnic profiles"),
        name=_name(element),
        network_id=_ref(element, "network"),
    )


def storage_domain_from(element: Element) -> EngineStorageDomain:
    storage = element.find("storage")
    dc_ids = [dc.get("id") or "" for dc in element.iterfind("data_centers/data_center")]
    single = _ref(element, "data_center")  # 3.0 and the DC-scoped list
    if single and single not in dc_ids:
        dc_ids.append(single)
    return EngineStorageDomain(
        id=_required_id(element, "storage domains"),
        name=_name(element),
        type=_lower(_text(element, "type")),
        storage_type=_lower(_text(storage, "type")),
        address=_text(storage, "address"),
        path=_text(storage, "path"),
        available_bytes=_int(_text(element, "available")),
        used_bytes=_int(_text(element, "used")),
        committed_bytes=_int(_text(element, "committed")),
        master=_bool(_text(element, "master")),
        status=_status(element),
        storage_format=_lower(_text(element, "storage_format")),
        datacenter_ids=tuple(d for d in dc_ids if d),
    )


def template_from(element: Element) -> EngineTemplate:
    sockets, cores, threads = _topology(element)
    return EngineTemplate(
        id=_required_id(element, "templates"),
        name=_name(element),
        description=_text(element, "description"),
        status=_status(element),
        cluster_id=_ref(element, "cluster"),
        memory_bytes=_int(_text(element, "memory")),
        cpu_sockets=sockets,
        cpu_cores=cores,
        cpu_threads=threads,
        os_type=_os_type(element),
        creation_time=_date(_text(element, "creation_time")),
    )


class _Fields:
    """An object's direct children by tag, indexed once.

    The hot converters (VMs, NICs, disks: tens of thousands per engine) read
    ~20 children each; one pass beats a linear ``find`` per field.
    """

    __slots__ = ("children",)

    def __init__(self, element: Element) -> None:
        self.children: dict[str, Element] = {}
        for child in element:
            self.children.setdefault(child.tag, child)  # the first one wins, as find() does

    def node(self, tag: str) -> Element | None:
        return self.children.get(tag)

    def text(self, tag: str) -> str | None:
        return _text(self.children.get(tag))

    def ref(self, tag: str) -> str | None:
        node = self.children.get(tag)
        return (node.get("id") or None) if node is not None else None

    def status(self) -> str | None:
        node = self.children.get("status")
        if node is None:
            return None
        return _lower(_text(node, "state") or _text(node))


def _topology_of(cpu: Element | None) -> tuple[int | None, int | None, int | None]:
    topology = cpu.find("topology") if cpu is not None else None
    if topology is None:
        return None, None, None
    return (
        _int(_field(topology, "sockets")),
        _int(_field(topology, "cores")),
        _int(_field(topology, "threads")),
    )


def _ips(container: Element | None) -> list[str]:
    """``<ips><ip address=".."/>`` (v3) or ``<ips><ip><address>..`` (v4)."""
    if container is None:
        return []
    return [address for ip in container.iterfind("ip") if (address := _field(ip, "address"))]


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def nic_from(element: Element) -> EngineNic:
    fields = _Fields(element)
    reported = fields.node("reported_devices")
    ips: list[str] = []
    if reported is not None:
        for device in reported.iterfind("reported_device"):
            ips.extend(_ips(device.find("ips")))
    return EngineNic(
        id=_required_id(element, "nics"),
        name=fields.text("name"),
        mac=_lower(_field(fields.node("mac"), "address")),
        interface=_lower(fields.text("interface")),
        plugged=_bool(fields.text("plugged")),
        network_id=fields.ref("network"),
        vnic_profile_id=fields.ref("vnic_profile"),
        guest_ips=_unique(ips),
    )


def disk_from(element: Element) -> EngineDisk:
    """A full disk: v4 ``/disks`` and v3 ``/vms/ID/disks`` (attachment data merged in)."""
    fields = _Fields(element)
    provisioned = _int(fields.text("provisioned_size")) or _int(fields.text("size"))  # 3.0: size only
    domains = fields.node("storage_domains")
    return EngineDisk(
        id=_required_id(element, "disks"),
        alias=fields.text("alias") or fields.text("name"),
        provisioned_size_bytes=provisioned,
        actual_size_bytes=_int(fields.text("actual_size")),
        format=_lower(fields.text("format")),
        interface=_lower(fields.text("interface")),
        bootable=_bool(fields.text("bootable")),
        active=_bool(fields.text("active")),
        read_only=_bool(fields.text("read_only")),
        status=fields.status(),
        content_type=_lower(fields.text("content_type")),
        storage_domain_ids=tuple(
            sd.get("id") or "" for sd in domains.iterfind("storage_domain") if sd.get("id")
        ) if domains is not None else (),
        image_id=fields.text("image_id"),
        shareable=_bool(fields.text("shareable")),
        sparse=_bool(fields.text("sparse")),
        storage_type=_lower(fields.text("storage_type")),
        logical_name=fields.text("logical_name"),
    )


def disk_attachment_from(element: Element) -> EngineDisk:
    """A v4 attachment; sizes and format come later from the global ``/disks``."""
    fields = _Fields(element)
    disk_id = fields.ref("disk") or _required_id(element, "disk attachments")
    return EngineDisk(
        id=disk_id,
        alias=None,
        provisioned_size_bytes=None,
        actual_size_bytes=None,
        format=None,
        interface=_lower(fields.text("interface")),
        bootable=_bool(fields.text("bootable")),
        active=_bool(fields.text("active")),
        read_only=_bool(fields.text("read_only")),
        status=None,
        content_type=None,
        storage_domain_ids=(),
        logical_name=fields.text("logical_name"),
    )


def _inline(container: Element | None, plural: str, convert: Callable[[Element], T]) -> tuple[T, ...] | None:
    """Objects inlined by ``follow=`` (``<nics><nic>..``); None when not inlined."""
    if container is None:
        return None
    singular = SINGULAR[plural]
    return tuple(convert(child) for child in container if child.tag == singular)


def _pinned_hosts(placement: Element | None) -> tuple[str, ...]:
    """``placement_policy/hosts/host`` (v4, v3 3.6) or the single ``placement_policy/host`` (v3)."""
    if placement is None:
        return ()
    hosts = [h.get("id") or "" for h in placement.iterfind("hosts/host")]
    hosts += [h.get("id") or "" for h in placement.iterfind("host")]
    return _unique([h for h in hosts if h])


def with_nics(vm: EngineVm, nics: tuple[EngineNic, ...] | None) -> EngineVm:
    """``vm`` with its NICs, and the addresses the guest agent reports on them among its guest IPs."""
    ips = list(vm.guest_ips)
    for nic in nics or ():
        ips.extend(nic.guest_ips)
    return dataclasses.replace(vm, nics=nics, guest_ips=_unique(ips))


def vm_from(element: Element) -> EngineVm:
    fields = _Fields(element)
    sockets, cores, threads = _topology_of(fields.node("cpu"))
    os_element = fields.node("os")
    guest_os = fields.node("guest_operating_system")  # v4
    guest_info = fields.node("guest_info")  # v3
    policy = fields.node("memory_policy")
    availability = fields.node("high_availability")
    placement = fields.node("placement_policy")
    vm = EngineVm(
        id=_required_id(element, "vms").lower(),
        name=fields.text("name") or "",
        status=fields.status(),
        host_id=fields.ref("host"),  # direct child only: placement_policy/host is pinning
        cluster_id=fields.ref("cluster"),
        template_id=fields.ref("template"),
        memory_bytes=_int(fields.text("memory")),
        cpu_sockets=sockets,
        cpu_cores=cores,
        cpu_threads=threads,
        os_type=_lower(_field(os_element, "type")),
        origin=_lower(fields.text("origin")),
        type=_lower(fields.text("type")),
        description=fields.text("description"),
        creation_time=_date(fields.text("creation_time")),
        start_time=_date(fields.text("start_time")),
        stop_time=_date(fields.text("stop_time")),
        fqdn=fields.text("fqdn") or _text(guest_info, "fqdn"),
        guest_os_family=_text(guest_os, "family"),
        guest_os_distribution=_text(guest_os, "distribution"),
        guest_os_version=_full_version(guest_os.find("version")) if guest_os is not None else None,
        guest_os_kernel=_full_version(guest_os.find("kernel/version")) if guest_os is not None else None,
        guest_ips=_unique(_ips(guest_info.find("ips")) if guest_info is not None else []),
        guaranteed_memory_bytes=_int(_text(policy, "guaranteed")),
        max_memory_bytes=_int(_text(policy, "max")),
        high_availability=_bool(_text(availability, "enabled")),
        ha_priority=_int(_text(availability, "priority")),
        placement_affinity=_lower(_text(placement, "affinity")),
        pinned_host_ids=_pinned_hosts(placement),
        pending_configuration=_bool(fields.text("next_run_configuration_exists")),
        disks=_inline(fields.node("disk_attachments"), "disk_attachments", disk_attachment_from),
    )
    return with_nics(vm, _inline(fields.node("nics"), "nics", nic_from))


def parse_collection(data: bytes, plural: str, convert: Callable[[Element], T], what: str) -> list[T]:
    """A whole collection document to records (used for sub-collections and tests)."""
    return [convert(item) for item in collection_items(parse_document(data, what), plural, what)]


CONVERTERS: dict[str, Callable[[Element], object]] = {
    "vms": vm_from,
    "hosts": host_from,
    "clusters": cluster_from,
    "data_centers": datacenter_from,
    "storage_domains": storage_domain_from,
    "networks": network_from,
    "templates": template_from,
    "disks": disk_from,
    "vnic_profiles": vnic_profile_from,
    "nics": nic_from,
    "disk_attachments": disk_attachment_from,
}
