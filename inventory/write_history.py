"""Recording what a scan saw of each guest: observations, versions, devices, events.

Most guests of a scan are unchanged since the last one. Those are matched
and recorded in SQL (a join on node, host and content hash); only the rest,
new, changed, returned, moved or gone, go through :func:`plan_tracking`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from vminv.inventory.db import Database
from vminv.inventory.records import changed_fields, record_from_json
from vminv.inventory.sqlhelp import chunks
from vminv.inventory.track import KnownGuest, Observed, ScanContent, TrackPlan, plan_tracking
from vminv.inventory.xcat import mac_value, vm_values
from vminv.scanner.model import GuestRecord, ScanResult

_KNOWN_COLUMNS = "g.id, g.node, g.host, g.status, g.record_hash, g.version_id, g.uuid, g.last_seen"


def record_history(
    db: Database, scan_id: int, scan: ScanResult, content: ScanContent, staged: bool = True
) -> TrackPlan:
    """Record every guest of ``scan`` as observed in ``scan_id``; returns what happened to the others.

    :param content: ``scan_content(scan)``
    :param staged: the scan is staged (:func:`inventory.staging.stage_scan`),
        which matching it with the known guests needs; an inventory without
        guests has nothing to match, and need not stage it
    """
    settled, known = _match_known(db, scan_id) if staged else (set(), [])
    track = plan_tracking(known, scan, content, settled)
    _apply_tracking(db, scan_id, scan, track, content.records)
    return track


def _match_known(db: Database, scan_id: int) -> tuple[set[int], list[KnownGuest]]:
    """Observe the unchanged guests in SQL; the positions so settled, and the rows the rest needs."""
    # Unchanged and still present: observed as is, in SQL.
    unchanged = "g.status = 'present' AND g.record_hash IS d.hash"
    db.execute(
        "INSERT INTO observations (scan_id, guest_id, version_id, position)"
        " SELECT ?, g.id, g.version_id, d.position FROM scan_guests d"
        f" JOIN guests g ON g.node = d.node AND g.host = d.host WHERE {unchanged}",
        [scan_id],
    )
    settled = {row[0] for row in db.execute("SELECT position FROM observations WHERE scan_id = ?", [scan_id])}
    # The rows the rest needs: their own, and those present on hosts that
    # answered but not observed yet (gone, or moved, or, harmlessly, the
    # changed ones already listed by the first half).
    known = list(
        map(
            KnownGuest._make,
            db.execute(
                f"SELECT {_KNOWN_COLUMNS} FROM guests g JOIN scan_guests d"
                f" ON g.node = d.node AND g.host = d.host WHERE NOT ({unchanged})"
                f" UNION ALL SELECT {_KNOWN_COLUMNS} FROM guests g"
                " WHERE g.status = 'present' AND g.host IN (SELECT host FROM scan_answered)"
                " AND NOT EXISTS (SELECT 1 FROM observations o WHERE o.scan_id = ? AND o.guest_id = g.id)",
                [scan_id],
            ),
        )
    )
    return settled, known


def _guest_columns(guest: GuestRecord) -> tuple[object, ...]:
    _host, _cpus, memory, nics, nicmodel, storage, _state = vm_values(guest)
    return (
        guest.name,
        guest.hypervisor,
        guest.uuid,
        guest.type,
        guest.state,
        guest.id,
        guest.vcpus,
        guest.vcpus_current,
        guest.memory_kib,
        guest.current_memory_kib,
        guest.os_type,
        guest.arch,
        guest.machine,
        guest.cpu_sockets,
        guest.cpu_dies,
        guest.cpu_cores,
        guest.cpu_threads,
        guest.title,
        guest.description,
        json.dumps(dict(guest.ovirt), sort_keys=True) if guest.ovirt is not None else None,
        memory,
        nics,
        nicmodel,
        storage,
        mac_value(guest),
    )


_GUEST_COLUMNS = ["node", "host", "uuid", "type", "state", "domain_id", "vcpus", "vcpus_current", "memory_kib", "current_memory_kib", "os_type", "arch", "machine", "cpu_sockets", "cpu_dies", "cpu_cores", "cpu_threads", "title", "description", "ovirt", "memory_mib", "nics", "nicmodel", "storage", "macs"]


def _new_versions(db: Database, observed: list[Observed], records: Sequence[bytes]) -> dict[str, int]:
    """Store the records whose content changed; ``{hash: version id}``.

    A record equal to an older version of the same guest (shut off, then
    running again) is stored again rather than looked up: the look-up would
    cost an index on the hashes, which grows with every scan.
    """
    next_id = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM guest_versions").fetchone()[0]) + 1
    ids: dict[str, int] = {}
    rows = []
    for o in observed:
        if o.hash not in ids:
            ids[o.hash] = next_id
            rows.append((next_id, o.guest.name, o.guest.hypervisor, o.hash, records[o.position].decode("utf-8")))
            next_id += 1
    db.insert_rows("guest_versions", ("id", "node", "host", "hash", "record"), rows)
    return ids


def _previous_records(db: Database, version_ids: set[int]) -> dict[int, GuestRecord]:
    records: dict[int, GuestRecord] = {}
    for part in chunks(sorted(version_ids)):
        marks = ",".join("?" * len(part))
        for version_id, text in db.execute(f"SELECT id, record FROM guest_versions WHERE id IN ({marks})", list(part)):
            records[version_id] = record_from_json(text)
    return records


def _apply_tracking(db: Database, scan_id: int, scan: ScanResult, track: TrackPlan, records: Sequence[bytes]) -> None:
    seen_at = scan.started
    content_changed = [o for o in track.observed if o.content_changed]
    version_of = _new_versions(db, content_changed, records)

    next_id = first_new_id = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM guests").fetchone()[0]) + 1
    guest_id: dict[int, int] = {}  # observation position -> guests.id
    new_rows, changed_rows, observations = [], [], []
    with_devices: list[tuple[int, Observed]] = []  # (guests.id, observation) whose devices are (re)written
    # One pass builds every row: a scan has 100,000 observations.
    for o in track.observed:
        known = o.known
        if known is None:
            gid = next_id
            next_id += 1
            version_id: int | None = version_of[o.hash]  # typed as KnownGuest.version_id, used below
            new_rows.append(
                (gid, *_guest_columns(o.guest), "present", seen_at, scan_id, seen_at, scan_id, version_id, o.hash)
            )
            with_devices.append((gid, o))
        elif o.content_changed:
            gid, version_id = known.id, version_of[o.hash]
            changed_rows.append((*_guest_columns(o.guest), version_id, o.hash, gid))
            with_devices.append((gid, o))
        else:
            gid, version_id = known.id, known.version_id
        guest_id[o.position] = gid
        observations.append((scan_id, gid, version_id, o.position))

    db.insert_rows(
        "guests",
        ("id", *_GUEST_COLUMNS, "status", "first_seen", "first_scan_id", "last_seen", "last_scan_id", "version_id",
         "record_hash"),
        new_rows,
    )
    db.executemany(
        f"UPDATE guests SET {', '.join(f'{c} = ?' for c in _GUEST_COLUMNS)}, version_id = ?, record_hash = ?"
        " WHERE id = ?",
        changed_rows,
    )
    _write_devices(db, with_devices)
    db.insert_rows("observations", ("scan_id", "guest_id", "version_id", "position"), observations)
    # The rows just inserted carry all of this already.
    db.execute(
        "UPDATE guests SET last_seen = ?, last_scan_id = ?, status = 'present', gone_at = NULL,"
        " gone_scan_id = NULL WHERE id IN (SELECT guest_id FROM observations WHERE scan_id = ? AND guest_id < ?)",
        [seen_at, scan_id, scan_id, first_new_id],
    )
    db.executemany(
        "UPDATE guests SET status = 'gone', gone_at = ?, gone_scan_id = ? WHERE id = ?",
        [(seen_at, scan_id, row.id) for row in (*track.gone, *track.moved_away)],
    )
    db.insert_rows(
        "guest_events",
        ("guest_id", "node", "host", "scan_id", "at", "event", "field", "old_value", "new_value"),
        _events(db, scan_id, seen_at, track, guest_id),
    )


def _write_devices(db: Database, guests: list[tuple[int, Observed]]) -> None:
    ids = [(gid,) for gid, o in guests if o.known is not None]  # a new guest has no rows yet
    db.executemany("DELETE FROM guest_nics WHERE guest_id = ?", ids)
    db.executemany("DELETE FROM guest_disks WHERE guest_id = ?", ids)
    db.insert_rows(
        "guest_nics",
        ("guest_id", "position", "type", "mac", "source", "model", "target"),
        [
            (gid, index, nic.type, nic.mac, nic.source, nic.model, nic.target)
            for gid, o in guests
            for index, nic in enumerate(o.guest.nics)
        ],
    )
    db.insert_rows(
        "guest_disks",
        ("guest_id", "position", "device", "type", "source", "target", "bus", "format", "readonly", "capacity_bytes"),
        [
            (gid, index, d.device, d.type, d.source, d.target, d.bus, d.format, int(d.readonly), d.capacity_bytes)
            for gid, o in guests
            for index, d in enumerate(o.guest.disks)
        ],
    )


def _events(
    db: Database,
    scan_id: int,
    at: str,
    track: TrackPlan,
    guest_id: dict[int, int],
) -> list[tuple[object, ...]]:
    changes = _field_changes(db, track)
    events: list[tuple[object, ...]] = []
    for o in track.observed:
        event, changed = o.event, changes.get(o.position)
        if event is None and changed is None:
            continue  # most guests of a rescan: nothing to say
        gid, node, host = guest_id[o.position], o.guest.name, o.guest.hypervisor
        if event == "moved" and o.moved_from is not None:
            events.append((gid, node, host, scan_id, at, "moved", "host", o.moved_from.host, host))
        elif event is not None:
            events.append((gid, node, host, scan_id, at, event, None, None, None))
        for field, old, new in changed or ():
            events.append((gid, node, host, scan_id, at, "changed", field, old, new))
    for row in track.gone:
        events.append((row.id, row.node, row.host, scan_id, at, "gone", None, row.last_seen, None))
    return events


def _field_changes(db: Database, track: TrackPlan) -> dict[int, list[tuple[str, str | None, str | None]]]:
    """``{position: changed fields}`` of the observations whose record differs from their previous one."""
    compare = [(o, o.previous) for o in track.observed if o.changed_since_previous]
    previous = _previous_records(db, {before.version_id for _, before in compare if before and before.version_id})
    return {
        o.position: changed_fields(previous[before.version_id], o.guest)
        for o, before in compare
        if before is not None and before.version_id in previous
    }
