"""Applying a write plan to the xCAT node tables, compared set-wise in SQL.

The values come from the ``guests`` rows the scan has just written (which
hold the rscan columns), for the (node, host) pairs the plan writes (staged
in ``scan_guests``, see :mod:`inventory.staging`). One join reads back
what the node tables hold for those nodes, so Python sees only the rows that
differ; missing rows are inserted by ``INSERT ... SELECT``. Comparing 100,000
guests row by row in Python costs seconds; this, a fraction. Call it after
:func:`inventory.write_history.record_history`.
"""

from __future__ import annotations

from collections.abc import Mapping

from vminv.inventory.db import Database
from vminv.inventory.plan import WritePlan
from vminv.inventory.report import WriteEntry
from vminv.inventory.xcat import NODEHM_ON_CREATE, SCAN_GROUPS, VM_OWNED, merge_groups

# Scan-owned single columns (table, column). A NULL in the scan's value
# (arch or MAC unknown) leaves the stored column alone.
SINGLE_COLUMNS = (("nodetype", "arch"), ("mac", "mac"), ("vpd", "uuid"))

_SCAN_COLUMNS = (*VM_OWNED, "arch", "mac", "uuid")

# The guests columns that hold each scan-owned value (as text, as xCAT keeps it).
_SOURCES = {
    "host": "g.host",
    "cpus": "CAST(g.vcpus_current AS TEXT)",  # what the guest runs, not <vcpu>'s ceiling
    "memory": "g.memory_mib",
    "nics": "g.nics",
    "nicmodel": "g.nicmodel",
    "storage": "g.storage",
    "powerstate": "g.state",
    "arch": "g.arch",
    "mac": "NULLIF(g.macs, '')",
    "uuid": "g.uuid",
}
# Every statement below walks this view and looks each node up in the real
# table's primary key.
_CREATE_SCAN_NODES = (
    f"CREATE TEMP VIEW scan_nodes AS SELECT w.node, {', '.join(f'{_SOURCES[c]} AS {c}' for c in _SCAN_COLUMNS)}"
    " FROM scan_guests w JOIN guests g ON g.node = w.node AND g.host = w.host WHERE w.written = 1"
)

# The exact default value first: it spares building strings for most rows.
_HAS_SCAN_GROUPS = f"n.groups = '{','.join(SCAN_GROUPS)}' OR (" + " AND ".join(
    f"instr(',' || replace(COALESCE(n.groups, ''), ' ', '') || ',', ',{group},') > 0" for group in SCAN_GROUPS
) + ")"

# Tables a scanned node may lack a row in, and the test for it; a bit each.
_MISSING_TABLES = ("vm", *(table for table, _ in SINGLE_COLUMNS), "nodelist", "nodehm")
_MISSING_TESTS = (
    "v.node IS NULL",
    *(f"t{i}.node IS NULL AND d.{c} IS NOT NULL" for i, (_, c) in enumerate(SINGLE_COLUMNS)),
    "n.node IS NULL",
    "h.node IS NULL",
)

# For each scanned node whose rows differ from the scan or are missing: the
# scan's values, the stored groups (Python merges them), 1/0 flags of what
# differs, and a bit mask of the tables that lack a row (see _MISSING_TABLES).
_DIFFERENCES = f"""
SELECT d.node, {", ".join(f"d.{c}" for c in _SCAN_COLUMNS)}, n.groups,
    {", ".join(f"v.node IS NOT NULL AND v.{c} IS NOT d.{c}" for c in VM_OWNED)},
    {", ".join(f"t{i}.node IS NOT NULL AND d.{c} IS NOT NULL AND t{i}.{c} IS NOT d.{c}" for i, (_, c) in enumerate(SINGLE_COLUMNS))},
    n.node IS NOT NULL AND NOT ({_HAS_SCAN_GROUPS}),
    h.node IS NOT NULL AND (h.mgt IS NULL OR h.mgt = ''),
    {" | ".join(f"(CAST(({test}) AS INTEGER) << {bit})" for bit, test in enumerate(_MISSING_TESTS))}
FROM scan_nodes d
LEFT JOIN vm v ON v.node = d.node
{" ".join(f"LEFT JOIN {table} t{i} ON t{i}.node = d.node" for i, (table, _) in enumerate(SINGLE_COLUMNS))}
LEFT JOIN nodelist n ON n.node = d.node
LEFT JOIN nodehm h ON h.node = d.node
WHERE ({" OR ".join(f"v.{c} IS NOT d.{c}" for c in VM_OWNED)}) AND v.node IS NOT NULL
   OR {" OR ".join(f"(t{i}.node IS NOT NULL AND d.{c} IS NOT NULL AND t{i}.{c} IS NOT d.{c})" for i, (_, c) in enumerate(SINGLE_COLUMNS))}
   OR (n.node IS NOT NULL AND NOT ({_HAS_SCAN_GROUPS}))
   OR (h.node IS NOT NULL AND (h.mgt IS NULL OR h.mgt = ''))
   OR (? AND ({" OR ".join(_MISSING_TESTS)}))
"""

# Past this many new guests (a first write) a missing row is the rule: each
# INSERT ... WHERE NOT EXISTS runs anyway, and rows missing a table are not
# fetched one by one just to learn that.
_MANY_NEW = 1000


