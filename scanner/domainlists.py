"""What the domain XML does not say: autostart, persistence and (on request) guest addresses.

Autostart and persistence come from two list calls per host
(``listAllDomains`` with the AUTOSTART and PERSISTENT flags), not two calls
per guest. Addresses are asked of each running guest, one call per source,
in the same pool as the XML reads and so within the host's deadline. A guest
without an agent, or a source the host does not offer, is no error: that
source just gives nothing. The ``agent`` source needs a read-write connection
in libvirt, which vminv never opens; libvirt refuses it and it gives nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import libvirt

from vminv.errors import UsageError
from vminv.scanner.model import GuestAddress
from vminv.scanner.units import canonical_mac

ADDRESS_SOURCES = {
    "lease": libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
    "agent": libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
    "arp": libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
}
AUTOSTART = libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART
PERSISTENT = libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT


def check_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [s for s in sources if s not in ADDRESS_SOURCES]
    if unknown:
        raise UsageError(f"unknown address source {unknown[0]!r}", f"use some of {', '.join(ADDRESS_SOURCES)}")
    return tuple(dict.fromkeys(sources))


def uuids_with(conn: libvirt.virConnect, flag: int) -> frozenset[str] | None:
    """UUIDs of the domains a list flag selects; None when the daemon cannot say."""
    try:
        return frozenset(dom.UUIDString() for dom in conn.listAllDomains(flag))
    except libvirt.libvirtError:
        return None


def addresses_from(source: str, dom: libvirt.virDomain) -> tuple[GuestAddress, ...]:
    """One source's addresses of a running guest; () when the source has none or refuses."""
    try:
        interfaces = dom.interfaceAddresses(ADDRESS_SOURCES[source], 0) or {}
    except libvirt.libvirtError:
        return ()  # no agent, no leases, refused on a read-only connection: nothing known
    return addresses_from_reply(source, interfaces)


def addresses_from_reply(source: str, interfaces: Mapping[Any, Any]) -> tuple[GuestAddress, ...]:
    """``interfaceAddresses``' answer as records, keeping only what is well-formed.

    Every value in it comes from the guest: the agent reports what the guest
    says, and a DHCP lease or an ARP entry carries the MAC the guest sent. A
    MAC that libvirt could not have read becomes None, an address that is no
    IP address (or a prefix out of range) is left out; the interface name is
    kept as text (escaped wherever it is shown).
    """
    found = []
    for name, value in sorted(interfaces.items(), key=lambda item: str(item[0])):
        if not isinstance(value, Mapping):
            continue
        addrs = value.get("addrs")
        found.append(GuestAddress(
            source=source, interface=str(name),
            mac=_mac_or_none(value.get("hwaddr")),
            ips=tuple(ip for ip in map(_prefixed, addrs if isinstance(addrs, list) else []) if ip is not None),
        ))
    return tuple(found)


def _mac_or_none(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return canonical_mac(value)
    except ValueError:
        return None


def _prefixed(address: object) -> str | None:
    """``ADDRESS/PREFIX`` of one entry, or None when it is not an IP address with a prefix that fits."""
    if not isinstance(address, Mapping) or not isinstance(address.get("addr"), str):
        return None
    text = address["addr"]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    scope = getattr(ip, "scope_id", None)
    if scope is not None and not _SCOPE.fullmatch(scope):
        return None  # Python takes any text after the %; an interface name is all it may be
    prefix = address.get("prefix")
    if isinstance(prefix, bool) or not isinstance(prefix, int) or not 0 <= prefix <= ip.max_prefixlen:
        return None
    return f"{text}/{prefix}"  # as libvirt wrote it, now known to be an address


_SCOPE = re.compile(r"[A-Za-z0-9_.@-]{1,64}", re.ASCII)  # a Linux interface name (or a zone number)
