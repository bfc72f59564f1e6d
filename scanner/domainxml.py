"""Domain XML (``virsh dumpxml`` / ``XMLDesc(0)``) to :class:`GuestRecord`.

A pure function of its inputs: no libvirt, no I/O. Lenient about what it does
not know (hosts run older and newer libvirt than ours), strict about what it
needs (a name, a UUID, a memory size that converts).
"""

from __future__ import annotations

from typing import Iterable

from lxml import etree

from scanner.model import Disk, Graphics, GuestRecord, Nic
from scanner.units import to_kib
from scanner.xmlparse import XMLSyntaxProblem, parse_xml
from vminv.errors import DomainXMLError

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


def state_name(code: int | None) -> str:
    if code is None:
        return "nostate"
    return DOMAIN_STATES.get(code, "nostate")


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def _int(value: str | None, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise DomainXMLError(f"{what} is not an integer: {value!r}") from None


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
    if source is None:
        return None
    if kind == "file":
        return source.get("file")
    if kind == "block":
        return source.get("dev")
    if kind == "dir":
        return source.get("dir")
    if kind == "volume":
        pool, volume = source.get("pool"), source.get("volume")
        if pool is None and volume is None:
            return None
        return f"{pool or ''}/{volume or ''}"
    if kind == "network":
        protocol, name = source.get("protocol"), source.get("name")
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


def _nics(devices: etree._Element | None) -> tuple[Nic, ...]:
    if devices is None:
        return ()
    nics = []
    for iface in devices.iterfind("interface"):
        kind = iface.get("type") or "unknown"
        mac = iface.find("mac")
        model = iface.find("model")
        target = iface.find("target")
        nics.append(
            Nic(
                type=kind,
                mac=(mac.get("address") or "").lower() or None if mac is not None else None,
                source=_nic_source(kind, iface.find("source")),
                model=model.get("type") if model is not None else None,
                target=target.get("dev") if target is not None else None,
            )
        )
    return tuple(nics)


def _disks(devices: etree._Element | None) -> tuple[Disk, ...]:
    if devices is None:
        return ()
    disks = []
    for disk in devices.iterfind("disk"):
        kind = disk.get("type") or "file"
        target = disk.find("target")
        driver = disk.find("driver")
        disks.append(
            Disk(
                device=disk.get("device") or "disk",
                type=kind,
                source=_disk_source(kind, disk.find("source")),
                target=target.get("dev") if target is not None else None,
                bus=target.get("bus") if target is not None else None,
                format=driver.get("type") if driver is not None else None,
                readonly=disk.find("readonly") is not None,
            )
        )
    return tuple(disks)


def _graphics(devices: etree._Element | None) -> tuple[Graphics, ...]:
    if devices is None:
        return ()
    result = []
    for graphics in devices.iterfind("graphics"):
        port = graphics.get("port")
        try:
            port_number = int(port) if port is not None else None
        except ValueError:
            port_number = None
        if port_number is not None and port_number < 0:
            port_number = None  # autoport, not running
        result.append(Graphics(type=graphics.get("type") or "unknown", port=port_number))
    return tuple(result)


def _ovirt_metadata(root: etree._Element) -> dict[str, str] | None:
    metadata = root.find("metadata")
    if metadata is None:
        return None
    # Match by namespace, never by prefix: VDSM's prefixes vary.
    blocks = [child for child in metadata if isinstance(child.tag, str) and child.tag == f"{{{OVIRT_VM_NS}}}vm"]
    if not blocks:
        return None
    values: dict[str, str] = {}
    for block in blocks:
        for child in block:
            if not isinstance(child.tag, str) or len(child):
                continue  # nested blocks (per-device data) are not inventory
            key = etree.QName(child).localname
            values[key] = (child.text or "").strip()
    return values


def _memory_kib(root: etree._Element, tag: str) -> int | None:
    element = root.find(tag)
    if element is None or _text(element) is None:
        return None
    try:
        return to_kib(_text(element) or "", element.get("unit"))
    except ValueError as exc:
        raise DomainXMLError(f"<{tag}> {exc}") from None


def parse_domain(
    data: bytes | str,
    hypervisor: str,
    state: str | None = None,
) -> GuestRecord:
    """Parse one domain's XML into a record.

    ``state`` comes from libvirt's stats (the XML does not carry it); when it
    is unknown, a domain with an ``id`` is taken as running, else shut off.
    Raises :class:`DomainXMLError` with a one-line reason.
    """
    try:
        root = parse_xml(data)
    except XMLSyntaxProblem as exc:
        raise DomainXMLError(str(exc)) from None
    if root.tag != "domain":
        raise DomainXMLError(f"root element is <{root.tag}>, expected <domain>")
    name = _text(root.find("name"))
    if name is None:
        raise DomainXMLError("domain has no <name>")
    uuid = _text(root.find("uuid"))
    if uuid is None:
        raise DomainXMLError("domain has no <uuid>")
    domain_id = _int(root.get("id"), "domain id")
    if domain_id is not None and domain_id < 0:
        domain_id = None

    memory_kib = _memory_kib(root, "memory")
    if memory_kib is None:
        # libvirt requires <memory> unless NUMA cells give the size; sum those.
        cells = root.findall("cpu/numa/cell")
        total = 0
        for cell in cells:
            try:
                total += to_kib(cell.get("memory") or "0", cell.get("unit"))
            except ValueError as exc:
                raise DomainXMLError(f"<cell memory> {exc}") from None
        if not cells:
            raise DomainXMLError("domain has no <memory>")
        memory_kib = total
    current_memory_kib = _memory_kib(root, "currentMemory") or memory_kib

    vcpu = root.find("vcpu")
    vcpus = _int(_text(vcpu), "<vcpu>") if vcpu is not None else None
    if vcpus is None:
        vcpus = 1  # libvirt's default when <vcpu> is absent
    vcpus_current = _int(vcpu.get("current"), "<vcpu current>") if vcpu is not None else None

    os_type = root.find("os/type")
    topology = root.find("cpu/topology")
    devices = root.find("devices")

    def topo(attr: str) -> int | None:
        return _int(topology.get(attr), f"<topology {attr}>") if topology is not None else None

    if state is None:
        state = "running" if domain_id is not None else "shutoff"

    return GuestRecord(
        hypervisor=hypervisor,
        type=root.get("type") or "unknown",
        name=name,
        uuid=uuid.lower(),
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
        cpu_dies=topo("dies"),
        cpu_cores=topo("cores"),
        cpu_threads=topo("threads"),
        nics=_nics(devices),
        disks=_disks(devices),
        graphics=_graphics(devices),
        title=_text(root.find("title")),
        description=_text(root.find("description")),
        ovirt=_ovirt_metadata(root),
    )


def disk_column(disks: Iterable[Disk]) -> str:
    """The rscan ``disk`` column: sources of ``device="disk"`` disks."""
    return ",".join(d.source or "" for d in disks if d.device == "disk")


def nic_column(nics: Iterable[Nic]) -> str:
    """The rscan ``nic`` column: each NIC's source, or its type when it has none."""
    return ",".join(n.source or n.type for n in nics)
