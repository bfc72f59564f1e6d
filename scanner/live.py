"""Scan one host through libvirt (read-only), in as few round trips as libvirt allows.

Per host (see ../shared/notes/libvirt-scanning.md, measured): one open,
``getAllDomainStats(STATE|BLOCK)`` which lists every domain with its state
and its disks' capacities in one round trip, then ``XMLDesc(0)`` for each domain fanned out over several
threads that share the one connection (libvirt's RPC client multiplexes
concurrent calls), with the host-fact calls in the same fan-out. A host of
200 guests costs about 13 + 200/K round trips, not 200.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import libvirt

from vminv.errors import (
    AuthError,
    DomainXMLError,
    HostKeyError,
    LibvirtError,
    ScanError,
    ScanTimeoutError,
    UnreachableError,
)
from vminv.scanner.classify import classify_message, one_line
from vminv.scanner.disksizes import DISK_SIZES_PROBLEM, sizes_from_stats, with_disk_sizes
from vminv.scanner.domainlists import AUTOSTART, PERSISTENT, addresses_from, uuids_with
from vminv.scanner.domainxml import parse_domain, state_name
from vminv.scanner.events import ensure_event_loop
from vminv.scanner.hostfacts import dotted_version, host_facts
from vminv.scanner.model import DomainProblem, GuestAddress, GuestRecord, HostFacts

_ERROR_TYPES: dict[str, type[ScanError]] = {
    "unreachable": UnreachableError,
    "auth": AuthError,
    "host_key": HostKeyError,
    "timeout": ScanTimeoutError,
    "libvirt": LibvirtError,
}

_HINTS = {
    "unreachable": "check the host name, that sshd runs and that the port is open",
    "auth": "install this machine's ssh key for the URI's user, or use --transport ssh with a password",
    "host_key": "verify the host's key and update known_hosts (or pass --accept-new-host-keys for new hosts)",
    "timeout": "the host did not answer in time; check libvirtd on it or raise --timeout",
    "libvirt": "check that libvirtd runs on the host and that the URI's driver and path are right",
}


def _unreachable_hint(uri: str) -> str:
    """What to check when a host cannot be reached, by the URI's transport (what listens there)."""
    transport = uri.split(":", 1)[0].partition("+")[2]
    if transport in ("tcp", "tls"):
        return (f"check the host name, that libvirtd listens for {transport.upper()} there"
                f" (virtproxyd-{transport}.socket or listen_{transport}) and that the port is open")
    if transport in ("", "unix"):
        return "check that libvirtd (or the driver's daemon) runs and that the URI's driver and path are right"
    return _HINTS["unreachable"]


def scan_error(message: str, *, elapsed_s: float = 0.0, deadline_s: float | None = None, uri: str = "") -> ScanError:
    """Build the ScanError subclass that fits a failure message (``uri``: what was opened, for the hint)."""
    text = one_line(message)
    error_class = classify_message(text)
    if deadline_s is not None and error_class in ("libvirt", "unreachable") and elapsed_s >= deadline_s - 0.5:
        # Our ssh wrapper kills ssh at the deadline; libvirt then reports
        # "End of file while reading data", which really is a timeout.
        error_class = "timeout"
        text = f"no answer within {deadline_s:g}s ({text})"
    hint = _unreachable_hint(uri) if error_class == "unreachable" and uri else _HINTS[error_class]
    return _ERROR_TYPES[error_class](text, hint)


@dataclass(frozen=True)
class HostScan:
    guests: tuple[GuestRecord, ...]
    facts: HostFacts | None
    problems: tuple[DomainProblem, ...]
    xml: tuple[tuple[str, str], ...] = ()  # (uuid, domain XML), when asked to keep it


def _no_domain(exc: libvirt.libvirtError) -> bool:
    return bool(exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN)


def _quiet(call: Callable[[], object]) -> object:
    """A host fact is nice to have: a driver that lacks one must not fail the host."""
    try:
        return call()
    except libvirt.libvirtError:
        return None


