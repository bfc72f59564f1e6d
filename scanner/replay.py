"""Scan saved ``virsh dumpxml`` output instead of live hosts (air-gapped audits, tests).

Layout: ``DIR/HOST/*.xml``, one folder per host named after it, one file per
domain. Optionally ``DIR/HOST/disk_sizes.json`` (disk capacities, see
:mod:`scanner.disksizes`) and ``DIR/HOST/host.json`` with ``{"uri": ..., "facts": {...},
"states": {"<uuid or name>": "paused", ...}}``,
because domain XML carries no state: without it a domain with an ``id`` is
taken as running, one without as shut off.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import stat
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

from vminv import __version__
from vminv.errors import DomainXMLError, ReplayError
from vminv.gcpause import gc_paused
from vminv.scanner.disksizes import DISK_SIZES_FILE, read_disk_sizes, with_disk_sizes
from vminv.scanner.domainxml import DOMAIN_STATES, parse_domain, without_graphics_passwords
from vminv.scanner.hostfacts import checked_facts
from vminv.scanner.model import DomainProblem, GuestRecord, HostFacts, HostResult, ScanResult
from vminv.scanner.noderange import natural_sorted
from vminv.scanner.scan import sort_guests, utc_now
from vminv.scanner.units import shown_value
from vminv.scanner.uri import uri_without_password
from vminv.scanner.xmlparse import MAX_HOST_DOCUMENT_BYTES, too_large

HOST_FILE = "host.json"
STATE_NAMES = frozenset(DOMAIN_STATES.values())

_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_regular_file(path: Path | str, limit: int = MAX_HOST_DOCUMENT_BYTES, known_regular: bool = False) -> bytes:
    """The bytes of ``path``, if it is a regular file (or a link to one) of at most ``limit`` bytes.

    A FIFO would block the scan for ever and ``/dev/zero`` would fill memory,
    so anything else is refused. The check that decides is made on the open
    descriptor (``fstat``), so the file read is the file checked; the open
    does not block (``O_NONBLOCK``: a FIFO without a writer), and at most
    ``limit + 1`` bytes are read whatever the size said. A ``stat`` first
    spares opening device nodes at all (skipped when ``known_regular``: the
    caller's directory listing already said a regular file, not a link).
    Raises :class:`DomainXMLError`.
    """
    def refuse(mode: int) -> DomainXMLError:
        return DomainXMLError(f"{_kind(mode)}, not a regular file; skipped")

    try:
        if not known_regular:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                raise refuse(mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise DomainXMLError(f"unreadable: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse(info.st_mode)
        if info.st_size > limit:
            raise DomainXMLError(f"{too_large(info.st_size, limit)}; skipped")
        # One read for the usual file: asking one byte beyond its size, a short
        # read is the end of it; a full one means it grew, so read on.
        chunks: list[bytes] = []
        size = 0
        want = info.st_size + 1
        while size <= limit:
            chunk = os.read(fd, min(want, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if len(chunk) < want:
                break
            want = 1 << 20
        if size > limit:  # it grew while we read
            raise DomainXMLError(f"{too_large(size, limit)}; skipped")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise DomainXMLError(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_json_object(path: Path) -> dict[str, object]:
    """A replay's JSON file (``host.json``, ``disk_sizes.json``) through :func:`read_regular_file`.

    :raises DomainXMLError: unreadable, not UTF-8 JSON, or not a JSON object (named by file name)
    """
    try:
        data = json.loads(read_regular_file(path).decode("utf-8"))
    except DomainXMLError as exc:
        raise DomainXMLError(f"{path.name}: {exc}") from None
    except ValueError as exc:
        raise DomainXMLError(f"{path.name} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise DomainXMLError(f"{path.name} is not a JSON object")
    return data


def replay_hosts(directory: Path) -> list[str]:
    """The host folders in a replay directory, naturally sorted."""
    if not directory.is_dir():
        raise ReplayError(f"replay folder {directory} does not exist", "give a folder holding one folder per host")
    return natural_sorted(p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _host_meta(folder: Path) -> tuple[str | None, HostFacts | None, dict[str, str], list[str]]:
    """The stored URI, facts and states of a replayed host, and what was wrong with them.

    A ``host.json`` is validated exactly like a live host's answers: facts
    through :func:`checked_facts`, states against libvirt's state names. A
    value of the wrong type is left out and named; the rest is used.
    """
    path = folder / HOST_FILE
    if not path.exists():
        return None, None, {}, []
    data = read_json_object(path)
    problems: list[str] = []
    uri = data.get("uri")
    if uri is not None and not isinstance(uri, str):
        problems.append(f"uri is not a text ({type(uri).__name__}); left out")
        uri = None
    elif uri is not None:
        uri = uri_without_password(uri)  # never carried on into the DB or the output
    facts: HostFacts | None = None
    raw_facts = data.get("facts")
    if isinstance(raw_facts, dict):
        facts, fact_problems = checked_facts(raw_facts)
        problems.extend(fact_problems)
    elif raw_facts is not None:
        problems.append(f"facts is not an object ({type(raw_facts).__name__}); left out")
    states: dict[str, str] = {}
    raw_states = data.get("states")
    if isinstance(raw_states, dict):
        for key, value in raw_states.items():
            if isinstance(value, str) and value in STATE_NAMES:
                states[key.lower()] = value
            else:
                problems.append(f"state of {shown_value(key)} is not a libvirt state ({shown_value(str(value))}); left out")
    elif raw_states is not None:
        problems.append(f"states is not an object ({type(raw_states).__name__}); left out")
    return uri, facts, states, problems


def _domain_files(folder: Path) -> list[os.DirEntry[str]]:
    """The ``*.xml`` entries of a host folder, in name order (as ``sorted(folder.glob("*.xml"))``)."""
    with os.scandir(folder) as entries:
        found = [entry for entry in entries if entry.name.endswith(".xml")]
    found.sort(key=lambda entry: entry.name)
    return found


def _replay_host(
    directory: Path, host: str, domain_xml: dict[tuple[str, str], str] | None = None
) -> tuple[HostResult, list[GuestRecord]]:
    started = time.monotonic()
    folder = directory / host
    uri = f"replay://{folder}"
    if not folder.is_dir():
        return HostResult(
            name=host, uri=uri, status="failed", error_class="unreachable",
            error=f"no folder {folder} in the replay; a replay holds one folder per host",
            facts=None, duration_s=0.0,
        ), []
    problems: list[DomainProblem] = []
    try:
        stored_uri, facts, states, meta_problems = _host_meta(folder)
        problems.extend(DomainProblem(HOST_FILE, message) for message in meta_problems)
    except DomainXMLError as exc:
        stored_uri, facts, states = None, None, {}
        problems.append(DomainProblem(HOST_FILE, str(exc)))
    size_problems: list[str] = []
    try:
        sizes = read_disk_sizes(folder, size_problems)
    except DomainXMLError as exc:
        sizes, size_problems = {}, [str(exc)]
    problems.extend(DomainProblem(DISK_SIZES_FILE, message) for message in size_problems)
    guests: list[GuestRecord] = []
    seen: set[str] = set()
    for entry in _domain_files(folder):
        try:
            data = read_regular_file(entry.path, known_regular=entry.is_file(follow_symlinks=False))
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise DomainXMLError("not UTF-8, which is all libvirt writes; skipped") from None
            record = parse_domain(data, host)
            state = states.get(record.uuid) or states.get(record.name.lower())
            if state:
                record = parse_domain(data, host, state)
        except DomainXMLError as exc:
            problems.append(DomainProblem(entry.name, str(exc)))
            continue
        if record.uuid in seen:
            problems.append(DomainProblem(entry.name, f"a second file for domain UUID {record.uuid}; skipped"))
            continue
        seen.add(record.uuid)
        guests.append(with_disk_sizes(record, sizes.get(record.uuid) or sizes.get(record.name.lower())))
        if domain_xml is not None:
            domain_xml[(host, record.uuid)] = without_graphics_passwords(text)
    return HostResult(
        name=host, uri=stored_uri or uri, status="ok", error_class=None, error=None, facts=facts,
        duration_s=time.monotonic() - started, guest_count=len(guests), problems=tuple(problems),
    ), list(sort_guests(guests))


def _replay_host_apart(
    directory: Path, host: str, keep_xml: bool
) -> tuple[HostResult, list[GuestRecord], dict[tuple[str, str], str] | None]:
    """:func:`_replay_host` in a worker process: the XML comes back with the records."""
    domain_xml: dict[tuple[str, str], str] | None = {} if keep_xml else None
    result, found = _replay_host(directory, host, domain_xml)
    return result, found, domain_xml


def _sorted_once(guests: list[GuestRecord], times_listed: int) -> Sequence[GuestRecord]:
    # A host named twice in the list was replayed twice: its guests are in twice, sort them together.
    return guests if times_listed <= 1 else sort_guests(guests)


def scan_replay(
    directory: Path,
    hosts: Sequence[str] | None = None,
    noderange: str = "",
    keep_xml: bool = False,
    workers: int = 1,
) -> ScanResult:
    """Scan a replay folder; ``hosts`` limits it to those (a missing one is a failed host).

    ``workers`` > 1 parses host folders in that many processes (parsing is
    CPU-bound, so threads would not help); the result is the same in any case.
    """
    started_at = utc_now()
    names = list(hosts) if hosts is not None else replay_hosts(directory)
    if not directory.is_dir():
        raise ReplayError(f"replay folder {directory} does not exist", "give a folder holding one folder per host")
    results: list[HostResult] = []
    found_on: dict[str, list[GuestRecord]] = {}
    domain_xml: dict[tuple[str, str], str] | None = {} if keep_xml else None
    with gc_paused():
        if workers > 1 and len(names) > 1:
            # fork: the workers need nothing but this module, and a replay opens no
            # libvirt connection whose threads a fork could copy half-way.
            context = multiprocessing.get_context("fork")
            # The workers live for this scan only: no collector at all (see vminv.gcpause).
            with ProcessPoolExecutor(min(workers, len(names)), mp_context=context, initializer=gc.disable) as pool:
                outcomes = pool.map(_replay_host_apart, repeat(directory), names, repeat(keep_xml))
                for result, found, xml in outcomes:
                    results.append(result)
                    found_on.setdefault(result.name, []).extend(found)
                    if domain_xml is not None and xml:
                        domain_xml.update(xml)
        else:
            for name in names:
                result, found = _replay_host(directory, name, domain_xml)
                results.append(result)
                found_on.setdefault(result.name, []).extend(found)
        # Each host's guests come sorted (in its worker): putting the hosts in
        # order gives what sort_guests would, without a key per guest here.
        listed = Counter(names)
        guests = tuple(guest for host in natural_sorted(found_on) for guest in _sorted_once(found_on[host], listed[host]))
    return ScanResult(
        started=started_at, finished=utc_now(), version=__version__, noderange=noderange,
        hosts=tuple(results), guests=guests, options={"replay": str(directory)},
        domain_xml=domain_xml or {},
    )
