"""Frozen records of what a scan found. Units are in the field names.

These are the currency of the whole project: the parser makes ``GuestRecord``,
the scanner wraps them with ``HostResult`` in a ``ScanResult``, the inventory
stores them and ``rhev`` reconciles them. ``to_dict`` gives the JSON shape
(``--format json``) with exactly these field names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

import orjson

_Record = TypeVar("_Record")


def _filled_at_once(cls: type[_Record]) -> type[_Record]:
    """Give a frozen dataclass an ``__init__`` that sets the instance's ``__dict__`` in one step.

    The ``__init__`` a frozen dataclass gets sets each field through
    ``object.__setattr__`` (its own ``__setattr__`` refuses): 7 µs for a
    GuestRecord, 3.5 µs for a Disk, against about 1 µs for one dict. A
    20,000-guest replay builds some 80,000 of them. The signature, the
    defaults and the field order (``__dict__``'s, which orjson and pickle
    keep) are the dataclass's own; everything else (frozen attributes,
    equality, hashing, ``repr``) is untouched. Written with ``exec`` as
    :mod:`dataclasses` writes its own methods, from the field names alone.
    """
    parameters: list[str] = []
    defaults: dict[str, object] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not MISSING or not f.init or not f.name.isidentifier():
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields can be filled at once")
        if f.default is MISSING:
            parameters.append(f.name)
        else:
            defaults[f"_default_{f.name}"] = f.default
            parameters.append(f"{f.name}=_default_{f.name}")
    values = ", ".join(f"{f.name!r}: {f.name}" for f in fields(cls))  # type: ignore[arg-type]
    source = (
        f"def __init__(self, {', '.join(parameters)}):\n"
        f"    _set_dict(self, '__dict__', {{{values}}})\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, {"_set_dict": object.__setattr__, **defaults}, namespace)  # our own field names only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):  # ovirt metadata may come as any Mapping
        return dict(value)
    raise TypeError(f"cannot serialise {type(value).__name__} in a record")


def record_json_bytes(record: object) -> bytes:
    """A record (any of the dataclasses here) as compact JSON, fields in declaration order.

    orjson serialises frozen dataclasses natively, an order of magnitude
    faster than ``dataclasses.asdict`` followed by ``json.dumps``; at 20,000
    guests per scan those two were more than half of an ``rscan --replay``.
    """
    return orjson.dumps(record, default=_json_default)


def records_json_bytes(records: Iterable[object]) -> list[bytes]:
    """:func:`record_json_bytes` of each record, without a Python call per record (a scan has 100,000)."""
    dumps, default = orjson.dumps, _json_default
    return [dumps(record, default=default) for record in records]


def document_json_bytes(document: object) -> bytes:
    """A JSON document that may hold records, indented by two spaces, with a final newline."""
    return orjson.dumps(document, default=_json_default, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def indented_json_bytes(value: object, depth: int = 0) -> bytes:
    """``value`` as :func:`document_json_bytes` writes it ``depth`` levels deep (no final newline).

    Each line after the first is indented by ``depth`` more levels, so the
    piece fits verbatim (as an ``orjson.Fragment``) into a document at that
    place: a document can be made of pieces made and checked one by one.
    """
    data = orjson.dumps(value, default=_json_default, option=orjson.OPT_INDENT_2)
    if depth and b"\n" in data:
        data = data.replace(b"\n", b"\n" + b"  " * depth)
    return data


def _plain_dict(record: object) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(record_json_bytes(record))
    return data


@_filled_at_once
@dataclass(frozen=True)
class Nic:
    type: str  # libvirt interface type: bridge, network, direct, vhostuser, user, ...
    mac: str | None
    source: str | None  # bridge / network name / host device / socket path
    model: str | None
    target: str | None  # host-side device (vnetN), only while running
    # libvirt's device alias; VDSM names devices ``ua-<engine device id>``. Runtime
    # aliases (net0) appear only while running; user aliases are kept in the config.
    alias: str | None = None
    # Host PCI address (0000:3b:02.1) of a passed-through NIC (``type='hostdev'``, SR-IOV VFs).
    source_pci: str | None = None


@_filled_at_once
@dataclass(frozen=True)
class Disk:
    device: str  # disk, cdrom, floppy, lun
    type: str  # file, block, dir, volume, network, nvme, ...
    source: str | None  # path, device, dir, pool/volume, protocol:name; None for empty cdrom
    target: str | None  # guest device name (vda); disks are keyed by it
    bus: str | None
    format: str | None  # driver type: qcow2, raw, ...
    readonly: bool
    # <shareable/>: the guest declares the disk may be written by other guests
    # at once (cluster file systems); defaults keep records stored before it readable.
    shareable: bool = False
    serial: str | None = None  # <serial>; on oVirt the engine's disk id (the image group)
    alias: str | None = None  # see Nic.alias
    # VDSM's ids from the ovirt-vm per-device metadata (storage domain, image group,
    # active volume); the volume changes with every snapshot and merge.
    vdsm_domain_id: str | None = None
    vdsm_image_id: str | None = None
    vdsm_volume_id: str | None = None
    # The virtual size the guest sees, from libvirt's block stats (domain XML has none);
    # None when the host did not tell (test driver, refused call, replay without sizes).
    capacity_bytes: int | None = None


@_filled_at_once
@dataclass(frozen=True)
class Graphics:
    type: str  # vnc, spice, ...
    port: int | None  # None when not running or autoport not yet assigned (-1)
    # Where it listens: an address, "network:NAME", "socket", "none"; None when
    # the XML names nothing and the host's qemu.conf default applies (loopback
    # unless changed there).
    listen: str | None = None
    # Whether the XML shows a password (passwd, or passwdValidTo, which a
    # read-only connection still sees). Only this flag is kept, never the value.
    password_set: bool = False


@_filled_at_once
@dataclass(frozen=True)
class GuestAddress:
    """One interface's addresses as libvirt reports them for a running guest (``rscan --addresses``)."""

    source: str  # lease (libvirt's DHCP leases), agent (the guest agent), arp (the host's ARP table)
    interface: str  # the name libvirt gives (vnetN for lease/arp, the guest's own for agent)
    mac: str | None
    ips: tuple[str, ...]  # "ADDRESS/PREFIX"


