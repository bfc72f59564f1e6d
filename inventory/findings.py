"""Reconciliation findings (from ``vminv reconcile``) kept next to the scans they judge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from vminv.inventory.db import database, write_transaction
from vminv.inventory.location import Location

FINDING_KEYS = ("kind", "guest", "uuid", "engine_host", "scanned_host", "detail")


def store_findings(
    db_path: Location,
    scan_id: int | None,
    engine_url: str,
    findings: Sequence[Mapping[str, object]],
    recorded_at: str | None = None,
) -> None:
    """Append ``findings`` for ``scan_id`` and ``engine_url`` in one transaction.

    Each finding has at least the keys of :data:`FINDING_KEYS` (values may be None).

    :raises ValueError: a finding lacks one of those keys (a programming error)
    """
    for finding in findings:
        missing = [key for key in FINDING_KEYS if key not in finding]
        if missing:
            raise ValueError(f"finding {dict(finding)!r} lacks {', '.join(missing)}")
    at = recorded_at or datetime.now(UTC).isoformat(timespec="seconds")
    rows = [
        (scan_id, engine_url, *(None if f[k] is None else str(f[k]) for k in FINDING_KEYS), at) for f in findings
    ]
    with database(db_path, create=True) as db, write_transaction(db):
        db.executemany(
            "INSERT INTO findings (scan_id, engine_url, kind, guest, uuid, engine_host, scanned_host, detail,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
