"""Removing guests that have been gone for a while: the only way records leave the inventory."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vminv.errors import UsageError
from vminv.inventory.db import database, write_transaction
from vminv.inventory.location import Location
from vminv.scanner.noderange import natural_key

# The xCAT rows of a node; removed with the guest when it is the node's record.
NODE_TABLES = ("nodelist", "nodehm", "nodetype", "vm", "mac", "vpd", "kvm_nodedata")


@dataclass(frozen=True)
class PrunedGuest:
    node: str
    host: str
    last_seen: str | None
    gone_at: str | None
    node_tables: bool  # its xCAT rows were removed too (vm.host was this host)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def prune(
    db_path: Location,
    older_than_days: float,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[PrunedGuest]:
    """Remove guests marked gone and last seen more than ``older_than_days`` ago.

    A guest whose host stopped answering is never gone, so never pruned.
    The guest's history (events, observations) stays; a ``pruned`` event
    records the removal. Its xCAT rows go too when ``vm.host`` names the
    host it was gone from (otherwise the node's record describes another copy).

    :param now: the current time (for tests); default the clock, in UTC
    :param dry_run: report what would be removed, remove nothing
    :raises UsageError: ``older_than_days`` is negative
    """
    if not math.isfinite(older_than_days) or older_than_days < 0:
        raise UsageError(
            f"--older-than must be a number of days, 0 or more (got {older_than_days:g})", "e.g. --older-than 30"
        )
    now = now or datetime.now(UTC)
    try:
        cutoff = now - timedelta(days=older_than_days)
    except OverflowError:  # more days than the calendar holds: nothing is that old
        cutoff = datetime.min.replace(tzinfo=UTC)
    removed: list[PrunedGuest] = []
    with database(db_path, create=False, write=True) as db, write_transaction(db):
        candidates = db.execute(
            "SELECT g.id, g.node, g.host, g.last_seen, g.gone_at, vm.host FROM guests g"
            " LEFT JOIN vm ON vm.node = g.node WHERE g.status = 'gone'"
        ).fetchall()
        for guest_id, node, host, last_seen, gone_at, vm_host in candidates:
            seen = _parse_time(last_seen)
            if seen is None or seen >= cutoff:
                continue
            owns_node = vm_host == host
            removed.append(PrunedGuest(node, host, last_seen, gone_at, owns_node))
            if dry_run:
                continue
            db.execute("DELETE FROM guest_nics WHERE guest_id = ?", [guest_id])
            db.execute("DELETE FROM guest_disks WHERE guest_id = ?", [guest_id])
            db.execute("DELETE FROM guests WHERE id = ?", [guest_id])
            if owns_node:
                for table in NODE_TABLES:
                    db.execute(f"DELETE FROM {table} WHERE node = ?", [node])
            db.execute(
                "INSERT INTO guest_events (guest_id, node, host, scan_id, at, event, field, old_value, new_value)"
                " VALUES (?, ?, ?, NULL, ?, 'pruned', NULL, ?, ?)",
                [guest_id, node, host, now.isoformat(timespec="seconds"), last_seen,
                 "node tables removed" if owns_node else None],
            )
    return sorted(removed, key=lambda p: (natural_key(p.node), natural_key(p.host)))
