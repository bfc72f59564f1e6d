"""Domain XML (``virsh dumpxml`` / ``XMLDesc(0)``) to :class:`GuestRecord`.

A pure function of its inputs: no libvirt, no I/O. Lenient about what it does
not know (hosts run older and newer libvirt than ours), strict about what it
needs (a name, a UUID, a memory size that converts).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import NamedTuple

from lxml import etree

from vminv.errors import DomainXMLError
from vminv.scanner.model import Disk, Graphics, GuestRecord, Nic
from vminv.scanner.units import (
    COUNT_MAX,
    DOMAIN_ID_MAX,
    MEMORY_KIB_MAX,
    PORT_MAX,
    bounded_int,
    canonical_mac,
    shown_value,
    to_kib,
)
from vminv.scanner.xmlparse import MAX_HOST_DOCUMENT_BYTES, XMLSyntaxProblem, parse_xml

OVIRT_VM_NS = "http://ovirt.org/vm/1.0"

# virDomainState, as getAllDomainStats' state.state and virsh print it.
DOMAIN_STATES = {
    0: "nostate",
    1: "running",
    2: "blocked",
    3: "paused",
    4: "shutdown",  # being shut down
    5: "shutoff",
    6: "crashed",
    7: "pmsuspended",
}

# A <graphics> start tag; attribute values may hold '>' (legal in XML).
_GRAPHICS_TAG = re.compile(r"""<graphics\b(?:[^>"']|"[^"]*"|'[^']*')*>""")
_PASSWD_ATTRIBUTE = re.compile(r"""\s+passwd\s*=\s*(?:"[^"]*"|'[^']*')""")


def without_graphics_passwords(xml: str) -> str:
    """The domain XML with every ``<graphics passwd=...>`` attribute removed.

    A read-only connection never shows the password, but a replay folder
    saved with ``virsh dumpxml --security-info`` does; the XML we keep (the
    inventory's kvm_nodedata, ``rscan --save``) must not carry it. The record
    keeps only whether a password is set.
    """
    if "passwd" not in xml:
        return xml
    return _GRAPHICS_TAG.sub(lambda tag: _PASSWD_ATTRIBUTE.sub("", tag.group(0)), xml)


def state_name(code: int | None) -> str:
    if code is None:
        return "nostate"
    return DOMAIN_STATES.get(code, "nostate")


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


_HEX_DIGITS = frozenset(string.hexdigits)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


def _canonical_uuid(text: str) -> str:
    """libvirt's printed form of a UUID: lower case, dashes at 8-4-4-4-12.

    libvirt accepts 32 hex digits with dashes anywhere (or none) and prints
    them canonically; a hand-written or foreign file must key the same guest
    the same way, so normalise rather than keep the spelling.
    """
    if _CANONICAL_UUID.fullmatch(text):  # as libvirt writes it: nothing to change
        return text
    digits = text.replace("-", "").lower()
    if len(digits) != 32 or not _HEX_DIGITS.issuperset(digits):
        raise DomainXMLError(f"domain <uuid> {text!r} is not a UUID")
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _int(value: str | None, what: str, maximum: int = COUNT_MAX, minimum: int = 0) -> int | None:
    """An integer field within the range libvirt's C type for it allows."""
    if value is None or value == "":
        return None
    try:
        return bounded_int(value, what, maximum, minimum)
    except ValueError as exc:
        raise DomainXMLError(str(exc)) from None


def _nic_source(kind: str, source: etree._Element | None) -> str | None:
    if source is None:
        return None
    if kind == "bridge":
        return source.get("bridge")
    if kind == "network":
        return source.get("network")
    if kind == "direct":
        return source.get("dev")
    if kind == "vhostuser":
        return source.get("path")
    return None


def _disk_source(kind: str, source: etree._Element | None) -> str | None:
    value = _disk_source_value(kind, source)
    # libvirt reads an empty path (VDSM's empty cdrom, ``<source file=''/>``) as
    # no medium at all: the dump of such a domain has no <source> (checked
    # against libvirt's own parser in tests/test_domainxml.py).
    return value or None


def _disk_source_value(kind: str, source: etree._Element | None) -> str | None:
    if source is None:
        return None
    if kind == "file":
        return source.get("file")
    if kind == "block":
        return source.get("dev")
    if kind == "dir":
        return source.get("dir")
    if kind == "volume":
        pool, volume = source.get("pool") or None, source.get("volume") or None
        if pool is None and volume is None:
            return None
        return f"{pool or ''}/{volume or ''}"
    if kind == "network":
        protocol, name = source.get("protocol"), source.get("name") or None
        if name is None:
            return protocol
        return f"{protocol}:{name}" if protocol else name
    if kind == "nvme":
        address = source.find("address")
        if address is not None and address.get("domain") is not None:
            return (
                f"nvme:{address.get('domain')}:{address.get('bus')}:"
                f"{address.get('slot')}.{address.get('function')}/{source.get('namespace') or 1}"
            )
        return None
    return source.get("file") or source.get("dev") or source.get("path")


def _pci_address(address: etree._Element | None) -> str | None:
    """``<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' function='0x1'/>`` as 0000:3b:02.1."""
    if address is None or address.get("type", "pci") != "pci":
        return None
    try:
        domain, bus, slot, function = (int(address.get(a) or "0", 0) for a in ("domain", "bus", "slot", "function"))
    except ValueError:
        return None
    if not (0 <= domain <= 0xFFFF and 0 <= bus <= 0xFF and 0 <= slot <= 0x1F and 0 <= function <= 7):
        return None
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function:x}"


# Extraction walks each element's children once and picks what it needs, rather
# than one ``find`` per field: every ``find`` walks the children again, and that
# was most of the time of a parse (bench/bench_parse.py).


def _first_children(element: etree._Element, tags: frozenset[str]) -> dict[str, etree._Element]:
    """The first child of each tag in ``tags``, as ``element.find(tag)`` would give it."""
    found: dict[str, etree._Element] = {}
    for child in element:
        tag = child.tag
        if tag in tags and tag not in found:
            found[tag] = child
    return found


_NIC_PARTS = frozenset({"mac", "source", "model", "target", "alias"})
_DISK_PARTS = frozenset({"source", "target", "driver", "readonly", "shareable", "serial", "alias"})


def _mac(text: str) -> str:
    # It becomes xCAT's mac table and a stanza's mac= line: never free text.
    try:
        return canonical_mac(text)
    except ValueError as exc:
        raise DomainXMLError(f"<mac address> {exc}") from None


def _alias(element: etree._Element | None) -> str | None:
    return (element.get("name") or None) if element is not None else None


def _nic(iface: etree._Element) -> Nic:
    kind = iface.get("type") or "unknown"
    parts = _first_children(iface, _NIC_PARTS)
    mac, model, target = parts.get("mac"), parts.get("model"), parts.get("target")
    mac_address = mac.get("address") if mac is not None else None
    source = parts.get("source")
    return Nic(
        type=kind,
        mac=_mac(mac_address) if mac_address else None,
        source=_nic_source(kind, source),
        model=model.get("type") if model is not None else None,
        target=target.get("dev") if target is not None else None,
        alias=_alias(parts.get("alias")),
        source_pci=_pci_address(source.find("address")) if kind == "hostdev" and source is not None else None,
    )


def _disk(disk: etree._Element, vdsm: dict[str, dict[str, str]]) -> Disk:
    kind = disk.get("type") or "file"
    parts = _first_children(disk, _DISK_PARTS)
    target, driver = parts.get("target"), parts.get("driver")
    target_dev = target.get("dev") if target is not None else None
    ids = vdsm.get(target_dev or "", {})
    return Disk(
        device=disk.get("device") or "disk",
        type=kind,
        source=_disk_source(kind, parts.get("source")),
        target=target_dev,
        bus=target.get("bus") if target is not None else None,
        format=driver.get("type") if driver is not None else None,
        readonly="readonly" in parts,
        shareable="shareable" in parts,
        serial=_text(parts.get("serial")),
        alias=_alias(parts.get("alias")),
        vdsm_domain_id=ids.get("domainID"),
        vdsm_image_id=ids.get("imageID"),
        vdsm_volume_id=ids.get("volumeID"),
    )


def _listen(graphics: etree._Element) -> str | None:
    """Where a VNC/SPICE display listens, as the XML says; None for the host's default.

    libvirt mirrors the first ``<listen type='address'>`` into the ``listen``
    attribute; ``type='network'`` resolves to that network's address (beyond
    loopback, so it is named), ``socket`` is a local UNIX socket.
    """
    element = next(graphics.iterchildren("listen"), None)
    if element is not None:
        kind = element.get("type") or "address"
        if kind == "network":
            return element.get("address") or f"network:{element.get('network') or ''}"
        if kind in ("socket", "none"):
            return kind
        if element.get("address"):
            return element.get("address")
    return graphics.get("listen") or None


def _graphic(graphics: etree._Element) -> Graphics:
    port = graphics.get("port")
    try:
        port_number = int(port) if port is not None else None
    except ValueError:
        port_number = None
    if port_number is not None and port_number > PORT_MAX:
        raise DomainXMLError(f"<graphics port> {shown_value(str(port))} is out of range (-1 to {PORT_MAX})")
    if port_number is not None and port_number < 0:
        port_number = None  # autoport, not running
    return Graphics(
        type=graphics.get("type") or "unknown",
        port=port_number,
        listen=_listen(graphics),
        # Only whether one is set: the value itself is never read into a record.
        password_set=graphics.get("passwd") is not None or graphics.get("passwdValidTo") is not None,
    )


GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"


def _is_guest_agent(channel: etree._Element) -> bool:
    target = next(channel.iterchildren("target"), None)
    return target is not None and target.get("name") == GUEST_AGENT_CHANNEL


class _Devices(NamedTuple):
    nics: tuple[Nic, ...]
    disks: tuple[Disk, ...]
    graphics: tuple[Graphics, ...]
    guest_agent: bool


def _devices(devices: etree._Element | None, vdsm_disks: dict[str, dict[str, str]]) -> _Devices:
    """NICs, disks and graphics of ``<devices>``, each in document order, and whether a guest agent channel is there."""
    if devices is None:
        return _Devices((), (), (), False)
    nics: list[Nic] = []
    disks: list[Disk] = []
    graphics: list[Graphics] = []
    guest_agent = False
    # Filtering by tag in C skips the many controllers without making proxies for them.
    for device in devices.iterchildren("interface", "disk", "graphics", "channel"):
        tag = device.tag
        if tag == "disk":
            disks.append(_disk(device, vdsm_disks))
        elif tag == "interface":
            nics.append(_nic(device))
        elif tag == "graphics":
            graphics.append(_graphic(device))
        elif not guest_agent:
            guest_agent = _is_guest_agent(device)
    return _Devices(tuple(nics), tuple(disks), tuple(graphics), guest_agent)


def _ovirt_blocks(metadata: etree._Element | None) -> list[etree._Element]:
    if metadata is None:
        return []
    # Match by namespace, never by prefix: VDSM's prefixes vary.
    return [child for child in metadata if isinstance(child.tag, str) and child.tag == f"{{{OVIRT_VM_NS}}}vm"]


def _ovirt_metadata(blocks: list[etree._Element]) -> dict[str, str] | None:
    if not blocks:
        return None
    values: dict[str, str] = {}
    for block in blocks:
        for child in block:
            if not isinstance(child.tag, str) or len(child):
                continue  # nested blocks (per-device data) are not inventory
            key = etree.QName(child).localname
            if key == "device":
                continue  # a per-device block that happens to have no children
            values[key] = (child.text or "").strip()
    return values


_VDSM_DISK_IDS = ("domainID", "imageID", "volumeID")


def _vdsm_disk_ids(blocks: list[etree._Element]) -> dict[str, dict[str, str]]:
    """``{target dev: {"domainID": .., "imageID": .., "volumeID": ..}}`` from VDSM's per-device blocks.

    VDSM keys a disk's block by ``devtype='disk' name='<target dev>'``
    (lib/vdsm/virt/metadata.py, ``Descriptor.device``; ``Vm.sync_disk_metadata``
    in vm.py looks disks up the same way). Only the direct children count:
    ``volumeChain`` repeats the ids of every layer.
    """
    found: dict[str, dict[str, str]] = {}
    device_tag = f"{{{OVIRT_VM_NS}}}device"
    for block in blocks:
        for device in block.iterchildren(device_tag):
            name = device.get("name")
            if device.get("devtype") != "disk" or not name or name in found:
                continue
            ids: dict[str, str] = {}
            for child in device:
                if isinstance(child.tag, str) and etree.QName(child).namespace == OVIRT_VM_NS:
                    key = etree.QName(child).localname
                    value = (child.text or "").strip()
                    if key in _VDSM_DISK_IDS and value:
                        ids[key] = value
            found[name] = ids
    return found


def _memory_kib(element: etree._Element | None, tag: str) -> int | None:
    text = _text(element)
    if element is None or text is None:
        return None
    try:
        return to_kib(text, element.get("unit"))
    except ValueError as exc:
        raise DomainXMLError(f"<{tag}> {exc}") from None


_DOMAIN_PARTS = frozenset(
    {"name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "maxMemory", "vcpu", "os",
     "cpu", "devices"}
)


def parse_domain(
    data: bytes | str,
    hypervisor: str,
    state: str | None = None,
    *,
    autostart: bool | None = None,
    persistent: bool | None = None,
) -> GuestRecord:
    """Parse one domain's XML into a record.

    ``state`` comes from libvirt's stats (the XML does not carry it); when it
    is unknown, a domain with an ``id`` is taken as running, else shut off.
    ``autostart`` and ``persistent`` come from the host's domain lists.
    Raises :class:`DomainXMLError` with a one-line reason.
    """
    try:
        root = parse_xml(data, MAX_HOST_DOCUMENT_BYTES)
    except XMLSyntaxProblem as exc:
        raise DomainXMLError(str(exc)) from None
    if root.tag != "domain":
        raise DomainXMLError(f"root element is <{root.tag}>, expected <domain>")
    parts = _first_children(root, _DOMAIN_PARTS)
    name = _text(parts.get("name"))
    if name is None:
        raise DomainXMLError("domain has no <name>")
    uuid = _text(parts.get("uuid"))
    if uuid is None:
        raise DomainXMLError("domain has no <uuid>")
    domain_id = _int(root.get("id"), "domain id", DOMAIN_ID_MAX, -DOMAIN_ID_MAX - 1)
    if domain_id is not None and domain_id < 0:
        domain_id = None

    cpu = parts.get("cpu")
    memory_kib = _memory_kib(parts.get("memory"), "memory")
    if memory_kib is None:
        # libvirt requires <memory> unless NUMA cells give the size; sum those.
        cells = cpu.findall("numa/cell") if cpu is not None else []
        total = 0
        for cell in cells:
            try:
                total += to_kib(cell.get("memory") or "0", cell.get("unit"))
            except ValueError as exc:
                raise DomainXMLError(f"<cell memory> {exc}") from None
        if not cells:
            raise DomainXMLError("domain has no <memory>")
        if total > MEMORY_KIB_MAX:
            raise DomainXMLError(f"<cell memory> adds up to {total} KiB, more than libvirt holds ({MEMORY_KIB_MAX})")
        memory_kib = total
    current_memory_kib = _memory_kib(parts.get("currentMemory"), "currentMemory") or memory_kib

    vcpu = parts.get("vcpu")
    vcpus = _int(_text(vcpu), "<vcpu>") if vcpu is not None else None
    if vcpus is None:
        vcpus = 1  # libvirt's default when <vcpu> is absent
    vcpus_current = _int(vcpu.get("current"), "<vcpu current>") if vcpu is not None else None

    os_element = parts.get("os")
    os_type = next(os_element.iterchildren("type"), None) if os_element is not None else None
    topology = next(cpu.iterchildren("topology"), None) if cpu is not None else None

    def topo(attr: str) -> int | None:
        return _int(topology.get(attr), f"<topology {attr}>") if topology is not None else None

    cpu_dies = topo("dies")
    if cpu_dies is None and topology is not None:
        # libvirt >= 6.1 fills in dies='1'; older hosts and hand-written XML omit it.
        # Default it so the same guest gives the same record on either.
        cpu_dies = 1

    if state is None:
        state = "running" if domain_id is not None else "shutoff"
    ovirt_blocks = _ovirt_blocks(parts.get("metadata"))
    devices = _devices(parts.get("devices"), _vdsm_disk_ids(ovirt_blocks))
    max_memory = parts.get("maxMemory")

    return GuestRecord(
        hypervisor=hypervisor,
        type=root.get("type") or "unknown",
        name=name,
        uuid=_canonical_uuid(uuid),
        id=domain_id,
        state=state,
        vcpus=vcpus,
        vcpus_current=vcpus_current if vcpus_current is not None else vcpus,
        memory_kib=memory_kib,
        current_memory_kib=current_memory_kib,
        os_type=_text(os_type),
        arch=os_type.get("arch") if os_type is not None else None,
        machine=os_type.get("machine") if os_type is not None else None,
        cpu_sockets=topo("sockets"),
        cpu_dies=cpu_dies,
        cpu_cores=topo("cores"),
        cpu_threads=topo("threads"),
        nics=devices.nics,
        disks=devices.disks,
        graphics=devices.graphics,
        title=_text(parts.get("title")),
        description=_text(parts.get("description")),
        ovirt=_ovirt_metadata(ovirt_blocks),
        guest_agent=devices.guest_agent,
        max_memory_kib=_memory_kib(max_memory, "maxMemory"),
        max_memory_slots=_int(max_memory.get("slots"), "<maxMemory slots>") if max_memory is not None else None,
        autostart=autostart,
        persistent=persistent,
    )


# Removable media are not the guest's storage; a passed-through LUN is.
_MEDIA_DEVICES = frozenset({"cdrom", "floppy"})


def disk_column(disks: Iterable[Disk]) -> str:
    """The rscan ``disk`` column: sources of the guest's disks and LUNs, not of cdroms/floppies."""
    return ",".join(d.source or "" for d in disks if d.device not in _MEDIA_DEVICES)


def nic_column(nics: Iterable[Nic]) -> str:
    """The rscan ``nic`` column: each NIC's source, or its type when it has none."""
    return ",".join(n.source or n.type for n in nics)
