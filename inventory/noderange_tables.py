"""The inventory's tables as a noderange reads them: groups, attributes, ``nodegroup``.

The scanner's noderange code reads no database; this module gives it the
lookups (:class:`vminv.scanner.noderange.NodeTables`) over an open inventory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vminv.errors import NodeRangeError
from vminv.inventory.db import Database, database
from vminv.inventory.errors import DatabaseMissingError
from vminv.inventory.location import Location
from vminv.inventory.xcat import ATTRIBUTES, EXTRA_COLUMNS
from vminv.scanner.noderange import NodeGroup, expand_noderange, natural_key, read_noderange_file

# The xCAT tables keyed by node; attribute selection reads only these.
NODE_TABLES = ("nodelist", "nodehm", "nodetype", "vm", "mac", "vpd", "hypervisor", "kvm_nodedata")
_ATTRIBUTE_COLUMNS = {name: (table, column) for table, column, name in ATTRIBUTES + EXTRA_COLUMNS}
_DISABLED = ("1", "yes")  # xCAT's rule for the disable column


def read_groups(db: Database) -> dict[str, list[str]]:
    """Static groups: ``{group: [nodes]}`` from ``nodelist.groups``."""
    groups: dict[str, list[str]] = {}
    for node, text in db.execute("SELECT node, groups FROM nodelist"):
        for group in (text or "").split(","):
            if group.strip():
                groups.setdefault(group.strip(), []).append(node)
    return {group: sorted(nodes, key=natural_key) for group, nodes in sorted(groups.items())}


def read_known(db: Database) -> set[str]:
    """Names taken literally in a noderange: the nodes, hypervisors and scanned hosts."""
    rows = db.execute("SELECT node FROM nodelist UNION SELECT node FROM hypervisor UNION SELECT name FROM hosts")
    return {row[0] for row in rows}


class InventoryTables:
    """:class:`~vminv.scanner.noderange.NodeTables` over an open inventory database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._columns: dict[str, set[str]] = {}

    def nodes(self) -> Sequence[str]:
        return [row[0] for row in self._db.execute("SELECT node FROM nodelist")]

    def _table_columns(self, table: str) -> set[str]:
        if table not in self._columns:
            self._columns[table] = set(self._db.column_names(table))
        return self._columns[table]

    def column(self, table: str, column: str) -> Mapping[str, str]:
        if table not in NODE_TABLES:
            raise NodeRangeError(f"no table {table!r} to select nodes by", f"use one of {', '.join(NODE_TABLES)}")
        known = self._table_columns(table)
        if column not in known:
            raise NodeRangeError(
                f"table {table!r} has no column {column!r}", f"use one of {', '.join(sorted(known - {'node'}))}"
            )
        # Names checked against the schema above, so they can be spliced in.
        rows = self._db.execute(f"SELECT node, {column} FROM {table} WHERE disable IS NULL OR disable NOT IN (?, ?)",
                                list(_DISABLED))
        return {node: "" if value is None else str(value) for node, value in rows}

    def attribute(self, name: str) -> Mapping[str, str]:
        if name not in _ATTRIBUTE_COLUMNS:
            raise NodeRangeError(
                f"no node attribute {name!r} in a dynamic group's wherevals",
                f"use node or one of {', '.join(sorted(_ATTRIBUTE_COLUMNS))}",
            )
        table, column = _ATTRIBUTE_COLUMNS[name]
        return {node: value for node, value in self.column(table, column).items() if value != ""}

    def nodegroups(self) -> Mapping[str, NodeGroup]:
        rows = self._db.execute(
            "SELECT groupname, grouptype, wherevals FROM nodegroup WHERE disable IS NULL OR disable NOT IN (?, ?)",
            list(_DISABLED),
        )
        return {name: NodeGroup(name, grouptype or "static", wherevals or "") for name, grouptype, wherevals in rows}


def expand_in_db(db: Database, noderange: str, known: set[str]) -> list[str]:
    """``noderange`` over an open inventory: its groups, ``nodegroup`` and columns; ``^files`` are read."""
    return expand_noderange(noderange, read_groups(db), known, InventoryTables(db), read_noderange_file)


def resolve_noderange(db_path: Location | None, noderange: str) -> list[str]:
    """The names ``noderange`` selects, with the inventory at ``db_path`` if there is one.

    Known names are the nodes, hypervisors and scanned hosts the inventory
    holds; without an inventory (or with ``db_path`` None) only the forms that
    need no tables work.

    :raises NodeRangeError: the noderange is malformed or selects nothing
    """
    if db_path is not None:
        try:
            with database(db_path, create=False) as db:
                return expand_in_db(db, noderange, read_known(db))
        except DatabaseMissingError:
            pass
    return expand_noderange(noderange, read_file=read_noderange_file)
