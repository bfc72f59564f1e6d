"""Disks and NICs of one VM, the engine's against libvirt's, matched by identity (pure).

Disks are matched by the engine's disk id, which VDSM writes into the domain
three ways: ``<serial>`` (the image group id), the ``ovirt-vm:device`` block's
``imageID``, and the device alias ``ua-<id>`` (the engine's device id, which is
the disk id for disks). NICs are matched by MAC. What is attached on one side
only is named, and each matched pair is compared field by field: format,
interface, read-only, shareable, the active volume and the size for disks; model for NICs.
The size is the virtual size on both sides: the engine's ``provisioned_size`` (v3.0:
``size``) and libvirt's block-stats capacity (``Disk.capacity_bytes``); where either
side does not know it, it is not compared, and :func:`disk_size_checks` says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vminv.rhev.model import EngineDisk, EngineNic
from vminv.scanner.model import Disk, Nic
from vminv.scanner.units import bytes_text

# Disks the guest does not see as its own (engine metadata volumes).
NON_GUEST_CONTENT = frozenset({"ovf_store", "hosted_engine_sanlock", "hosted_engine_metadata",
                               "hosted_engine_configuration", "memory_dump_volume", "memory_metadata_volume"})
# The engine's DiskInterface to libvirt's <target bus>.
DISK_BUS = {"virtio": "virtio", "virtio_scsi": "scsi", "spapr_vscsi": "scsi", "ide": "ide", "sata": "sata"}
# The engine's disk format (VolumeFormat) to libvirt's <driver type>.
DISK_FORMAT = {"cow": "qcow2", "raw": "raw"}
# The engine's NicInterface to libvirt's <model type>; pci_passthrough is an <interface type='hostdev'>.
NIC_MODEL = {"virtio": "virtio", "e1000": "e1000", "e1000e": "e1000e", "rtl8139": "rtl8139",
             "rtl8139_virtio": "rtl8139", "spapr_vlan": "spapr-vlan"}
ALIAS_PREFIX = "ua-"  # VDSM's user aliases: ua-<engine device id>


def disk_identities(disk: Disk) -> set[str]:
    """Every engine disk id the domain XML gives this disk (lower case)."""
    ids = {disk.serial, disk.vdsm_image_id}
    if disk.alias and disk.alias.startswith(ALIAS_PREFIX):
        ids.add(disk.alias[len(ALIAS_PREFIX):])
    return {i.lower() for i in ids if i}


def guest_disks(disks: Iterable[Disk]) -> list[Disk]:
    return [d for d in disks if d.device in ("disk", "lun")]


def engine_guest_disks(disks: Iterable[EngineDisk]) -> list[EngineDisk]:
    """Plugged disks the guest sees (not OVF stores, hosted-engine metadata, memory dumps)."""
    return [d for d in disks if d.active is not False and d.content_type not in NON_GUEST_CONTENT]


def _disk_name(disk: EngineDisk) -> str:
    return f"{disk.alias} ({disk.id})" if disk.alias else disk.id


def _guest_disk_name(disk: Disk) -> str:
    return disk.target or disk.source or "?"


def _pair_differences(engine: EngineDisk, guest: Disk, where: str) -> list[str]:
    name = f"disk {_disk_name(engine)}"
    found: list[str] = []
    checks = (
        ("format", DISK_FORMAT.get(engine.format or ""), guest.format),
        ("interface", DISK_BUS.get(engine.interface or ""), guest.bus),
        ("read-only", engine.read_only, guest.readonly),
        ("shareable", engine.shareable, guest.shareable),
    )
    for label, engine_value, guest_value in checks:
        if engine_value is None or guest_value is None or engine_value == guest_value:
            continue  # unknown on one side (an older engine, an unmapped value) is not drift
        shown = {True: "yes", False: "no"}
        engine_text = shown.get(engine_value, engine_value) if isinstance(engine_value, bool) else engine_value
        guest_text = shown.get(guest_value, guest_value) if isinstance(guest_value, bool) else guest_value
        found.append(f"{name} {label} {engine_text} in the engine, {guest_text} on {where}")
    # The engine's image_id is the active volume, VDSM's volumeID the one the guest
    # writes to: different means a snapshot or live merge the engine did not see end.
    engine_volume, guest_volume = engine.image_id, guest.vdsm_volume_id
    if engine_volume and guest_volume and engine_volume.lower() != guest_volume.lower():
        found.append(f"{name} active volume {engine_volume} in the engine, {guest_volume} on {where}")
    size = DiskSizeCheck.of(engine, guest)
    if size.differs:
        found.append(f"{name} size {bytes_text(engine.provisioned_size_bytes or 0)} in the engine,"
                     f" {bytes_text(guest.capacity_bytes or 0)} on {where}")
    return found


@dataclass(frozen=True)
class DiskSizeCheck:
    """One matched disk's virtual size on both sides (reconcile JSON: ``disk_sizes``)."""

    disk: str  # the engine's disk id
    alias: str | None  # the engine's disk alias
    target: str | None  # libvirt's target device
    engine_bytes: int | None  # provisioned_size; None: the engine did not say
    libvirt_bytes: int | None  # block-stats capacity; None: the host did not say
    compared: bool  # both known
    differs: bool

    @classmethod
    def of(cls, engine: EngineDisk, guest: Disk) -> DiskSizeCheck:
        engine_bytes, libvirt_bytes = engine.provisioned_size_bytes, guest.capacity_bytes
        compared = engine_bytes is not None and libvirt_bytes is not None
        return cls(engine.id, engine.alias, guest.target, engine_bytes, libvirt_bytes, compared,
                   compared and engine_bytes != libvirt_bytes)


