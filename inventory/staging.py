"""The scan staged in temporary tables, so that history and node tables are written set-wise in SQL.

``scan_guests`` has one row per scanned (node, host): its position in
``scan.guests``, content hash, and whether the write plan writes it to the
node tables. ``scan_answered`` lists the hosts that answered. No index
but the position: every use walks the table and looks up the real ones.
"""

from __future__ import annotations

from collections.abc import Collection

from vminv.inventory.db import Database
from vminv.inventory.track import ScanContent
from vminv.scanner.model import ScanResult


def stage_scan(
    db: Database,
    scan: ScanResult,
    content: ScanContent,
    written: Collection[tuple[str, str]],
) -> None:
    """Fill the temporary tables (inside the scan's write transaction).

    :param content: ``scan_content(scan)``
    :param written: the (node, host) pairs the write plan puts into the node tables
    """
    unstage_scan(db)
    # "position INTEGER PRIMARY KEY" is SQLite's rowid; on PostgreSQL an
    # identity column, given explicit values here.
    db.execute(
        "CREATE TEMP TABLE scan_guests (position INTEGER PRIMARY KEY, node TEXT, host TEXT, hash TEXT,"
        " written INTEGER NOT NULL)"
    )
    db.execute("CREATE TEMP TABLE scan_answered (host TEXT PRIMARY KEY)")
    hashes = content.hashes
    db.insert_rows(
        "scan_guests",
        ("position", "node", "host", "hash", "written"),
        [(position, key[0], key[1], hashes[position], int(key in written)) for key, position in content.positions.items()],
    )
    db.insert_rows("scan_answered", ("host",), [(name,) for name in dict.fromkeys(h.name for h in scan.hosts if h.ok)])
    db.analyze(["scan_guests", "scan_answered"])


def unstage_scan(db: Database) -> None:
    db.execute("DROP TABLE IF EXISTS scan_guests")
    db.execute("DROP TABLE IF EXISTS scan_answered")
