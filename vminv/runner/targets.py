"""The hosts a profile scans: its noderange expanded with the inventory's groups, a URI per host."""

from __future__ import annotations

from pathlib import Path

from vminv import inventory
from vminv.errors import InventoryError
from vminv.runner.config import Profile
from vminv.scanner.noderange import expand_noderange
from vminv.scanner.scan import HostTarget, ScanSettings
from vminv.scanner.uri import DEFAULT_URI_TEMPLATE, build_uri


def plan_targets(profile: Profile, db_path: Path, ssh_password: str | None) -> list[HostTarget]:
    """One target per host of the profile's noderange.

    A URI or transport stored for a host (``vminv host set-uri``) applies
    unless the profile sets its own, as with rscan.

    :raises NodeRangeError: the noderange is malformed or names nothing known
    """
    groups: dict[str, list[str]] = {}
    known: set[str] = set()
    uris: dict[str, str] = {}
    transports: dict[str, str] = {}
    if db_path.exists():
        try:
            groups, known = inventory.load_groups(db_path), inventory.known_nodes(db_path)
            uris, transports = inventory.host_uris(db_path), inventory.host_transports(db_path)
        except InventoryError:
            pass  # the write step reports an unusable inventory; the scan still runs
    hosts = expand_noderange(profile.noderange, groups, known)
    transport_given = "transport" in profile.sources
    targets = []
    for host in hosts:
        transport = profile.transport if transport_given else transports.get(host, profile.transport)
        uri = uris[host] if profile.uri is None and host in uris else build_uri(profile.uri or DEFAULT_URI_TEMPLATE, host)
        targets.append(HostTarget(host, uri, transport, ssh_password if transport == "ssh" else None))
    return targets


def scan_settings(profile: Profile) -> ScanSettings:
    return ScanSettings(
        concurrency=profile.concurrency,
        timeout_s=profile.timeout_s,
        xmldesc_threads=profile.xml_threads,
        known_hosts=str(profile.known_hosts) if profile.known_hosts else None,
        accept_new_host_keys=profile.accept_new_host_keys,
        keep_xml=profile.write is not None,  # kvm_nodedata, as rscan -w keeps it
    )
