"""Host facts from libvirt's capabilities XML and node info (pure)."""

from __future__ import annotations

from vminv.scanner.model import HostFacts
from vminv.scanner.xmlparse import XMLSyntaxProblem, parse_xml


def dotted_version(number: int | None) -> str | None:
    """libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release."""
    if number is None or number < 0:
        return None
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
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
) -> HostFacts:
    """Merge capabilities with node info; node info wins where both say something."""
    uuid = arch = caps_model = None
    caps_sockets = caps_cores = caps_threads = None
    if capabilities_xml:
        try:
            root = parse_xml(capabilities_xml)
        except XMLSyntaxProblem:
            root = None
        if root is not None:
            uuid = (root.findtext("host/uuid") or "").strip().lower() or None
            arch = (root.findtext("host/cpu/arch") or "").strip() or None
            caps_model = (root.findtext("host/cpu/model") or "").strip() or None
            topology = root.find("host/cpu/topology")
            if topology is not None:
                caps_sockets = _int(topology.get("sockets"))
                caps_cores = _int(topology.get("cores"))
                caps_threads = _int(topology.get("threads"))
    return HostFacts(
        hostname=hostname,
        hypervisor_type=hypervisor_type,
        hypervisor_version=hypervisor_version,
        libvirt_version=libvirt_version,
        uuid=uuid,
        arch=arch,
        # node info's "model" is the architecture name (x86_64); the
        # capabilities' CPU model (e.g. Skylake-Client-IBRS) says more.
        cpu_model=caps_model or cpu_model,
        cpu_sockets=sockets if sockets is not None else caps_sockets,
        cpu_cores=cores if cores is not None else caps_cores,
        cpu_threads=threads if threads is not None else caps_threads,
        cpus=cpus,
        memory_kib=memory_kib,
    )
