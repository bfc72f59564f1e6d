"""The guests present now, with what a configuration tool needs: ids, size, MACs, groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from vminv.inventory.db import database
from vminv.inventory.location import Location
from vminv.scanner.noderange import natural_key


@dataclass(frozen=True)
class GuestFacts:
    node: str
    host: str
    uuid: str | None
    state: str | None
    vcpus: int | None  # current
    memory_kib: int | None
    macs: tuple[str, ...]
    groups: tuple[str, ...]  # nodelist.groups, when the node is in the node tables
    in_node_tables: bool  # vm.host names this host: the node's record is this copy
    autostart: bool | None = None
    persistent: bool | None = None
    addresses: tuple[tuple[str, str], ...] = ()  # (source, "IP/PREFIX") of the latest record
    engine_ips: tuple[str, ...] = ()  # what an engine last reported for this UUID


def present_guests(db_path: Location) -> list[GuestFacts]:
    """Every guest present on a host (not gone), sorted by name then host."""
    with database(db_path, create=False) as db:
        rows = db.execute(
            "SELECT g.node, g.host, g.uuid, g.state, g.vcpus_current, g.memory_kib,"
            " (SELECT group_concat(mac, '|') FROM (SELECT n.mac FROM guest_nics n WHERE n.guest_id = g.id"
            "   AND n.mac IS NOT NULL ORDER BY n.position)),"
            " l.groups, vm.host = g.host, v.record, e.ips"
            " FROM guests g LEFT JOIN nodelist l ON l.node = g.node LEFT JOIN vm ON vm.node = g.node"
            " LEFT JOIN guest_versions v ON v.id = g.version_id"
            " LEFT JOIN engine_guest_ips e ON e.uuid = lower(g.uuid)"
            " WHERE g.status = 'present'"
        ).fetchall()
    facts = [
        GuestFacts(
            node=node, host=host, uuid=uuid, state=state, vcpus=vcpus, memory_kib=memory_kib,
            macs=tuple(m for m in (macs or "").split("|") if m),
            groups=tuple(g.strip() for g in (groups or "").split(",") if g.strip()),
            in_node_tables=bool(owns),
            engine_ips=tuple(ip for ip in (engine_ips or "").split(",") if ip),
            **_from_record(record),
        )
        for node, host, uuid, state, vcpus, memory_kib, macs, groups, owns, record, engine_ips in rows
    ]
    return sorted(facts, key=lambda f: (natural_key(f.node), natural_key(f.host)))


def _from_record(text: str | None) -> dict[str, Any]:
    """Autostart, persistence and addresses, which live in the stored record only."""
    if not text:
        return {}
    record = orjson.loads(text)
    addresses = tuple(
        (str(a.get("source")), str(ip)) for a in record.get("addresses") or () for ip in a.get("ips") or ()
    )
    return {"autostart": record.get("autostart"), "persistent": record.get("persistent"), "addresses": addresses}
