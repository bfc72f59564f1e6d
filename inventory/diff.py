"""What changed between two scans: guests added, gone, moved, and changed fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from vminv.inventory.db import Database, database
from vminv.inventory.errors import UnknownScanError
from vminv.inventory.location import Location
from vminv.inventory.queries import resolve_scan_id
from vminv.inventory.records import changed_fields, record_from_json
from vminv.inventory.sqlhelp import chunks
from vminv.scanner.noderange import natural_key

Key = tuple[str, str]  # (node, host)


class Version(NamedTuple):
    id: int
    hash: str  # equal hashes, equal content


@dataclass(frozen=True)
class DiffEntry:
    change: str  # added | gone | moved | changed | unscanned
    node: str
    host: str  # where it is in the later scan (for gone, and unscanned in the later scan: where it was)
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScanDiff:
    scan_a: int
    scan_b: int
    entries: tuple[DiffEntry, ...]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("added", "gone", "moved", "changed", "unscanned"), 0)
        seen_changed: set[Key] = set()
        for entry in self.entries:
            if entry.change == "changed":
                seen_changed.add((entry.node, entry.host))
            else:
                counts[entry.change] += 1
        counts["changed"] = len(seen_changed)
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan_a": self.scan_a,
            "scan_b": self.scan_b,
            "counts": self.counts(),
            "entries": [e.to_dict() for e in self.entries],
        }


@dataclass(frozen=True)
class DiffOutline:
    """The part of a diff that needs no stored record: what appeared, went, moved."""

    entries: list[DiffEntry]
    compare: list[tuple[Key, Key]]  # (before, after) pairs whose versions differ


def outline_diff(
    before: Mapping[Key, Version],
    after: Mapping[Key, Version],
    answered_after: set[str],
    scanned_after: set[str],
    answered_before: set[str] | None = None,
    scanned_before: set[str] | None = None,
) -> DiffOutline:
    """Compare two scans' observations ``{(node, host): version}`` (pure).

    A guest missing from the later scan is *gone* only if its host answered
    that scan; otherwise it is *unscanned* (the host failed or was not asked),
    the reason in ``new_value``. Likewise a guest found in the later scan is
    *added* only if its host answered the earlier one; otherwise it is
    *unscanned* too, the reason (about the earlier scan) in ``old_value``.
    ``answered_before`` None means every host answered the earlier scan.
    """
    entries: list[DiffEntry] = []
    compare: list[tuple[Key, Key]] = []
    missing: dict[str, list[Key]] = {}
    for key in before:
        if key in after:
            if before[key].hash != after[key].hash:
                compare.append((key, key))
        elif key[1] in answered_after:
            missing.setdefault(key[0], []).append(key)
        else:
            why = "host failed" if key[1] in scanned_after else "host not scanned"
            entries.append(DiffEntry("unscanned", key[0], key[1], new_value=why))
    for key in sorted(after.keys() - before.keys(), key=lambda k: natural_key(k[1])):
        sources = missing.get(key[0])
        if sources:
            source = sources.pop(0)
            entries.append(DiffEntry("moved", key[0], key[1], "host", source[1], key[1]))
            if before[source].hash != after[key].hash:
                compare.append((source, key))
        elif answered_before is not None and key[1] not in answered_before:
            # The earlier scan could not see this host's guests: not evidence of an addition.
            why = "host failed" if scanned_before is not None and key[1] in scanned_before else "host not scanned"
            entries.append(DiffEntry("unscanned", key[0], key[1], old_value=why))
        else:
            entries.append(DiffEntry("added", key[0], key[1]))
    for keys in missing.values():
        entries.extend(DiffEntry("gone", node, host) for node, host in keys)
    return DiffOutline(entries, compare)


_CHANGE_ORDER = {"added": 0, "moved": 1, "changed": 2, "gone": 3, "unscanned": 4}


def _observations(db: Database, scan_id: int) -> dict[Key, Version]:
    return {
        (node, host): Version(version_id, digest)
        for node, host, version_id, digest in db.execute(
            "SELECT v.node, v.host, o.version_id, v.hash FROM observations o"
            " JOIN guest_versions v ON v.id = o.version_id WHERE o.scan_id = ?",
            [scan_id],
        )
    }


def diff_scans(db_path: Location, scan_a: int | None = None, scan_b: int | None = None) -> ScanDiff:
    """What changed from ``scan_a`` to ``scan_b``; by default the last two scans.

    With only ``scan_a`` given, ``scan_b`` is the latest scan.

    :raises UnknownScanError: a scan id is unknown, or there are fewer than two scans
    """
    with database(db_path, create=False) as db:
        if scan_a is None and scan_b is None:
            ids = [row[0] for row in db.execute("SELECT id FROM scans ORDER BY id DESC LIMIT 2")]
            if len(ids) < 2:
                raise UnknownScanError(
                    f"a diff needs two scans; the database holds {len(ids)}", "run `rscan NODERANGE` again"
                )
            scan_b, scan_a = ids
        else:
            scan_a = resolve_scan_id(db, scan_a)
            scan_b = resolve_scan_id(db, scan_b)
        before = _observations(db, scan_a)
        after = _observations(db, scan_b)
        hosts = db.execute("SELECT host, status FROM scan_hosts WHERE scan_id = ?", [scan_b]).fetchall()
        hosts_a = db.execute("SELECT host, status FROM scan_hosts WHERE scan_id = ?", [scan_a]).fetchall()
        outline = outline_diff(
            before,
            after,
            {h for h, s in hosts if s == "ok"},
            {h for h, _ in hosts},
            {h for h, s in hosts_a if s == "ok"},
            {h for h, _ in hosts_a},
        )
        wanted = sorted({before[a].id for a, _ in outline.compare} | {after[b].id for _, b in outline.compare})
        records = {}
        for part in chunks(wanted):
            marks = ",".join("?" * len(part))
            for version_id, text in db.execute(
                f"SELECT id, record FROM guest_versions WHERE id IN ({marks})", list(part)
            ):
                records[version_id] = record_from_json(text)
    entries = list(outline.entries)
    for old_key, new_key in outline.compare:
        for field, old, new in changed_fields(records[before[old_key].id], records[after[new_key].id]):
            entries.append(DiffEntry("changed", new_key[0], new_key[1], field, old, new))
    entries.sort(key=lambda e: (natural_key(e.node), natural_key(e.host), _CHANGE_ORDER[e.change]))
    return ScanDiff(scan_a=scan_a, scan_b=scan_b, entries=tuple(entries))
