"""The scan staged in temporary tables, so that history and node tables are written set-wise in SQL.

``temp.scan_guests`` has one row per scanned (node, host): its position in
``scan.guests``, content hash, and whether the write plan writes it to the
node tables. ``temp.scan_answered`` lists the hosts that answered. No index
but the position: every use walks the table and looks up the real ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence

from vminv.scanner.model import ScanResult


def stage_scan(
    conn: sqlite3.Connection,
    scan: ScanResult,
    hashes: Sequence[str],
    written: Collection[tuple[str, str]],
) -> None:
    """Fill the temporary tables (inside the scan's write transaction).

    :param hashes: ``fingerprints(scan)``, in scan order
    :param written: the (node, host) pairs the write plan puts into the node tables
    """
    unstage_scan(conn)
    conn.execute(
        "CREATE TEMP TABLE scan_guests (position INTEGER PRIMARY KEY, node TEXT, host TEXT, hash TEXT,"
        " written INTEGER NOT NULL)"
    )
    conn.execute("CREATE TEMP TABLE scan_answered (host TEXT PRIMARY KEY)")
    # A (node, host) listed twice: the last one counts, as everywhere else.
    last_position = {(g.name, g.hypervisor): position for position, g in enumerate(scan.guests)}
    conn.executemany(
        "INSERT INTO temp.scan_guests (position, node, host, hash, written) VALUES (?, ?, ?, ?, ?)",
        [(position, key[0], key[1], hashes[position], key in written) for key, position in last_position.items()],
    )
    conn.executemany("INSERT OR IGNORE INTO temp.scan_answered VALUES (?)", [(h.name,) for h in scan.hosts if h.ok])


def unstage_scan(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.scan_guests")
    conn.execute("DROP TABLE IF EXISTS temp.scan_answered")
