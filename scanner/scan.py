"""Scan many hosts at once: bounded concurrency, one deadline per host.

A host that is down, refuses the key or never answers costs at most its own
deadline and never stalls the others: each host runs in its own thread, the
dispatcher gives up on it at the deadline (and frees its slot), and the ssh
wrapper (``scanner.sshwrap``) kills the transport underneath at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vminv import __version__
from vminv.errors import LibvirtError, ScanError, ScanTimeoutError, UsageError, VminvError
from vminv.limits import check_seconds
from vminv.scanner.live import HostScan, scan_error, scan_libvirt_host
from vminv.scanner.model import GuestRecord, HostResult, ScanResult
from vminv.scanner.noderange import natural_key
from vminv.scanner.sshwrap import SshOptions, SshWrappers
from vminv.scanner.uri import (
    DEFAULT_URI_TEMPLATE,
    URI_PASSWORD_WARNING,
    InvalidHostError,
    build_uri,
    check_template,
    has_password,
    split_uri,
    uri_without_password,
    with_params,
)

TRANSPORTS = ("libvirt", "ssh")


@dataclass(frozen=True)
class HostTarget:
    name: str  # as in the noderange; becomes the guests' ``hypervisor``
    uri: str  # the user's libvirt URI for this host, unchanged
    transport: str = "libvirt"  # "libvirt" (libvirt's own remote driver) or "ssh" (paramiko + virsh)
    password: str | None = field(default=None, repr=False)  # for transport "ssh" only
    # Why this host cannot be scanned at all (e.g. a name that cannot go into a
    # URI): it fails at once with this error, the others are scanned.
    unusable: ScanError | None = field(default=None, compare=False)


def host_target(name: str, template: str, *, uri: str | None = None, transport: str = "libvirt",
                password: str | None = None) -> HostTarget:
    """The target for one host: its own ``uri`` when it has one, else ``template`` with ``{host}`` = ``name``.

    A name that is not a host name (see :func:`vminv.scanner.uri.uri_host`)
    gives a target that fails at once, recorded like any failed host. A
    password in the URI is removed (libvirt ignores it; it would reach ssh's
    argv, the database and the output).

    :raises UsageError: the template itself is unusable (the same for every host).
    """
    if uri is not None:
        return HostTarget(name, uri_without_password(uri), transport, password)
    try:
        return HostTarget(name, uri_without_password(build_uri(template, name)), transport, password)
    except InvalidHostError as exc:
        return HostTarget(name, "", transport, password, unusable=exc)


@dataclass(frozen=True)
class TargetPlan:
    targets: tuple[HostTarget, ...]
    warnings: tuple[str, ...] = ()  # one line each, for the caller to show


def plan_targets(
    hosts: Sequence[str],
    *,
    uri_template: str | None = None,
    transport: str | None = None,
    stored_uris: Mapping[str, str] | None = None,
    stored_transports: Mapping[str, str] | None = None,
    read_password: Callable[[], str | None] = lambda: None,
) -> TargetPlan:
    """The targets of a live scan, with the precedence every caller shares.

    For each host: a URI template or transport given for the run wins over the
    host's own URI or transport stored with ``vminv host set-uri``, which wins
    over the defaults (:data:`DEFAULT_URI_TEMPLATE`, ``libvirt``).

    :param read_password: called once, and only when some host uses transport ``ssh``.
    :raises UsageError: the template is unusable, or a transport is unknown.
    """
    stored_uris = stored_uris or {}
    stored_transports = stored_transports or {}
    template = check_template(uri_template or DEFAULT_URI_TEMPLATE)
    own = {} if uri_template else {h: stored_uris[h] for h in hosts if h in stored_uris}
    transports = {h: transport or stored_transports.get(h) or "libvirt" for h in hosts}
    unknown = sorted(set(transports.values()) - set(TRANSPORTS))
    if unknown:
        raise UsageError(f"unknown transport {unknown[0]!r}", "use 'libvirt' or 'ssh'")
    password = read_password() if "ssh" in transports.values() else None
    targets = tuple(
        host_target(h, template, uri=own.get(h), transport=transports[h],
                    password=password if transports[h] == "ssh" else None)
        for h in hosts
    )
    given = [template, *own.values()]
    warnings = (URI_PASSWORD_WARNING,) if any(has_password(uri) for uri in given) else ()
    return TargetPlan(targets, warnings)


@dataclass(frozen=True)
class ScanSettings:
    # Hosts at once. Each costs a thread and an ssh process, little CPU: a host
    # mostly waits on round trips. 16 made a 20-host fleet wait a whole host's
    # time for a slot (bench_scan "bare": 1.25x a bare client at 100 ms RTT).
    concurrency: int = 64
    timeout_s: float = 60.0  # per host: connecting and scanning together
    xmldesc_threads: int = 32  # concurrent XMLDesc calls on one connection (bench: 16 -> 32 saves ~6 RTT per 200 guests)
    keepalive_interval_s: int = 5
    keepalive_count: int = 3
    connect_timeout_s: float = 10.0
    known_hosts: str | None = None
    accept_new_host_keys: bool = False
    keep_xml: bool = False  # keep each domain's XML in ScanResult.domain_xml
    addresses: tuple[str, ...] = ()  # address sources asked of running guests: lease, agent, arp

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1, not {self.concurrency}")
        check_seconds(self.timeout_s, "the timeout")
        check_seconds(self.connect_timeout_s, "the connect timeout")
        if self.xmldesc_threads < 1:
            raise UsageError(f"XML threads must be at least 1, not {self.xmldesc_threads}")
        from vminv.scanner.domainlists import check_sources

        check_sources(self.addresses)


ProgressCallback = Callable[[int, int, HostResult], None]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sort_guests(guests: Sequence[GuestRecord]) -> tuple[GuestRecord, ...]:
    """Guests in the order every output shows them: by host, then name (both naturally), then UUID."""
    host_keys: dict[str, tuple[tuple[int, int, str, str], ...]] = {}  # a few hosts, many guests each

    def key(guest: GuestRecord) -> tuple[object, ...]:
        host_key = host_keys.get(guest.hypervisor)
        if host_key is None:
            host_key = host_keys[guest.hypervisor] = natural_key(guest.hypervisor)
        return (host_key, natural_key(guest.name), guest.uuid)

    return tuple(sorted(guests, key=key))


def _keepalive(settings: ScanSettings) -> tuple[int, int]:
    # A hung daemon is noticed in interval x (count + 1); keep that inside the deadline.
    interval = max(1, min(settings.keepalive_interval_s, int(settings.timeout_s // (settings.keepalive_count + 2)) or 1))
    return interval, settings.keepalive_count


def _open_uri(target: HostTarget, settings: ScanSettings, wrappers: SshWrappers) -> str:
    parts = split_uri(target.uri)
    if parts.transport != "ssh":
        return target.uri  # local drivers need no deadline; libssh/tls are bounded by keepalive
    script = wrappers.script_for(
        SshOptions(
            deadline_s=settings.timeout_s,
            connect_timeout_s=settings.connect_timeout_s,
            alive_interval_s=_keepalive(settings)[0],
            alive_count=settings.keepalive_count,
            # libvirt reads known_hosts= only for libssh/libssh2; for ssh the wrapper applies it.
            known_hosts=parts.param("known_hosts") or settings.known_hosts,
            accept_new_host_keys=settings.accept_new_host_keys,
            ssh_command=parts.param("command"),
        )
    )
    return with_params(target.uri, command=str(script))


def _scan_one(target: HostTarget, settings: ScanSettings, wrappers: SshWrappers) -> HostScan:
    if target.unusable is not None:
        raise target.unusable
    if target.transport == "ssh":
        from vminv.scanner.sshtransport import scan_over_paramiko  # paramiko is only loaded when used

        return scan_over_paramiko(target.name, target.uri, target.password, settings)
    if target.transport != "libvirt":
        raise UsageError(f"unknown transport {target.transport!r}", "use 'libvirt' or 'ssh'")
    return scan_libvirt_host(
        target.name,
        _open_uri(target, settings, wrappers),
        xmldesc_threads=settings.xmldesc_threads,
        keepalive=_keepalive(settings),
        deadline_s=settings.timeout_s,
        keep_xml=settings.keep_xml,
        addresses=settings.addresses,
    )


class _Running:
    def __init__(self, target: HostTarget) -> None:
        self.target = target
        self.started = time.monotonic()
        self.outcome: HostScan | ScanError | None = None
        self.done = False


def scan_hosts(
    targets: Sequence[HostTarget],
    settings: ScanSettings,
    noderange: str = "",
    progress: ProgressCallback | None = None,
) -> ScanResult:
    """Scan every target; failures are recorded per host and the scan goes on."""
    started_at = utc_now()
    results: dict[str, HostResult] = {}
    guests: list[GuestRecord] = []
    domain_xml: dict[tuple[str, str], str] = {}
    pending = list(targets)
    running: list[_Running] = []
    wake = threading.Condition()
    grace_s = 2.0  # the wrapper kills ssh at the deadline; give libvirt a moment to say so

    def work(slot: _Running, wrappers: SshWrappers) -> None:
        try:
            slot.outcome = _scan_one(slot.target, settings, wrappers)
        except ScanError as exc:
            slot.outcome = exc
        except VminvError as exc:  # e.g. this host's URI does not fit its transport
            slot.outcome = LibvirtError(exc.message, exc.hint)  # its own hint, not a libvirt one
        except Exception as exc:
            slot.outcome = scan_error(f"{type(exc).__name__}: {exc}")
        with wake:
            slot.done = True
            wake.notify_all()

    def finish(slot: _Running, outcome: HostScan | ScanError) -> None:
        duration = time.monotonic() - slot.started
        if isinstance(outcome, ScanError):
            result = HostResult(
                name=slot.target.name, uri=slot.target.uri, status="failed",
                error_class=outcome.error_class, error=str(outcome), facts=None, duration_s=duration,
            )
        else:
            guests.extend(outcome.guests)
            domain_xml.update(((slot.target.name, uuid), xml) for uuid, xml in outcome.xml)
            result = HostResult(
                name=slot.target.name, uri=slot.target.uri, status="ok", error_class=None, error=None,
                facts=outcome.facts, duration_s=duration, guest_count=len(outcome.guests),
                problems=outcome.problems,
            )
        results[slot.target.name] = result
        if progress is not None:
            progress(len(results), len(targets), result)

    with SshWrappers() as wrappers, wake:
        while pending or running:
            while pending and len(running) < settings.concurrency:
                slot = _Running(pending.pop(0))
                running.append(slot)
                threading.Thread(
                    target=work, args=(slot, wrappers), name=f"scan-{slot.target.name}", daemon=True
                ).start()
            now = time.monotonic()
            for slot in list(running):
                if slot.done:
                    running.remove(slot)
                    assert slot.outcome is not None
                    finish(slot, slot.outcome)
                elif now - slot.started > settings.timeout_s + grace_s:
                    # Abandon the thread (it ends when its transport dies) and free the slot.
                    running.remove(slot)
                    finish(slot, ScanTimeoutError(
                        f"no answer within {settings.timeout_s:g}s",
                        "the host did not answer in time; check libvirtd on it or raise --timeout",
                    ))
            if running and not any(slot.done for slot in running):
                wake.wait(timeout=0.1)

    return ScanResult(
        started=started_at,
        finished=utc_now(),
        version=__version__,
        noderange=noderange,
        hosts=tuple(results[t.name] for t in targets),
        guests=sort_guests(guests),
        options={
            "concurrency": settings.concurrency,
            "timeout_s": settings.timeout_s,
            "transports": sorted({t.transport for t in targets}),
            **({"addresses": list(settings.addresses)} if settings.addresses else {}),
        },
        domain_xml=domain_xml,
    )