@dataclass(frozen=True)
class _Matching:
    engine_for: dict[int, EngineDisk]  # position of a guest disk -> the engine disk with its id
    unknown_id: dict[int, str]  # position of a guest disk -> its id the engine does not have
    unidentified: list[Disk]  # guest disks with no id at all
    engine_only: list[EngineDisk]


def _match_disks(engine_side: Sequence[EngineDisk], guest_side: Sequence[Disk]) -> _Matching:
    by_id = {d.id.lower(): d for d in engine_side}
    matched: set[str] = set()
    result = _Matching({}, {}, [], [])
    for position, disk in enumerate(guest_side):
        ids = disk_identities(disk)
        hit = next((i for i in sorted(ids) if i in by_id), None)
        if hit is not None:
            matched.add(hit)
            result.engine_for[position] = by_id[hit]
        elif ids:
            result.unknown_id[position] = sorted(ids)[0]
        else:
            result.unidentified.append(disk)
    result.engine_only.extend(d for d in engine_side if d.id.lower() not in matched)
    return result


def disk_size_checks(engine_disks: Sequence[EngineDisk], disks: Sequence[Disk]) -> list[DiskSizeCheck]:
    """The size of every disk matched by id, compared where both sides know it."""
    guest_side = guest_disks(disks)
    matching = _match_disks(engine_guest_disks(engine_disks), guest_side)
    return [DiskSizeCheck.of(engine, guest_side[position]) for position, engine in matching.engine_for.items()]


def disk_differences(engine_disks: Sequence[EngineDisk], disks: Sequence[Disk], where: str) -> list[str]:
    """What differs between the engine's attached disks and the domain's, by disk id."""
    engine_side = engine_guest_disks(engine_disks)
    guest_side = guest_disks(disks)
    if not any(disk_identities(d) for d in guest_side):
        # A domain without any disk identity (not written by VDSM): only counts compare.
        if len(engine_side) != len(guest_side):
            return [f"disks {len(engine_side)} in the engine, {len(guest_side)} on {where}"]
        return []
    matching = _match_disks(engine_side, guest_side)
    found: list[str] = []
    for position, disk in enumerate(guest_side):
        if position in matching.unknown_id:
            found.append(f"disk {_guest_disk_name(disk)} ({matching.unknown_id[position]}) on {where},"
                         " not attached in the engine")
        elif position in matching.engine_for:
            found.extend(_pair_differences(matching.engine_for[position], disk, where))
    missing, unidentified = matching.engine_only, matching.unidentified
    if unidentified and len(unidentified) == len(missing):
        return found  # disks the XML names no id for (direct LUNs on old VDSM): counts agree
    found.extend(f"disk {_disk_name(d)} attached in the engine, not on {where}" for d in missing)
    found.extend(f"disk {_guest_disk_name(d)} on {where} has no engine disk id" for d in unidentified)
    return found


def nic_differences(engine_nics: Sequence[EngineNic], nics: Sequence[Nic], where: str) -> list[str]:
    """What differs between the engine's plugged NICs and the domain's, by MAC."""
    engine_by_mac = {n.mac: n for n in engine_nics if n.mac and n.plugged is not False}
    guest_by_mac = {n.mac.lower(): n for n in nics if n.mac}
    found: list[str] = []
    only_engine = sorted(set(engine_by_mac) - set(guest_by_mac))
    only_guest = sorted(set(guest_by_mac) - set(engine_by_mac))
    if only_engine or only_guest:
        parts = []
        if only_engine:
            parts.append(f"only in the engine {','.join(only_engine)}")
        if only_guest:
            parts.append(f"only on {where} {','.join(only_guest)}")
        found.append("MACs differ: " + "; ".join(parts))
    for mac in sorted(set(engine_by_mac) & set(guest_by_mac)):
        engine_nic, guest_nic = engine_by_mac[mac], guest_by_mac[mac]
        interface = engine_nic.interface or ""
        if interface == "pci_passthrough":
            if guest_nic.type != "hostdev":
                found.append(f"NIC {mac} passed through in the engine, {guest_nic.type} on {where}")
            continue
        expected = NIC_MODEL.get(interface)
        if expected is not None and guest_nic.model is not None and guest_nic.model != expected:
            found.append(f"NIC {mac} model {interface} in the engine, {guest_nic.model} on {where}")
    return found