@_filled_at_once
@dataclass(frozen=True)
class GuestRecord:
    hypervisor: str  # the scanned host's name as given in the noderange
    type: str  # domain type: kvm, qemu, ...
    name: str
    uuid: str  # lower-case canonical form, as libvirt prints it (not byte-swapped)
    id: int | None  # None when inactive
    state: str  # libvirt state in lower case: running, paused, shutoff, ...
    vcpus: int  # <vcpu>'s text: the hot-plug ceiling (VDSM writes 16 for a 2-vCPU guest)
    vcpus_current: int  # <vcpu current=>, else the text: what the guest runs (the cpu column)
    memory_kib: int  # maximum
    current_memory_kib: int
    os_type: str | None
    arch: str | None
    machine: str | None
    cpu_sockets: int | None
    cpu_dies: int | None
    cpu_cores: int | None
    cpu_threads: int | None
    nics: tuple[Nic, ...]
    disks: tuple[Disk, ...]
    graphics: tuple[Graphics, ...]
    title: str | None
    description: str | None
    # oVirt / VDSM metadata (namespace http://ovirt.org/vm/1.0): leaf element
    # local names to their text, e.g. {"clusterVersion": "4.3"}; None when absent.
    ovirt: Mapping[str, str] | None = field(default=None, hash=False, compare=True)
    # A virtio channel named org.qemu.guest_agent.0; None in records stored
    # before this field existed (unknown, not absent).
    guest_agent: bool | None = None
    # <maxMemory slots=...>: the memory hot-plug ceiling (oVirt sets it to 4x memory).
    max_memory_kib: int | None = None
    max_memory_slots: int | None = None
    # From the host's domain lists (None: not read, e.g. replays or the ssh transport).
    autostart: bool | None = None
    persistent: bool | None = None
    # rscan --addresses: None when not asked for (or not running); () when asked and none found.
    addresses: tuple[GuestAddress, ...] | None = None

    @property
    def memory_mib(self) -> float:
        return self.memory_kib / 1024

    def to_dict(self) -> dict[str, Any]:
        return _plain_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuestRecord:
        values = dict(data)
        values["nics"] = tuple(Nic(**n) for n in values.get("nics", ()))
        values["disks"] = tuple(Disk(**d) for d in values.get("disks", ()))
        values["graphics"] = tuple(Graphics(**g) for g in values.get("graphics", ()))
        if values.get("addresses") is not None:
            values["addresses"] = tuple(
                GuestAddress(**{**a, "ips": tuple(a.get("ips", ()))}) for a in values["addresses"])
        return cls(**values)


