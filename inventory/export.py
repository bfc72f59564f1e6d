"""Node definitions read back from the xCAT tables, for ``vminv export``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vminv.inventory.db import database
from vminv.inventory.queries import read_groups
from vminv.inventory.xcat import is_valid_node_name
from vminv.scanner.noderange import expand_noderange, natural_key

# (table, column) -> xCAT node attribute (perl-xCAT Schema.pm defspec).
ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("nodelist", "groups", "groups"),
    ("nodelist", "status", "status"),
    ("nodelist", "comments", "usercomment"),
    ("nodehm", "mgt", "mgt"),
    ("nodehm", "serialport", "serialport"),
    ("nodehm", "serialspeed", "serialspeed"),
    ("nodetype", "arch", "arch"),
    ("nodetype", "os", "os"),
    ("mac", "mac", "mac"),
    ("vm", "host", "vmhost"),
    ("vm", "cpus", "vmcpus"),
    ("vm", "memory", "vmmemory"),
    ("vm", "nics", "vmnics"),
    ("vm", "nicmodel", "vmnicnicmodel"),
    ("vm", "storage", "vmstorage"),
    ("vm", "othersettings", "vmothersetting"),
    ("vm", "mgr", "vmmanager"),
    ("vm", "cluster", "vmcluster"),
    ("hypervisor", "type", "hosttype"),
    ("hypervisor", "mgr", "hostmanager"),
    ("hypervisor", "cluster", "hostcluster"),
)
# Columns xCAT keeps but has no node attribute for: in csv/json only.
EXTRA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("vpd", "uuid", "uuid"),
    ("vm", "powerstate", "powerstate"),
    ("vm", "datacenter", "vmdatacenter"),
)
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


def export_nodes(db_path: Path, noderange: str | None = None) -> tuple[list[NodeDefinition], list[str]]:
    """Every node of ``nodelist`` (or of ``noderange``) with its attributes.

    :returns: the definitions with valid xCAT node names, and the names left
        out because ``mkdef`` would refuse them
    """
    with database(db_path, create=False) as db:
        nodes = [row[0] for row in db.execute("SELECT node FROM nodelist")]
        if noderange:
            wanted = set(expand_noderange(noderange, read_groups(db), nodes))
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