Listed = list[tuple[libvirt.virDomain, str | None, dict[str, object]]]  # domain, state, its stats


def _list_domains_with_state(conn: libvirt.virConnect, problems: list[DomainProblem]) -> Listed:
    """Every domain with its state and block stats, in one round trip when the daemon allows.

    The block stats carry each disk's capacity. ``NOWAIT``: a domain busy with a
    job (a migration) answers without them rather than holding the scan. A daemon
    that refuses them (older than 4.5, or a policy) still lists the domains: one
    problem for the host, and its disk sizes stay unknown.
    """
    try:
        stats = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BLOCK,
                                       libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
        return [(dom, state_name(values.get("state.state")), values) for dom, values in stats]
    except libvirt.libvirtError as exc:
        refused = one_line(str(exc))
    try:
        stats = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, 0)
        listed: Listed = [(dom, state_name(values.get("state.state")), {}) for dom, values in stats]
    except libvirt.libvirtError as exc:
        if exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_RPC):
            raise
        # Daemons older than 1.2.8 lack bulk stats: list, then take state per domain.
        listed = [(dom, None, {}) for dom in conn.listAllDomains(0)]
    problems.append(DomainProblem(DISK_SIZES_PROBLEM, f"libvirt gave no block stats ({refused}); disk sizes unknown"))
    return listed


FACTS_PROBLEM = "host facts"  # the DomainProblem.domain of a problem with the host's facts


def facts_problems(problems: tuple[str, ...]) -> list[DomainProblem]:
    return [DomainProblem(FACTS_PROBLEM, message) for message in problems]


def _facts(pool: ThreadPoolExecutor, conn: libvirt.virConnect) -> Callable[[], tuple[HostFacts, tuple[str, ...]]]:
    """Start every fact call in the pool at once; return a function that joins them."""
    futures: dict[str, Future[object]] = {
        "caps": pool.submit(_quiet, conn.getCapabilities),
        "info": pool.submit(_quiet, conn.getInfo),
        "hostname": pool.submit(_quiet, conn.getHostname),
        "type": pool.submit(_quiet, conn.getType),
        "version": pool.submit(_quiet, conn.getVersion),
        "libversion": pool.submit(_quiet, conn.getLibVersion),
    }

    def join() -> tuple[HostFacts, tuple[str, ...]]:
        got = {key: future.result() for key, future in futures.items()}
        info = got["info"] if isinstance(got["info"], list) else None
        return host_facts(
            got["caps"] if isinstance(got["caps"], str) else None,
            hostname=got["hostname"] if isinstance(got["hostname"], str) else None,
            hypervisor_type=got["type"] if isinstance(got["type"], str) else None,
            hypervisor_version=dotted_version(got["version"]) if isinstance(got["version"], int) else None,
            libvirt_version=dotted_version(got["libversion"]) if isinstance(got["libversion"], int) else None,
            cpu_model=info[0] if info else None,
            memory_kib=info[1] * 1024 if info else None,  # getInfo reports MiB
            cpus=info[2] if info else None,
            sockets=info[5] if info else None,
            cores=info[6] if info else None,
            threads=info[7] if info else None,
        )

    return join


def _xml_and_state(dom: libvirt.virDomain, state: str | None) -> tuple[str, str | None] | None:
    """One domain's XML (and state when stats did not give it); None if it vanished."""
    try:
        xml = dom.XMLDesc(0)
        if state is None:
            state = state_name(dom.state(0)[0])
        return xml, state
    except libvirt.libvirtError as exc:
        if _no_domain(exc):
            return None  # undefined between listing and reading: not an error
        raise


def _with_addresses(guest: GuestRecord, found: dict[str, list[GuestAddress]]) -> GuestRecord:
    # Only running guests were asked; the rest keep None (not asked), never () (none found).
    return dataclasses.replace(guest, addresses=tuple(found[guest.uuid])) if guest.uuid in found else guest


