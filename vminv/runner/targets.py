"""The hosts a profile scans: its noderange over the inventory's tables, a URI per host."""

from __future__ import annotations

from vminv import inventory
from vminv.errors import InventoryError
from vminv.inventory.location import Location
from vminv.runner.config import Profile
from vminv.scanner.scan import ScanSettings, TargetPlan, plan_targets


def profile_targets(profile: Profile, db_path: Location, ssh_password: str | None) -> TargetPlan:
    """One target per host of the profile's noderange, with rscan's precedence.

    A URI or transport stored for a host (``vminv host set-uri``) applies
    unless the profile sets its own (:func:`vminv.scanner.scan.plan_targets`).

    :raises NodeRangeError: the noderange is malformed or selects nothing
    """
    uris: dict[str, str] = {}
    transports: dict[str, str] = {}
    usable: Location | None = db_path
    try:  # both are empty when there is no inventory yet
        uris, transports = inventory.host_uris(db_path), inventory.host_transports(db_path)
    except InventoryError:
        usable = None  # the write step reports an unusable inventory; the scan still runs
    hosts = inventory.resolve_noderange(usable, profile.noderange)
    return plan_targets(
        hosts, uri_template=profile.uri,
        transport=profile.transport if "transport" in profile.sources else None,
        stored_uris=uris, stored_transports=transports, read_password=lambda: ssh_password,
    )


def scan_settings(profile: Profile) -> ScanSettings:
    return ScanSettings(
        concurrency=profile.concurrency,
        timeout_s=profile.timeout_s,
        xmldesc_threads=profile.xml_threads,
        known_hosts=str(profile.known_hosts) if profile.known_hosts else None,
        accept_new_host_keys=profile.accept_new_host_keys,
        keep_xml=profile.write is not None,  # kvm_nodedata, as rscan -w keeps it
        addresses=profile.addresses,
    )
