"""The inventory as Ansible sees it: the JSON of ``ansible-inventory --list`` (pure but for the read).

Groups: ``hypervisor_<host>``, ``state_<state>`` and each inventory group of
the node (``nodelist.groups``; ``all`` is Ansible's own). Ansible allows
letters, digits and ``_`` in group names, so other characters become ``_``.
Host variables carry the record under a ``vminv_`` prefix so that they never
shadow Ansible's own variables; ``ansible_host`` is the guest's address when a
scan with ``--addresses`` found one (see :func:`ansible_host`).

Ansible templates the variables an inventory script gives (``{{ ... }}`` runs
on the controller, ``lookup('pipe', ...)`` included), and a MAC address or a
guest-agent address is the guest owner's text. So every text of a host's
variables is written with Ansible's own mark ``{"__ansible_unsafe": TEXT}``
(:func:`untemplated`): Ansible reads the same string and never templates it;
``ansible-inventory --list`` prints the same marks.

Guest names come from the hypervisors and are hostile: a name Ansible could
mistake for an option or a pattern (anything but letters, digits, ``.``,
``_`` and ``-``, or a leading ``-``) is left out and reported. A name found
on several hosts appears once: the copy the node tables describe, else the
first by host name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vminv.inventory.guest_facts import GuestFacts, present_guests
from vminv.inventory.location import Location

_SAFE_HOST = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_GROUP_BAD = re.compile(r"[^A-Za-z0-9_]")
RESERVED_GROUPS = frozenset({"all", "ungrouped"})


@dataclass(frozen=True)
class AnsibleInventory:
    document: dict[str, Any]  # what `--list` prints
    left_out: tuple[tuple[str, str], ...] = field(default=())  # (name, reason)

    def host(self, name: str) -> dict[str, Any]:
        """What `--host NAME` prints: the host's variables, ``{}`` for an unknown host."""
        return dict(self.document["_meta"]["hostvars"].get(name, {}))


def untemplated(value: Any) -> Any:
    """``value`` with every string (also inside lists and mappings) marked unsafe for Ansible's templating."""
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    if isinstance(value, list | tuple):
        return [untemplated(item) for item in value]
    if isinstance(value, dict):
        return {key: untemplated(item) for key, item in value.items()}
    return value


def group_name(prefix: str, value: str) -> str:
    name = _GROUP_BAD.sub("_", f"{prefix}{value}")
    return name if re.match(r"^[A-Za-z_]", name) else f"_{name}"


def _choose(guests: Iterable[GuestFacts]) -> tuple[list[GuestFacts], list[tuple[str, str]]]:
    chosen: dict[str, GuestFacts] = {}
    left_out: list[tuple[str, str]] = []
    for guest in guests:
        if not _SAFE_HOST.fullmatch(guest.node):
            left_out.append((guest.node, "not a safe Ansible host name (letters, digits, '.', '_', '-')"))
            continue
        other = chosen.get(guest.node)
        if other is None or (guest.in_node_tables and not other.in_node_tables):
            if other is not None:
                left_out.append((other.node, f"also on {guest.host}; the copy on {other.host} is left out"))
            chosen[guest.node] = guest
        else:
            left_out.append((guest.node, f"also on {other.host}; the copy on {guest.host} is left out"))
    return list(chosen.values()), left_out


_SOURCE_ORDER = {"agent": 0, "lease": 1, "arp": 2, "engine": 3}


def ansible_host(addresses: Iterable[tuple[str, str]]) -> str | None:
    """The address Ansible should connect to: a global IPv4 first, then a global IPv6.

    The guest agent knows the guest's own view best, then DHCP leases, then ARP.
    Loopback, link-local and unparsable addresses are never chosen.
    """
    usable = []
    for source, text in addresses:
        try:
            ip = ipaddress.ip_interface(text).ip
        except ValueError:
            continue
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            continue
        usable.append((ip.version, _SOURCE_ORDER.get(source, 3), str(ip)))
    return min(usable)[2] if usable else None


def build_inventory(guests: Iterable[GuestFacts]) -> AnsibleInventory:
    chosen, left_out = _choose(guests)
    groups: dict[str, list[str]] = {}
    hostvars: dict[str, dict[str, Any]] = {}
    for guest in chosen:
        names = [group_name("hypervisor_", guest.host), group_name("state_", guest.state or "unknown")]
        names += [group_name("", g) for g in guest.groups if g not in RESERVED_GROUPS]
        for name in names:
            if name not in RESERVED_GROUPS:
                groups.setdefault(name, []).append(guest.node)
        hostvars[guest.node] = {
            "vminv_uuid": guest.uuid,
            "vminv_hypervisor": guest.host,
            "vminv_state": guest.state,
            "vminv_vcpus": guest.vcpus,
            "vminv_memory_mib": guest.memory_kib // 1024 if guest.memory_kib is not None else None,
            "vminv_macs": list(guest.macs),
            "vminv_groups": list(guest.groups),
            "vminv_autostart": guest.autostart,
            "vminv_persistent": guest.persistent,
            "vminv_addresses": [ip for _, ip in guest.addresses],
        }
        if guest.engine_ips:
            hostvars[guest.node]["vminv_engine_ips"] = list(guest.engine_ips)
        # libvirt's addresses first; the engine's where libvirt has none.
        address = ansible_host(guest.addresses) or ansible_host(("engine", ip) for ip in guest.engine_ips)
        if address is not None:
            hostvars[guest.node]["ansible_host"] = address
    document: dict[str, Any] = {
        "_meta": {"hostvars": {node: untemplated(variables) for node, variables in hostvars.items()}},
        "all": {"children": sorted(groups)},
    }
    for name in sorted(groups):
        document[name] = {"hosts": groups[name]}
    return AnsibleInventory(document, tuple(left_out))


def read_inventory(db_path: Location) -> AnsibleInventory:
    """The Ansible inventory of the guests present in the inventory at ``db_path``."""
    return build_inventory(present_guests(db_path))
