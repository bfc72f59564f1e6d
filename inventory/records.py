"""GuestRecord <-> stored JSON, its content hash, and the fields whose changes are history.

The JSON has exactly the shape of ``GuestRecord.to_dict()``, so that
``GuestRecord.from_dict`` rebuilds the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import orjson

from vminv.scanner.model import Disk, Graphics, GuestRecord, Nic, record_json_bytes, records_json_bytes
from vminv.scanner.units import bytes_text
from vminv.scanner.vdsm import configuration_metadata, image_path


def record_bytes(guest: GuestRecord) -> bytes:
    """The record as compact JSON, in field order: the same shape as ``GuestRecord.to_dict()``.

    orjson serialises the frozen dataclasses directly, about eight times
    faster than ``json.dumps`` of a dict; with 100,000 guests per scan that
    is most of the CPU time of recording one.
    """
    return record_json_bytes(guest)


def records_bytes(guests: Iterable[GuestRecord]) -> list[bytes]:
    """:func:`record_bytes` of each guest, in order."""
    return records_json_bytes(guests)


def record_json(guest: GuestRecord) -> str:
    return record_bytes(guest).decode("utf-8")


def fingerprint(guest: GuestRecord) -> str:
    """Content hash of every field of the record (equal records, equal hashes, in any process)."""
    return fingerprint_of(record_bytes(guest))


def fingerprint_of(stored: bytes) -> str:
    """:func:`fingerprint` of a record already serialised by :func:`record_bytes`."""
    return hashlib.blake2b(stored, digest_size=16).hexdigest()


def fingerprints_of(stored: Iterable[bytes]) -> list[str]:
    """:func:`fingerprint_of` of each record, in order, without a Python call per record."""
    blake2b = hashlib.blake2b
    return [blake2b(data, digest_size=16).hexdigest() for data in stored]


def record_from_json(text: str) -> GuestRecord:
    return GuestRecord.from_dict(orjson.loads(text))


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)


def _nic_text(nic: Nic) -> str:
    # The target (vnetN) is left out: it changes on every start of the guest.
    return " ".join(part for part in (nic.type, nic.source, nic.mac, nic.model) if part)


def _disk_text(disk: Disk) -> str:
    image = image_path(disk.source)
    if image is not None:
        # A VDSM image: its path ends in the active volume and its format is that
        # volume's; both move with every snapshot and merge (scanner/vdsm.py).
        parts = [disk.device, disk.type, f"{image}/(active volume)", disk.target, disk.bus]
    else:
        parts = [disk.device, disk.type, disk.source or "(empty)", disk.target, disk.bus, disk.format]
    text = " ".join(part for part in parts if part)
    return f"{text} ro" if disk.readonly else text


def _graphics_text(graphics: Graphics) -> str:
    return graphics.type  # the port is assigned afresh at each start


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def tracked_fields(guest: GuestRecord) -> dict[str, str | None]:
    """The values whose changes go into a guest's history, as text.

    Left out on purpose: the domain ``id``, NIC targets and graphics ports,
    which libvirt assigns afresh each time a guest starts; the host, whose
    change is a move and recorded as such; VDSM's run-time bookkeeping (the
    ovirt-vm keys VDSM writes itself, a VDSM disk's active volume and its
    format), read from VDSM's code in :mod:`scanner.vdsm`.
    """
    ovirt = configuration_metadata(guest.ovirt)
    return {
        "type": guest.type,
        "uuid": guest.uuid,
        "state": guest.state,
        "vcpus": _text(guest.vcpus),
        "vcpus_current": _text(guest.vcpus_current),
        "memory_kib": _text(guest.memory_kib),
        "current_memory_kib": _text(guest.current_memory_kib),
        "os_type": guest.os_type,
        "arch": guest.arch,
        "machine": guest.machine,
        "cpu_sockets": _text(guest.cpu_sockets),
        "cpu_dies": _text(guest.cpu_dies),
        "cpu_cores": _text(guest.cpu_cores),
        "cpu_threads": _text(guest.cpu_threads),
        "nics": _join(_nic_text(n) for n in guest.nics),
        "disks": _join(_disk_text(d) for d in guest.disks),
        "disk_sizes": _join(f"{target} {bytes_text(size)}" for target, size in _known_sizes(guest).items()) or None,
        "graphics": _join(_graphics_text(g) for g in guest.graphics),
        "title": guest.title,
        "description": guest.description,
        "ovirt": json.dumps(ovirt, sort_keys=True) if ovirt is not None else None,
        "autostart": _text(guest.autostart),
        "persistent": _text(guest.persistent),
        "addresses": _join(f"{a.source}:{a.interface} {' '.join(a.ips)}" for a in guest.addresses)
        if guest.addresses is not None else None,
    }


# Fields newer records carry and older ones lack (None, unknown): the first scan
# that reads them is no change.
_LEARNED_LATER = frozenset({"autostart", "persistent", "addresses"})


def _known_sizes(guest: GuestRecord) -> dict[str, int]:
    return {d.target: d.capacity_bytes for d in guest.disks if d.target and d.capacity_bytes is not None}


def _sizes_changed(old: GuestRecord, new: GuestRecord) -> bool:
    """A disk known on both sides whose size differs (grown, or shrunk).

    A size becoming known (the first scan with block stats, a host whose libvirt
    answers again) or unknown (stats refused this time) is no change, and a disk
    added or removed is a change of ``disks``, not of its size.
    """
    before, after = _known_sizes(old), _known_sizes(new)
    return any(before[target] != after[target] for target in before.keys() & after.keys())


def changed_fields(old: GuestRecord, new: GuestRecord) -> list[tuple[str, str | None, str | None]]:
    """``(field, old, new)`` for each tracked field that differs, in a fixed order."""
    before, after = tracked_fields(old), tracked_fields(new)
    return [(name, before[name], after[name]) for name in before
            if before[name] != after[name]
            and not (name in _LEARNED_LATER and (before[name] is None or after[name] is None))
            and (name != "disk_sizes" or _sizes_changed(old, new))]
