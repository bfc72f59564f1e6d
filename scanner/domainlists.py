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

import libvirt

from vminv.errors import UsageError
from vminv.scanner.model import GuestAddress

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


def _prefixed(address: dict[str, object]) -> str:
    return f"{address.get('addr')}/{address.get('prefix')}"


def addresses_from(source: str, dom: libvirt.virDomain) -> tuple[GuestAddress, ...]:
    """One source's addresses of a running guest; () when the source has none or refuses."""
    try:
        interfaces = dom.interfaceAddresses(ADDRESS_SOURCES[source], 0) or {}
    except libvirt.libvirtError:
        return ()  # no agent, no leases, refused on a read-only connection: nothing known
    found = []
    for name, value in sorted(interfaces.items()):
        addrs = value.get("addrs") or []
        found.append(GuestAddress(
            source=source, interface=str(name),
            mac=str(value["hwaddr"]).lower() if value.get("hwaddr") else None,
            ips=tuple(_prefixed(a) for a in addrs if a.get("addr")),
        ))
    return tuple(found)