def _insert_missing(
    db: Database,
    table: str,
    columns: tuple[str, ...],
    constants: tuple[str, ...] | None = None,
    unless_null: str | None = None,
) -> None:
    """Rows for the scanned nodes ``table`` lacks.

    :param constants: the same values for every row; default the scan's ``columns``
    :param unless_null: a scan column that, when NULL (unknown), means no row
    """
    select = ", ".join("?" * len(constants)) if constants else ", ".join(f"d.{c}" for c in columns)
    known = f"d.{unless_null} IS NOT NULL AND " if unless_null else ""
    db.execute(
        f"INSERT INTO {table} (node, {', '.join(columns)}) SELECT d.node, {select} FROM scan_nodes d"
        f" WHERE {known}NOT EXISTS (SELECT 1 FROM {table} t WHERE t.node = d.node)",
        list(constants or ()),
    )


def apply_write_plan(db: Database, plan: WritePlan) -> tuple[list[WriteEntry], int]:
    """Write the plan's new and same guests (staged as ``written`` in ``scan_guests``).

    :returns: an entry per updated guest in which a column changed (saying
        which), and how many same guests were already up to date
    """
    writes = [p for p in plan.entries if p.action in ("new", "update")]
    if not writes:
        return [], 0
    db.execute("DROP VIEW IF EXISTS scan_nodes")
    db.execute(_CREATE_SCAN_NODES)

    changes: dict[str, list[str]] = {}
    vm_updates, single_updates, group_updates, mgt_updates = [], [], [], []
    many_new = sum(1 for p in writes if p.action == "new") > _MANY_NEW
    missing_mask = (1 << len(_MISSING_TABLES)) - 1 if many_new else 0
    first_flag = 2 + len(_SCAN_COLUMNS)
    for row in db.execute(_DIFFERENCES, [not many_new]):
        missing_mask |= row[-1]
        flags = row[first_flag:-1]
        if not any(flags):
            continue  # only missing rows (a first write): inserted below, in SQL
        node, values, stored_groups = row[0], row[1 : first_flag - 1], row[first_flag - 1]
        vm_flags = flags[: len(VM_OWNED)]
        single_flags = flags[len(VM_OWNED) : len(VM_OWNED) + len(SINGLE_COLUMNS)]
        groups_differ, mgt_empty = flags[len(VM_OWNED) + len(SINGLE_COLUMNS) :]
        labels = [f"vm.{c}" for c, flag in zip(VM_OWNED, vm_flags) if flag]
        if labels:
            vm_updates.append((*values[: len(VM_OWNED)], node))
        for (table, column), flag, value in zip(SINGLE_COLUMNS, single_flags, values[len(VM_OWNED) :]):
            if flag:
                single_updates.append((table, column, value, node))
                labels.append(f"{table}.{column}")
        if groups_differ:
            group_updates.append((merge_groups(stored_groups), node))
            labels.append("nodelist.groups")
        if mgt_empty:
            mgt_updates.append((NODEHM_ON_CREATE["mgt"], node))
            labels.append("nodehm.mgt")
        if labels:
            changes[node] = labels

    db.executemany(f"UPDATE vm SET {', '.join(f'{c} = ?' for c in VM_OWNED)} WHERE node = ?", vm_updates)
    for table, column in SINGLE_COLUMNS:
        db.executemany(
            f"UPDATE {table} SET {column} = ? WHERE node = ?",
            [(value, node) for t, c, value, node in single_updates if (t, c) == (table, column)],
        )
    db.executemany("UPDATE nodelist SET groups = ? WHERE node = ?", group_updates)
    db.executemany("UPDATE nodehm SET mgt = ? WHERE node = ?", mgt_updates)

    # Each only when the join saw a node without a row there (usually none).
    missing_tables = {table for bit, table in enumerate(_MISSING_TABLES) if missing_mask >> bit & 1}
    if "vm" in missing_tables:
        _insert_missing(db, "vm", VM_OWNED)
    for table, column in SINGLE_COLUMNS:
        if table in missing_tables:
            _insert_missing(db, table, (column,), unless_null=column)
    if "nodelist" in missing_tables:
        _insert_missing(db, "nodelist", ("groups",), (merge_groups(None),))
    if "nodehm" in missing_tables:
        _insert_missing(db, "nodehm", tuple(NODEHM_ON_CREATE), tuple(NODEHM_ON_CREATE.values()))
    hosts = sorted({p.host for p in writes})
    db.executemany(
        "INSERT INTO hypervisor (node, type) VALUES (?, 'kvm') ON CONFLICT (node) DO NOTHING",
        [(h,) for h in hosts],
    )
    db.execute("DROP VIEW scan_nodes")

    entries: list[WriteEntry] = []
    unchanged = 0
    for planned in writes:
        if planned.action != "update":
            continue
        changed = changes.get(planned.guest.name)
        if changed:
            entries.append(WriteEntry(planned.node, planned.host, "update", f"{planned.reason}; changed {', '.join(changed)}"))
        else:
            unchanged += 1
    return entries, unchanged


def write_domain_xml(
    db: Database, plan: WritePlan, domain_xml: Mapping[tuple[str, str], str]
) -> int:
    """``kvm_nodedata.xml`` for the guests the plan writes, as xCAT's rscan keeps it.

    Only when the scan kept its XML; a row is rewritten only when the XML changed.
    Returns how many rows were inserted or changed.
    """
    rows = [
        (p.node, domain_xml[(p.host, p.guest.uuid)])
        for p in plan.entries
        if p.action in ("new", "update") and (p.host, p.guest.uuid) in domain_xml
    ]
    return db.executemany(
        "INSERT INTO kvm_nodedata (node, xml) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET xml = excluded.xml"
        " WHERE kvm_nodedata.xml IS NOT excluded.xml",
        rows,
    )
