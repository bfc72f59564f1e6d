"""Disk capacities (the virtual size a guest sees, in bytes), which domain XML does not carry.

libvirt reports them in its block stats: ``block.N.name`` is the disk's target
device (``vda``), ``block.N.capacity`` its virtual size. For a shut-off domain
the daemon reads the image header (checked with libvirt 9.0's qemu driver on
a read-only connection); the test driver reports no block stats at all. Each
transport hands its stats here and gets ``{target: bytes}``:

* libvirt-python: the typed parameters of ``getAllDomainStats`` (:func:`sizes_from_stats`);
* virsh over paramiko: the text of ``virsh domstats --block UUID`` (:func:`sizes_from_domstats`);
* a replay folder: ``HOST/disk_sizes.json``, ``{"<uuid or name>": {"vda": 21474836480}}``
  (:func:`read_disk_sizes`), which ``rscan --save`` writes.

Every value passes one bound: an integer from 0 to 2**63-1 (libvirt's counters are
``unsigned long long``; more would overflow the inventory's 64-bit integers).
A value out of range is left out and named; the disk's size stays unknown (None).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from vminv.errors import DomainXMLError
from vminv.scanner.model import GuestRecord
from vminv.scanner.units import bounded_int, shown_value

CAPACITY_MAX = 2**63 - 1
DISK_SIZES_FILE = "disk_sizes.json"  # in a replay host folder, next to host.json
DISK_SIZES_PROBLEM = "disk sizes"  # the DomainProblem.domain of a host whose block stats were refused
_TARGET_MAX = 64  # target device names are short (vda, sdaa, hdc); longer is not libvirt's
_BLOCK_KEY = re.compile(r"block\.([0-9]{1,6})\.(name|capacity)")

DiskSizes = dict[str, int]  # target device -> capacity in bytes


def _checked_target(name: object) -> str | None:
    if isinstance(name, str) and 0 < len(name) <= _TARGET_MAX and name.isprintable():
        return name
    return None


def _capacity(value: object, what: str) -> int:
    if isinstance(value, (str, int)):
        return bounded_int(value, what, CAPACITY_MAX)
    raise ValueError(f"{what} is not an integer: {type(value).__name__}")


def _sizes_by_index(items: Sequence[tuple[str, str, object]], where: str, problems: list[str]) -> DiskSizes:
    """``(index, key, value)`` triples (key ``name`` or ``capacity``) to ``{target: bytes}``."""
    names: dict[str, object] = {}
    capacities: dict[str, object] = {}
    for index, key, value in items:
        (names if key == "name" else capacities)[index] = value
    sizes: DiskSizes = {}
    for index, raw_name in names.items():
        target = _checked_target(raw_name)
        if target is None or index not in capacities or target in sizes:
            continue  # no capacity (an empty cdrom), or a name libvirt would not give
        try:
            sizes[target] = _capacity(capacities[index], f"{where} capacity of {target}")
        except ValueError as exc:
            problems.append(f"{exc}; left out")
    return sizes


def sizes_from_stats(stats: Mapping[str, object], where: str, problems: list[str]) -> DiskSizes:
    """The capacities in one domain's ``getAllDomainStats`` record (``{}`` when it has no block stats)."""
    items = []
    for key, value in stats.items():
        found = _BLOCK_KEY.fullmatch(key) if key.startswith("block.") else None
        if found:
            items.append((found.group(1), found.group(2), value))
    return _sizes_by_index(items, where, problems) if items else {}


def sizes_from_domstats(text: str, where: str, problems: list[str]) -> DiskSizes:
    """The capacities in ``virsh domstats --block`` output for one domain.

    virsh prints ``Domain: 'NAME'`` and then ``  block.count=N`` and the
    ``  block.N.key=value`` lines. Only lines after the last ``block.count``
    are read: the name comes first, so even a name with line breaks (libvirt 9
    refuses them; older versions may not) cannot stand in for real stats.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("block.count=")]
    if not starts:
        return {}
    items = []
    for line in lines[starts[-1] + 1:]:
        key, sep, value = line.strip().partition("=")
        found = _BLOCK_KEY.fullmatch(key) if sep else None
        if found:
            items.append((found.group(1), found.group(2), value))
    return _sizes_by_index(items, where, problems)


def with_disk_sizes(guest: GuestRecord, sizes: Mapping[str, int] | None) -> GuestRecord:
    """``guest`` with each disk's ``capacity_bytes`` set from ``sizes``, matched by target device."""
    if not sizes or not any(d.target in sizes for d in guest.disks):
        return guest
    disks = tuple(
        dataclasses.replace(d, capacity_bytes=sizes[d.target]) if d.target is not None and d.target in sizes else d
        for d in guest.disks
    )
    return dataclasses.replace(guest, disks=disks)


def disk_sizes_document(guests: list[GuestRecord]) -> dict[str, DiskSizes]:
    """What ``rscan --save`` writes to ``disk_sizes.json``: the known capacities by domain UUID."""
    document: dict[str, DiskSizes] = {}
    for guest in guests:
        sizes = {d.target: d.capacity_bytes for d in guest.disks if d.target and d.capacity_bytes is not None}
        if sizes:
            document[guest.uuid] = sizes
    return document


def checked_disk_sizes(data: object, problems: list[str]) -> dict[str, DiskSizes]:
    """A ``disk_sizes.json`` document validated: keys lower-cased (UUID or name), bad values left out and named."""
    if not isinstance(data, dict):
        raise DomainXMLError(f"{DISK_SIZES_FILE} is not a JSON object")
    checked: dict[str, DiskSizes] = {}
    for domain, disks in data.items():
        if not isinstance(disks, dict):
            problems.append(f"disks of {shown_value(str(domain))} are not an object; left out")
            continue
        sizes: DiskSizes = {}
        for target, value in disks.items():
            name = _checked_target(target)
            if name is None:
                problems.append(f"disk {shown_value(str(target))} of {shown_value(str(domain))} is not a target name; left out")
                continue
            try:
                if not isinstance(value, int):  # a JSON number, not a text of digits
                    raise ValueError(f"capacity of {shown_value(str(domain))} {name} is not an integer:"
                                     f" {type(value).__name__}")
                sizes[name] = _capacity(value, f"capacity of {shown_value(str(domain))} {name}")
            except ValueError as exc:
                problems.append(f"{exc}; left out")
        checked[str(domain).lower()] = sizes
    return checked


def read_disk_sizes(folder: Path, problems: list[str]) -> dict[str, DiskSizes]:
    """A replay host folder's ``disk_sizes.json``; ``{}`` when there is none (sizes unknown).

    Read through the same gate as ``host.json`` (a regular file, at most 10 MiB, UTF-8 JSON).
    :raises DomainXMLError: the file is there but unreadable as a whole
    """
    from vminv.scanner.replay import read_json_object  # replay builds on this module

    path = folder / DISK_SIZES_FILE
    if not path.exists():
        return {}
    return checked_disk_sizes(read_json_object(path), problems)
