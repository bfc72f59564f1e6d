"""Writing what an oVirt/RHEV engine knows (manager, cluster, data center) into the node tables.

The same rules as rscan's write flags, from :mod:`inventory.plan`
(``known_node_action``, ``new_node_action``): a VM whose ``vm`` row names
another host, or no host at all, is a conflict and is not touched.
"""

from __future__ import annotations

from collections.abc import Mapping

from vminv.inventory.db import Database, database, write_transaction
from vminv.inventory.location import Location
from vminv.inventory.plan import check_mode, known_node_action, new_node_action
from vminv.inventory.report import WriteEntry, WriteReport
from vminv.inventory.xcat import merge_groups

VM_ENGINE_COLUMNS = ("mgr", "cluster", "datacenter")
HOST_ENGINE_COLUMNS = ("type", "mgr", "cluster", "datacenter")


def _check_keys(attrs: Mapping[str, Mapping[str, str]], allowed: tuple[str, ...], what: str) -> None:
    for name, values in attrs.items():
        unknown = set(values) - set(allowed)
        if unknown:
            raise ValueError(f"{what} {name}: unknown keys {sorted(unknown)}; allowed {allowed}")


def _insert(db: Database, table: str, row: Mapping[str, str | None]) -> None:
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def _update(
    db: Database, table: str, node: str, current: Mapping[str, str | None], values: Mapping[str, str]
) -> tuple[str, str]:
    """Write the values that differ: ``("update", what changed)``, or ``("unchanged", "")``."""
    differing = {c: v for c, v in values.items() if current[c] != v}
    if not differing:
        return "unchanged", ""
    db.execute(
        f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in differing)} WHERE node = ?", [*differing.values(), node]
    )
    return "update", f"changed {', '.join(f'{table}.{c}' for c in differing)}"


def apply_engine_attributes(
    db_path: Location,
    vm_attrs: Mapping[str, Mapping[str, str]],
    host_attrs: Mapping[str, Mapping[str, str]],
    mode: str,
) -> WriteReport:
    """Fill ``vm.mgr/cluster/datacenter`` and ``hypervisor.type/mgr/cluster/datacenter``.

    :param vm_attrs: ``{vm name: {"host": engine's host or "", "mgr": ..., "cluster": ..., "datacenter": ...}}``;
        a VM is *same* when its ``vm`` row's host equals ``host`` (or when the
        engine gives no host, e.g. the VM is down), *new* without a ``vm`` row,
        a conflict when the row names another host or none
    :param host_attrs: ``{host name: {"type": ..., "mgr": ..., "cluster": ..., "datacenter": ...}}``;
        a host is *same* when it has a ``hypervisor`` row
    :param mode: ``'w'`` (new and same) or ``'u'`` (same only)
    :raises ValueError: an unknown mode or attribute key (a programming error)
    """
    check_mode(mode)
    if mode not in ("w", "u"):
        raise ValueError(f"engine attributes are written with mode 'w' or 'u', not {mode!r}")
    _check_keys(vm_attrs, ("host", *VM_ENGINE_COLUMNS), "vm")
    _check_keys(host_attrs, HOST_ENGINE_COLUMNS, "host")
    outcomes: dict[str, list[WriteEntry]] = {a: [] for a in ("new", "update", "unchanged", "skip", "conflict")}
    with database(db_path, create=True) as db, write_transaction(db):
        vm_rows = {row[0]: row[1:] for row in db.execute("SELECT node, host, mgr, cluster, datacenter FROM vm")}
        for name in sorted(vm_attrs):
            attrs = vm_attrs[name]
            engine_host = attrs.get("host") or None
            values = {c: attrs[c] for c in VM_ENGINE_COLUMNS if attrs.get(c)}
            where = engine_host or "(no host)"
            if name not in vm_rows:
                action, reason = new_node_action(name, mode)
                if action == "new":
                    _insert(db, "vm", {"node": name, "host": engine_host, **values})
                    db.execute(
                        "INSERT INTO nodelist (node, groups) VALUES (?, ?) ON CONFLICT (node) DO NOTHING",
                        [name, merge_groups(None)],
                    )
            else:
                action, reason = known_node_action(name, vm_rows[name][0], engine_host, mode)
                if action == "update":
                    current = dict(zip(VM_ENGINE_COLUMNS, vm_rows[name][1:]))
                    action, reason = _update(db, "vm", name, current, values)
            outcomes[action].append(WriteEntry(name, where, action, reason))
        host_rows = {row[0]: row[1:] for row in db.execute("SELECT node, type, mgr, cluster, datacenter FROM hypervisor")}
        for name in sorted(host_attrs):
            values = {c: v for c, v in host_attrs[name].items() if v}
            if name not in host_rows:
                if mode == "u":
                    action, reason = "skip", f"host {name} is not in the hypervisor table; -u only updates"
                else:
                    _insert(db, "hypervisor", {"node": name, **values})
                    action, reason = "new", f"host {name} was not in the hypervisor table"
            else:
                action, reason = _update(db, "hypervisor", name, dict(zip(HOST_ENGINE_COLUMNS, host_rows[name])), values)
            outcomes[action].append(WriteEntry(name, name, action, reason))
    return WriteReport(
        scan_id=None,
        mode=mode,
        written=tuple(outcomes["new"]),
        updated=tuple(outcomes["update"]),
        skipped=tuple(outcomes["skip"]),
        conflicts=tuple(outcomes["conflict"]),
        unchanged=len(outcomes["unchanged"]),
    )
