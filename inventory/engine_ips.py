"""The guest addresses an engine reports, kept per VM id (= the libvirt domain UUID)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from vminv.inventory.db import database, write_transaction
from vminv.inventory.location import Location


def store_engine_ips(db_path: Location, engine_url: str, ips: Mapping[str, Sequence[str]],
                     recorded_at: str | None = None) -> None:
    """Replace the stored addresses of each VM in ``ips`` (``{vm id: [address, ...]}``).

    A VM the engine reports no address for keeps what an earlier read stored.
    """
    at = recorded_at or datetime.now(UTC).isoformat(timespec="seconds")
    rows = [(uuid.lower(), engine_url, ",".join(addresses), at) for uuid, addresses in ips.items() if addresses]
    with database(db_path, create=True) as db, write_transaction(db):
        db.executemany(
            "INSERT INTO engine_guest_ips (uuid, engine_url, ips, recorded_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(uuid) DO UPDATE SET engine_url = excluded.engine_url, ips = excluded.ips,"
            " recorded_at = excluded.recorded_at",
            rows,
        )
