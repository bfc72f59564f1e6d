"""Retention: old scans leave, every guest's history stays.

A scan's rows are its ``scans`` row, its per-host coverage (``scan_hosts``),
one ``observations`` row per guest seen and its reconciliation ``findings``;
those go. What a guest's history is made of stays: ``guest_events`` (first
seen, each change with old and new value, moves, gone, pruned) carry their
own time, host and values, and ``guests`` keeps first and last seen. A
stored record version (``guest_versions``) goes once no remaining scan
observed it and no guest row points at it.

The newest scan is never removed. Freed pages are reused by the next scans,
so an inventory under steady retention stops growing without VACUUM;
``vacuum="auto"`` rewrites the file only when more than a quarter of it is
free (after a first prune of a long history), ``"always"`` after every prune.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vminv.errors import UsageError
from vminv.inventory.db import database, write_transaction
from vminv.inventory.location import Location

VACUUM_POLICIES = ("auto", "never", "always")
AUTO_VACUUM_FREE_SHARE = 0.25


@dataclass(frozen=True)
class RetentionReport:
    scans_removed: int
    observations_removed: int
    versions_removed: int
    findings_removed: int
    oldest_kept: str | None  # start time of the oldest scan kept
    bytes_before: int
    bytes_after: int
    vacuumed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scans_to_remove(rows: list[tuple[int, str]], keep_days: float | None, keep_scans: int | None,
                     now: datetime) -> list[int]:
    """Scan ids past either limit, never the newest. ``rows``: (id, started), oldest first."""
    if not rows:
        return []
    remove: set[int] = set()
    if keep_scans is not None:
        remove.update(scan_id for scan_id, _ in rows[: max(0, len(rows) - keep_scans)])
    if keep_days is not None:
        cutoff = now - timedelta(days=keep_days)
        for scan_id, started in rows:
            try:
                when = datetime.fromisoformat(started)
            except ValueError:
                continue
            if (when if when.tzinfo else when.replace(tzinfo=UTC)) < cutoff:
                remove.add(scan_id)
    remove.discard(rows[-1][0])
    return sorted(remove)


def prune_scans(
    db_path: Location,
    keep_days: float | None = None,
    keep_scans: int | None = None,
    vacuum: str = "auto",
    now: datetime | None = None,
) -> RetentionReport:
    """Remove scans older than ``keep_days`` days or beyond the last ``keep_scans``.

    :raises UsageError: neither limit, a limit out of range, an unknown vacuum policy
    :raises InventoryError: the database cannot be opened or written
    """
    if keep_days is None and keep_scans is None:
        raise UsageError("retention needs days or scans", "e.g. retention = { days = 30 }")
    if (keep_days is not None and keep_days < 0) or (keep_scans is not None and keep_scans < 1):
        raise UsageError("retention days must be 0 or more and scans 1 or more")
    if vacuum not in VACUUM_POLICIES:
        raise UsageError(f"vacuum policy {vacuum!r} is unknown", f"use one of {', '.join(VACUUM_POLICIES)}")
    now = now or datetime.now(UTC)
    with database(db_path, create=False, write=True) as db:
        before = db.size_bytes()
        with write_transaction(db):
            rows = [(int(i), str(s)) for i, s in db.execute("SELECT id, started FROM scans ORDER BY id")]
            doomed = _scans_to_remove(rows, keep_days, keep_scans, now)
            observations = versions = findings = 0
            if doomed:
                db.execute("CREATE TEMP TABLE doomed (id INTEGER PRIMARY KEY)")
                db.insert_rows("doomed", ("id",), [(i,) for i in doomed])
                # Only versions these scans observed can become unreferenced.
                db.execute(
                    "CREATE TEMP TABLE doomed_versions AS SELECT DISTINCT version_id AS id FROM observations"
                    " WHERE scan_id IN (SELECT id FROM doomed)")
                observations = db.execute(
                    "DELETE FROM observations WHERE scan_id IN (SELECT id FROM doomed)").rowcount
                findings = db.execute("DELETE FROM findings WHERE scan_id IN (SELECT id FROM doomed)").rowcount
                db.execute("DELETE FROM scan_hosts WHERE scan_id IN (SELECT id FROM doomed)")
                db.execute("DELETE FROM scans WHERE id IN (SELECT id FROM doomed)")
                versions = db.execute(
                    "DELETE FROM guest_versions WHERE id IN (SELECT id FROM doomed_versions)"
                    " AND id NOT IN (SELECT version_id FROM observations)"
                    " AND id NOT IN (SELECT version_id FROM guests WHERE version_id IS NOT NULL)"
                ).rowcount
                db.execute("DROP TABLE doomed")
                db.execute("DROP TABLE doomed_versions")
            kept = db.execute("SELECT MIN(started) FROM scans").fetchone()[0]
        vacuumed = False
        if doomed and vacuum != "never" and (vacuum == "always" or db.free_share() > AUTO_VACUUM_FREE_SHARE):
            db.vacuum()
            vacuumed = True
        after = db.size_bytes()
    return RetentionReport(
        scans_removed=len(doomed), observations_removed=observations, versions_removed=versions,
        findings_removed=findings, oldest_kept=kept, bytes_before=before, bytes_after=after,
        vacuumed=vacuumed,
    )
