"""What rscan writes into the xCAT tables, derived from a GuestRecord (pure).

The scan owns these columns and updates them; everything else in a row
(comments, ``vm.othersettings``, ``nodetype.os``, extra groups...) belongs to
the administrator and is never written by a scan.
"""

from __future__ import annotations

import re

from vminv.scanner.domainxml import disk_column, nic_column
from vminv.scanner.model import GuestRecord
from vminv.scanner.units import MAC_RULE, is_canonical_mac, kib_to_mib_text, shown_value

# mkdef's rule for node names (xCAT DBobjUtils); a '.' in particular is refused.
XCAT_NODE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

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

SCAN_GROUPS = ("vm", "all")

# Values written only when the row is created (xCAT's rscan defaults).
NODEHM_ON_CREATE = {"mgt": "kvm", "serialport": "0", "serialspeed": "115200"}

# Owned columns per table, in the order they are written.
VM_OWNED = ("host", "cpus", "memory", "nics", "nicmodel", "storage", "powerstate")


def is_valid_node_name(name: str) -> bool:
    # fullmatch: with match, "$" would also accept a name ending in a newline.
    return XCAT_NODE_NAME.fullmatch(name) is not None


def nicmodel_value(guest: GuestRecord) -> str:
    """NIC models comma-joined, aligned with ``vm.nics``; empty when no NIC names one."""
    models = [nic.model or "" for nic in guest.nics]
    return ",".join(models) if any(models) else ""


def mac_value(guest: GuestRecord) -> str:
    """MACs ``|``-separated, the form xCAT's ``mac.mac`` parser splits on.

    The parser refuses a domain whose MAC is not one; a record from elsewhere
    (an older inventory's JSON) never puts anything else into the mac table.
    """
    return "|".join(nic.mac for nic in guest.nics if nic.mac and is_canonical_mac(nic.mac))


# xCAT's mac.mac: MACs joined by "|", each optionally "!hostname" (or "!*NOIP*").
_MAC_ENTRY_NAME = re.compile(r"[A-Za-z0-9_.*-]+")


def mac_attribute_problem(value: str) -> str | None:
    """Why ``value`` cannot be a node's ``mac`` attribute (xCAT's mac.mac form), or None when it can."""
    for entry in value.split("|"):
        mac, bang, name = entry.partition("!")
        if not is_canonical_mac(mac) or (bang and not _MAC_ENTRY_NAME.fullmatch(name)):
            return f"its mac {shown_value(value)} is not MAC addresses ({MAC_RULE}, each optionally !hostname)"
    return None


def vm_values(guest: GuestRecord) -> tuple[str, ...]:
    """The ``vm`` columns of :data:`VM_OWNED`, in that order."""
    return (
        guest.hypervisor,
        str(guest.vcpus_current),  # what the guest runs; xCAT's rscan shows <vcpu>'s text
        kib_to_mib_text(guest.memory_kib),
        nic_column(guest.nics),
        nicmodel_value(guest),
        disk_column(guest.disks),
        guest.state,
    )


def merge_groups(existing: str | None) -> str:
    """Keep the administrator's groups in their order; make sure ``vm`` and ``all`` are there."""
    groups = [g.strip() for g in (existing or "").split(",") if g.strip()]
    for group in SCAN_GROUPS:
        if group not in groups:
            groups.append(group)
    return ",".join(groups)