@dataclass(frozen=True)
class HostFacts:
    hostname: str | None
    hypervisor_type: str | None  # QEMU, Test, ...
    hypervisor_version: str | None  # dotted, e.g. "7.2.0"
    libvirt_version: str | None  # dotted, the daemon's
    uuid: str | None  # host hardware UUID from capabilities
    arch: str | None
    cpu_model: str | None
    cpu_sockets: int | None
    cpu_cores: int | None  # per socket
    cpu_threads: int | None  # per core
    cpus: int | None  # logical CPUs
    memory_kib: int | None

    def to_dict(self) -> dict[str, Any]:
        return _plain_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostFacts:
        """Facts read back (inventory rows, JSON) through the one gate: a value of the wrong
        type or out of range, as older versions stored from replay folders, becomes None."""
        from vminv.scanner.hostfacts import checked_facts  # that module builds on this one

        return checked_facts(data)[0]


@dataclass(frozen=True)
class DomainProblem:
    """A domain on an otherwise scanned host that was recorded and skipped."""

    domain: str  # name or uuid or file name, whatever identifies it best
    message: str

    def to_dict(self) -> dict[str, Any]:
        return _plain_dict(self)


@dataclass(frozen=True)
class HostResult:
    name: str
    uri: str
    status: str  # "ok" | "failed"
    error_class: str | None  # one of vminv.errors.ERROR_CLASSES when failed
    error: str | None
    facts: HostFacts | None
    duration_s: float
    guest_count: int = 0
    problems: tuple[DomainProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uri": self.uri,
            "status": self.status,
            "error_class": self.error_class,
            "error": self.error,
            "facts": self.facts.to_dict() if self.facts else None,
            "duration_s": round(self.duration_s, 3),
            "guest_count": self.guest_count,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class ScanResult:
    started: str  # ISO 8601 UTC
    finished: str
    version: str  # this tool's version
    noderange: str
    hosts: tuple[HostResult, ...]  # in noderange order
    guests: tuple[GuestRecord, ...]  # sorted by hypervisor, then name
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # (hypervisor, uuid) -> the domain XML as libvirt gave it; only filled when
    # the scan was asked to keep it (kvm_nodedata, rscan --save). Not in to_dict.
    domain_xml: Mapping[tuple[str, str], str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def failed_hosts(self) -> tuple[HostResult, ...]:
        return tuple(h for h in self.hosts if not h.ok)

    def to_dict(self) -> dict[str, Any]:
        document = self.to_document()
        document["guests"] = [g.to_dict() for g in self.guests]
        return document

    def to_document(self) -> dict[str, Any]:
        """:meth:`to_dict`, but with the guests left as records for :func:`document_json_bytes`.

        Serialising 20,000 records straight from the dataclasses saves a
        parse of each record's JSON back into dicts.
        """
        return {
            "scan": {
                "started": self.started,
                "finished": self.finished,
                "version": self.version,
                "noderange": self.noderange,
                "options": dict(self.options),
                "hosts_total": len(self.hosts),
                "hosts_failed": len(self.failed_hosts),
                "guests_total": len(self.guests),
            },
            "hosts": [h.to_dict() for h in self.hosts],
            "guests": list(self.guests),
        }
