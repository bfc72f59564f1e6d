"""How a scan changes the guests' history: seen, new, changed, moved, returned, gone (pure).

A tracked guest is a name on a host: ``(node, host)``. A name that leaves a
host which answered and appears on another host in the same scan has
*moved*. A guest is *gone* only when its host answered the scan without it:
a host that failed, or was not in the noderange, keeps all its guests.

The per-guest types are named tuples: a scan has 100,000 of them and tuples
are built several times faster than frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from operator import attrgetter
from typing import NamedTuple

from vminv.inventory.records import fingerprints_of, records_bytes
from vminv.scanner.model import GuestRecord, ScanResult


class KnownGuest(NamedTuple):
    """A row of the ``guests`` table, as far as tracking needs it."""

    id: int
    node: str
    host: str
    status: str  # present | gone
    record_hash: str | None
    version_id: int | None
    uuid: str | None
    last_seen: str | None


class Observed(NamedTuple):
    guest: GuestRecord
    position: int  # index in scan.guests, kept so a stored scan rebuilds in order
    hash: str
    known: KnownGuest | None  # this guest's own row, when it has one
    event: str | None  # first_seen | returned | moved | None (was present here already)
    moved_from: KnownGuest | None

    @property
    def content_changed(self) -> bool:
        return self.known is None or self.known.record_hash != self.hash

    @property
    def previous(self) -> KnownGuest | None:
        """The row holding the record this observation is compared with for changes."""
        if self.known is not None and self.known.status == "present":
            return self.known
        return self.moved_from or self.known

    @property
    def changed_since_previous(self) -> bool:
        """The record differs from :attr:`previous` (not only from this host's own row).

        A guest that moves back to a host it had left may equal that host's
        old row while differing from the host it comes from: that is a change.
        """
        before = self.previous
        return before is not None and before.record_hash != self.hash


class TrackPlan(NamedTuple):
    observed: tuple[Observed, ...]
    gone: tuple[KnownGuest, ...]  # disappeared from a host that answered
    moved_away: tuple[KnownGuest, ...]  # disappeared here because they appeared elsewhere


class ScanContent(NamedTuple):
    """Each scanned guest's record as stored and its content hash, in scan order."""

    hashes: list[str]
    records: list[bytes]  # record_bytes(guest): the guest_versions text, made once for hash and row
    # (node, host) -> its position in scan.guests; one listed twice: the last one counts
    positions: dict[tuple[str, str], int]


def scan_content(scan: ScanResult) -> ScanContent:
    """Serialise and hash every scanned guest once (the CPU-heavy part, done before the write lock)."""
    records = records_bytes(scan.guests)
    positions = {(guest.name, guest.hypervisor): position for position, guest in enumerate(scan.guests)}
    return ScanContent(fingerprints_of(records), records, positions)


# A C-level sort key: a scan has 100,000 observations.
_POSITION = attrgetter("position")


def _protected(scan: ScanResult) -> set[tuple[str, str]]:
    """(name-or-uuid, host) of domains a host listed but could not read: not gone."""
    return {(problem.domain, host.name) for host in scan.hosts for problem in host.problems}


def plan_tracking(
    known: Iterable[KnownGuest],
    scan: ScanResult,
    content: ScanContent,
    settled: Collection[int] = (),
) -> TrackPlan:
    """Compare the scan with the known guests.

    :param known: the rows of the ``guests`` table; at least those with the
        (node, host) of a scanned guest, and the present ones on hosts that
        answered (the candidates for gone and moved)
    :param scan: the scan being recorded
    :param content: ``scan_content(scan)``
    :param settled: positions in ``scan.guests`` already recorded as present
        and unchanged; they are left out of the plan
    """
    rows = {(row.node, row.host): row for row in known}
    answered = {host.name for host in scan.hosts if host.ok}
    protected = _protected(scan)
    seen = content.positions
    hashes = content.hashes

    disappeared: dict[str, list[KnownGuest]] = {}
    for key, row in rows.items():
        if row.status != "present" or row.host not in answered or key in seen:
            continue
        if key in protected or (row.uuid is not None and (row.uuid, row.host) in protected):
            continue
        disappeared.setdefault(row.node, []).append(row)

    moved_away: list[KnownGuest] = []
    observed: list[Observed] = []
    guests = scan.guests
    for key, position in seen.items():
        if position in settled:
            continue
        guest = guests[position]
        own = rows.get(key)
        if own is not None and own.status == "present":
            observed.append(Observed(guest, position, hashes[position], own, None, None))
            continue
        source: KnownGuest | None = None
        candidates = disappeared.get(guest.name)
        if candidates:
            # Prefer the copy with the same UUID: that is the same domain, migrated.
            source = next((c for c in candidates if c.uuid == guest.uuid), candidates[0])
            candidates.remove(source)
            moved_away.append(source)
        event = "moved" if source is not None else "returned" if own is not None else "first_seen"
        observed.append(Observed(guest, position, hashes[position], own, event, source))

    observed.sort(key=_POSITION)
    gone = [row for rows_of_name in disappeared.values() for row in rows_of_name]
    return TrackPlan(observed=tuple(observed), gone=tuple(gone), moved_away=tuple(moved_away))
