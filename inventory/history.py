"""A guest's life: first seen, each change, each move between hosts, last seen."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vminv.inventory.db import database
from vminv.inventory.errors import UnknownNodeError
from vminv.inventory.location import Location
from vminv.scanner.noderange import natural_key


@dataclass(frozen=True)
class HistoryEvent:
    scan_id: int | None
    at: str
    host: str | None
    event: str  # first_seen, changed, moved, returned, gone, pruned, last_seen
    field: str | None
    old_value: str | None
    new_value: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HostPresence:
    """The guest as tracked on one host."""

    host: str
    status: str  # present | gone
    first_seen: str | None
    last_seen: str | None
    gone_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GuestHistory:
    node: str
    first_seen: str | None
    last_seen: str | None
    hosts: tuple[HostPresence, ...]
    events: tuple[HistoryEvent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "hosts": [h.to_dict() for h in self.hosts],
            "events": [e.to_dict() for e in self.events],
        }


def guest_history(db_path: Location, node: str) -> GuestHistory:
    """Everything recorded about ``node``, oldest first, ending with when it was last seen.

    :raises UnknownNodeError: no scan has ever seen ``node``
    """
    with database(db_path, create=False) as db:
        events = [
            HistoryEvent(*row)
            for row in db.execute(
                "SELECT scan_id, at, host, event, field, old_value, new_value FROM guest_events"
                " WHERE node = ? ORDER BY COALESCE(scan_id, 1e18), id",
                [node],
            )
        ]
        presence = [
            (HostPresence(*row[:5]), row[5])
            for row in db.execute(
                "SELECT host, status, first_seen, last_seen, gone_at, last_scan_id FROM guests WHERE node = ?",
                [node],
            )
        ]
    if not events and not presence:
        raise UnknownNodeError(f"no scan has seen a guest named {node!r}", "see `vminv ls` for the known guests")
    # The last sighting on each host closes the story (it is not an event row).
    for host, last_scan_id in presence:
        if host.last_seen is not None:
            events.append(HistoryEvent(last_scan_id, host.last_seen, host.host, "last_seen", None, None, None))
    events.sort(key=lambda e: (e.scan_id if e.scan_id is not None else float("inf"), _EVENT_ORDER.get(e.event, 5)))
    hosts = tuple(sorted((p for p, _ in presence), key=lambda p: natural_key(p.host)))
    seen_first = [p.first_seen for p in hosts if p.first_seen]
    seen_last = [p.last_seen for p in hosts if p.last_seen]
    return GuestHistory(
        node=node,
        first_seen=min(seen_first) if seen_first else None,
        last_seen=max(seen_last) if seen_last else None,
        hosts=hosts,
        events=tuple(events),
    )


# Within one scan: how it arrived, what changed, then where it is last seen.
_EVENT_ORDER = {"first_seen": 0, "returned": 0, "moved": 1, "changed": 2, "gone": 3, "last_seen": 4, "pruned": 6}
