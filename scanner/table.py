"""The rscan table's rows (pure): ``type name hypervisor id cpu memory nic disk``."""

from __future__ import annotations

from collections.abc import Iterable

from vminv.scanner.domainxml import disk_column, nic_column
from vminv.scanner.model import GuestRecord
from vminv.scanner.units import kib_to_mib_text

RSCAN_COLUMNS = ("type", "name", "hypervisor", "id", "cpu", "memory", "nic", "disk")
CSV_COLUMNS = RSCAN_COLUMNS + ("uuid", "state")


def rscan_row(guest: GuestRecord) -> list[str]:
    return [
        guest.type,
        guest.name,
        guest.hypervisor,
        "" if guest.id is None else str(guest.id),
        str(guest.vcpus_current),  # what the guest runs; xCAT's rscan shows <vcpu>'s text
        kib_to_mib_text(guest.memory_kib),
        nic_column(guest.nics),
        disk_column(guest.disks),
    ]


def rscan_rows(guests: Iterable[GuestRecord]) -> list[list[str]]:
    return [rscan_row(g) for g in guests]


def csv_rows(guests: Iterable[GuestRecord]) -> list[list[str]]:
    return [rscan_row(g) + [g.uuid, g.state] for g in guests]
