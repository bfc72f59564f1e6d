"""Writing what an oVirt/RHEV engine knows (manager, cluster, data center) into the node tables.

The same new/same/conflict rules as rscan's write flags: a VM whose ``vm`` row
names another host is a conflict and is not touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from vminv.inventory.db import database, write_transaction
from vminv.inventory.plan import check_mode
from vminv.inventory.report import WriteEntry, WriteReport
from vminv.inventory.xcat import is_valid_node_name, merge_groups

VM_ENGINE_COLUMNS = ("mgr", "cluster", "datacenter")
HOST_ENGINE_COLUMNS = ("type", "mgr", "cluster", "datacenter")


def _check_keys(attrs: Mapping[str, Mapping[str, str]], allowed: tuple[str, ...], what: str) -> None:
    for name, values in attrs.items():
        unknown = set(values) - set(allowed)
        if unknown:
            raise ValueError(f"{what} {name}: unknown keys {sorted(unknown)}; allowed {allowed}")


def apply_engine_attributes(
    db_path: Path,
    vm_attrs: Mapping[str, Mapping[str, str]],
    host_attrs: Mapping[str, Mapping[str, str]],
    mode: str,
) -> WriteReport:
    """Fill ``vm.mgr/cluster/datacenter`` and ``hypervisor.type/mgr/cluster/datacenter``.

    :param vm_attrs: ``{vm name: {"host": engine's host or "", "mgr": ..., "cluster": ..., "datacenter": ...}}``;
        a VM is *same* when its ``vm`` row's host equals ``host`` (or when the
        engine gives no host, e.g. the VM is down), *new* without a ``vm`` row
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
    written: list[WriteEntry] = []
    updated: list[WriteEntry] = []
    skipped: list[WriteEntry] = []
    conflicts: list[WriteEntry] = []
    unchanged = 0
    with database(db_path, create=True) as db, write_transaction(db):
        vm_rows = {row[0]: row[1:] for row in db.execute("SELECT node, host, mgr, cluster, datacenter FROM vm")}
        for name in sorted(vm_attrs):
            attrs = vm_attrs[name]
            engine_host = attrs.get("host") or ""
            values = {c: attrs[c] for c in VM_ENGINE_COLUMNS if attrs.get(c)}
            where = engine_host or "(no host)"
            if not is_valid_node_name(name):
                skipped.append(WriteEntry(name, where, "skip", f"{name!r} is not a valid xCAT node name; not written"))
            elif name not in vm_rows:
                if mode == "u":
                    skipped.append(WriteEntry(name, where, "skip", f"node {name} is not in the inventory; -u only updates"))
                    continue
                row = {"node": name, "host": engine_host or None, **values}
                db.table("vm").insert(row)
                groups = db.execute("SELECT groups FROM nodelist WHERE node = ?", [name]).fetchone()
                if groups is None:
                    db.execute("INSERT INTO nodelist (node, groups) VALUES (?, ?)", [name, merge_groups(None)])
                written.append(WriteEntry(name, where, "new", f"node {name} was not in the inventory"))
            else:
                db_host = vm_rows[name][0]
                if engine_host and db_host and engine_host != db_host:
                    conflicts.append(
                        WriteEntry(name, where, "conflict", f"node {name} is in the inventory on {db_host}; not overwritten")
                    )
                    continue
                current = dict(zip(VM_ENGINE_COLUMNS, vm_rows[name][1:]))
                differing = {c: v for c, v in values.items() if current[c] != v}
                if differing:
                    db.table("vm").update(name, differing)
                    updated.append(WriteEntry(name, where, "update", f"changed {', '.join('vm.' + c for c in differing)}"))
                else:
                    unchanged += 1
        host_rows = {row[0]: row[1:] for row in db.execute("SELECT node, type, mgr, cluster, datacenter FROM hypervisor")}
        for name in sorted(host_attrs):
            values = {c: v for c, v in host_attrs[name].items() if v}
            if name not in host_rows:
                if mode == "u":
                    skipped.append(WriteEntry(name, name, "skip", f"host {name} is not in the hypervisor table; -u only updates"))
                    continue
                db.table("hypervisor").insert({"node": name, **values})
                written.append(WriteEntry(name, name, "new", f"host {name} was not in the hypervisor table"))
                continue
            current = dict(zip(HOST_ENGINE_COLUMNS, host_rows[name]))
            differing = {c: v for c, v in values.items() if current[c] != v}
            if differing:
                db.table("hypervisor").update(name, differing)
                updated.append(
                    WriteEntry(name, name, "update", f"changed {', '.join('hypervisor.' + c for c in differing)}")
                )
            else:
                unchanged += 1
    return WriteReport(
        scan_id=None,
        mode=mode,
        written=tuple(written),
        updated=tuple(updated),
        skipped=tuple(skipped),
        conflicts=tuple(conflicts),
        unchanged=unchanged,
    )