def scan_libvirt_host(
    host: str,
    open_uri: str,
    *,
    xmldesc_threads: int = 16,
    keepalive: tuple[int, int] | None = (5, 3),
    deadline_s: float | None = None,
    keep_xml: bool = False,
    addresses: tuple[str, ...] = (),
) -> HostScan:
    """Scan ``host`` through ``open_uri`` (read-only). Raises a ScanError subclass on failure.

    :param addresses: address sources (lease, agent, arp) to ask of each running guest
    """
    ensure_event_loop()
    started = time.monotonic()
    try:
        conn = libvirt.openReadOnly(open_uri)
    except libvirt.libvirtError as exc:
        raise scan_error(str(exc), elapsed_s=time.monotonic() - started, deadline_s=deadline_s,
                         uri=open_uri) from None
    try:
        if keepalive:
            try:
                conn.setKeepAlive(*keepalive)
            except libvirt.libvirtError:
                pass  # local drivers (test:///, qemu:///) have no keepalive
        problems: list[DomainProblem] = []
        listed = _list_domains_with_state(conn, problems)
        domains = [(dom, state) for dom, state, _ in listed]
        block_stats = {id(dom): stats for dom, _, stats in listed}
        with ThreadPoolExecutor(max_workers=max(1, xmldesc_threads), thread_name_prefix=f"xml-{host}") as pool:
            join_facts = _facts(pool, conn)
            lists = [pool.submit(uuids_with, conn, flag) for flag in (AUTOSTART, PERSISTENT)]
            fetches = [(dom, pool.submit(_xml_and_state, dom, state)) for dom, state in domains]
            asked = {
                id(dom): [pool.submit(addresses_from, source, dom) for source in addresses]
                for dom, state in domains if addresses and state == "running"
            }
            guests: list[GuestRecord] = []
            size_problems: list[str] = []
            kept: list[tuple[str, str]] = []
            autostart, persistent = (future.result() for future in lists)  # queued first: done early
            for dom, future in fetches:
                name = _quiet(dom.name) or _quiet(dom.UUIDString) or "?"
                try:
                    fetched = future.result()
                except libvirt.libvirtError as exc:
                    error = scan_error(str(exc), elapsed_s=time.monotonic() - started, deadline_s=deadline_s,
                                       uri=open_uri)
                    if error.error_class != "libvirt":
                        raise error from None  # the connection itself is gone
                    problems.append(DomainProblem(str(name), f"cannot read domain XML: {error.message}"))
                    continue
                if fetched is None:
                    continue
                xml, state = fetched
                uuid = dom.UUIDString()  # kept by the local object: no round trip
                try:
                    guests.append(with_disk_sizes(parse_domain(
                        xml, host, state,
                        autostart=None if autostart is None else uuid in autostart,
                        persistent=None if persistent is None else uuid in persistent,
                    ), sizes_from_stats(block_stats[id(dom)], f"domain {uuid}", size_problems)))
                except DomainXMLError as exc:
                    problems.append(DomainProblem(str(name), str(exc)))
                    continue
                if keep_xml:
                    kept.append((guests[-1].uuid, xml))
            problems.extend(DomainProblem(DISK_SIZES_PROBLEM, message) for message in size_problems)
            facts, fact_problems = join_facts()
            problems.extend(facts_problems(fact_problems))
            found = {dom.UUIDString(): [a for f in asked[id(dom)] for a in f.result()] for dom, _ in domains
                     if id(dom) in asked}
        if found:
            guests = [_with_addresses(g, found) for g in guests]
        return HostScan(tuple(guests), facts, tuple(problems), tuple(kept))
    except libvirt.libvirtError as exc:
        raise scan_error(str(exc), elapsed_s=time.monotonic() - started, deadline_s=deadline_s,
                         uri=open_uri) from None
    finally:
        try:
            conn.close()
        except libvirt.libvirtError:
            pass
