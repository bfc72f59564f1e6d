"""Host facts from libvirt's capabilities XML and node info (pure), and the one gate every
host fact passes, live or read back from a replay folder's ``host.json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from vminv.scanner.model import HostFacts
from vminv.scanner.units import COUNT_MAX, MEMORY_KIB_MAX, bounded_int, shown_value
from vminv.scanner.xmlparse import MAX_HOST_DOCUMENT_BYTES, XMLSyntaxProblem, parse_xml

# The ranges of the integer facts: libvirt keeps counts in C unsigned int; a host's memory
# fits what libvirt can describe (LLONG_MAX bytes).
_INT_FACT_MAX = {
    "cpu_sockets": COUNT_MAX,
    "cpu_cores": COUNT_MAX,
    "cpu_threads": COUNT_MAX,
    "cpus": COUNT_MAX,
    "memory_kib": MEMORY_KIB_MAX,
}
# Host names, versions, CPU model names and UUIDs are short; a longer text did not come
# from libvirt.
MAX_FACT_CHARS = 1024
FACT_NAMES = tuple(f.name for f in dataclasses.fields(HostFacts))


def checked_facts(values: Mapping[str, object] | object) -> tuple[HostFacts, tuple[str, ...]]:
    """Host facts from ``values``, each one checked for its type and range.

    The one gate for facts from a live host and from a replay folder alike. A
    fact of the wrong type or out of range is left out (``None``) and named in
    the returned problems; the other facts are kept. Keys that are not facts
    are ignored (a newer ``host.json`` may carry more).
    """
    kept: dict[str, object] = {}
    problems: list[str] = []
    if not isinstance(values, Mapping):
        values = {}
        problems.append("facts are not an object; left out")
    for name in FACT_NAMES:
        value = values.get(name)
        if value is None:
            kept[name] = None
        elif name in _INT_FACT_MAX:
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"fact {name} is not an integer ({type(value).__name__} {shown_value(str(value))}); left out")
                kept[name] = None
                continue
            try:
                kept[name] = bounded_int(value, f"fact {name}", _INT_FACT_MAX[name])
            except ValueError as exc:
                problems.append(f"{exc}; left out")
                kept[name] = None
        elif not isinstance(value, str):
            problems.append(f"fact {name} is not a text ({type(value).__name__}); left out")
            kept[name] = None
        elif len(value) > MAX_FACT_CHARS:
            problems.append(f"fact {name} is longer than {MAX_FACT_CHARS} characters; left out")
            kept[name] = None
        else:
            kept[name] = value
    return HostFacts(**kept), tuple(problems)  # type: ignore[arg-type]


def dotted_version(number: int | None) -> str | None:
    """libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release."""
    if number is None or number < 0:
        return None
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def parse_count(value: str | None, what: str, problems: list[str], maximum: int = COUNT_MAX) -> int | None:
    """A number printed by a host (capabilities, ``virsh nodeinfo``); None, and a problem, if it is not one."""
    if value is None or value == "":
        return None
    try:
        return bounded_int(value, what, maximum)
    except ValueError as exc:
        problems.append(f"{exc}; left out")
        return None


def host_facts(
    capabilities_xml: str | bytes | None,
    *,
    hostname: str | None,
    hypervisor_type: str | None,
    hypervisor_version: str | None,
    libvirt_version: str | None,
    cpu_model: str | None = None,
    cpus: int | None = None,
    memory_kib: int | None = None,
    sockets: int | None = None,
    cores: int | None = None,
    threads: int | None = None,
    problems: tuple[str, ...] = (),
) -> tuple[HostFacts, tuple[str, ...]]:
    """Merge capabilities with node info; node info wins where both say something.

    Returns the facts and the problems found on the way (``problems`` given
    by the caller come first), every fact having passed :func:`checked_facts`.
    """
    found = list(problems)
    uuid = arch = caps_model = None
    caps_sockets = caps_cores = caps_threads = None
    if capabilities_xml:
        try:
            root = parse_xml(capabilities_xml, MAX_HOST_DOCUMENT_BYTES)
        except XMLSyntaxProblem as exc:
            found.append(f"capabilities left out: {exc}")
            root = None
        if root is not None:
            uuid = (root.findtext("host/uuid") or "").strip().lower() or None
            arch = (root.findtext("host/cpu/arch") or "").strip() or None
            caps_model = (root.findtext("host/cpu/model") or "").strip() or None
            topology = root.find("host/cpu/topology")
            if topology is not None:
                caps_sockets = parse_count(topology.get("sockets"), "<topology sockets>", found)
                caps_cores = parse_count(topology.get("cores"), "<topology cores>", found)
                caps_threads = parse_count(topology.get("threads"), "<topology threads>", found)
    facts, checked = checked_facts({
        "hostname": hostname,
        "hypervisor_type": hypervisor_type,
        "hypervisor_version": hypervisor_version,
        "libvirt_version": libvirt_version,
        "uuid": uuid,
        "arch": arch,
        # node info's "model" is the architecture name (x86_64); the
        # capabilities' CPU model (e.g. Skylake-Client-IBRS) says more.
        "cpu_model": caps_model or cpu_model,
        "cpu_sockets": sockets if sockets is not None else caps_sockets,
        "cpu_cores": cores if cores is not None else caps_cores,
        "cpu_threads": threads if threads is not None else caps_threads,
        "cpus": cpus,
        "memory_kib": memory_kib,
    })
    return facts, (*found, *checked)
