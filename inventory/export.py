"""Node definitions read back from the xCAT tables, for ``vminv export``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vminv.inventory.db import database
from vminv.inventory.location import Location
from vminv.inventory.noderange_tables import expand_in_db
from vminv.inventory.xcat import ATTRIBUTES, EXTRA_COLUMNS, is_valid_node_name
from vminv.scanner.noderange import natural_key

ATTRIBUTE_NAMES = tuple(sorted(name for _, _, name in ATTRIBUTES))
EXTRA_NAMES = tuple(name for _, _, name in EXTRA_COLUMNS)


@dataclass(frozen=True)
class NodeDefinition:
    node: str
    attributes: dict[str, str] = field(default_factory=dict)  # valid mkdef attributes
    extra: dict[str, str] = field(default_factory=dict)  # vpd.uuid, vm.powerstate, ...

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, **{k: self.attributes.get(k) for k in ATTRIBUTE_NAMES}, **{
            k: self.extra.get(k) for k in EXTRA_NAMES
        }}


def export_nodes(db_path: Location, noderange: str | None = None) -> tuple[list[NodeDefinition], list[str]]:
    """Every node of ``nodelist`` (or of ``noderange``) with its attributes.

    :returns: the definitions with valid xCAT node names, and the names left
        out because ``mkdef`` would refuse them
    """
    with database(db_path, create=False) as db:
        nodes = [row[0] for row in db.execute("SELECT node FROM nodelist")]
        if noderange:
            wanted = set(expand_in_db(db, noderange, set(nodes)))
            nodes = [n for n in nodes if n in wanted]
        values: dict[str, dict[str, str]] = {n: {} for n in nodes}
        for table, column, name in ATTRIBUTES + EXTRA_COLUMNS:
            for node, value in db.execute(f"SELECT node, {column} FROM {table} WHERE {column} IS NOT NULL"):
                if node in values and str(value).strip():
                    values[node][name] = str(value)
    extra_names = set(EXTRA_NAMES)
    definitions, invalid = [], []
    for node in sorted(values, key=natural_key):
        if not is_valid_node_name(node):
            invalid.append(node)
            continue
        attrs = {k: v for k, v in values[node].items() if k not in extra_names}
        extra = {k: v for k, v in values[node].items() if k in extra_names}
        definitions.append(NodeDefinition(node, attrs, extra))
    return definitions, invalid
