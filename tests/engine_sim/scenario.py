"""Scenario data for the simulated engine: what objects it holds.

A scenario file (``fixtures/engine/*.json``) names its objects and refers to
other objects by name (``"cluster": "prod"``); ids are given or derived
deterministically from the names. VM ids must be given when they have to
match libvirt domain UUIDs. :func:`generate` builds big scenarios (thousands
of VMs) from a small seed instead of a giant file.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMESPACE = uuid.UUID("6f1d1b5e-8c51-4d5e-9b5e-1f2a3b4c5d6e")


def derived_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


@dataclass
class Scenario:
    engine: dict[str, Any]
    datacenters: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    vnic_profiles: list[dict[str, Any]] = field(default_factory=list)
    storage_domains: list[dict[str, Any]] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    vms: list[dict[str, Any]] = field(default_factory=list)

    def collection(self, name: str) -> list[dict[str, Any]]:
        return getattr(self, name)


DEFAULT_ENGINE = {
    "name": "oVirt Engine",
    "vendor": "ovirt.org",
    "full_version": "4.3.10.4-1.el7",
    "tz": "+02:00",
    "user": "admin@internal",
    "password": "engine-secret",
}


def _ids(items: list[dict[str, Any]], kind: str) -> dict[str, str]:
    by_name = {}
    for item in items:
        item.setdefault("id", derived_id(kind, item["name"]))
        by_name[item["name"]] = item["id"]
    return by_name


def resolve(raw: dict[str, Any]) -> Scenario:
    """Turn name references into ids and fill defaults."""
    engine = {**DEFAULT_ENGINE, **raw.get("engine", {})}
    scenario = Scenario(engine=engine)
    for key in ("datacenters", "clusters", "networks", "vnic_profiles", "storage_domains", "hosts",
                "templates", "vms"):
        setattr(scenario, key, [dict(item) for item in raw.get(key, [])])
    dcs = _ids(scenario.datacenters, "dc")
    clusters = _ids(scenario.clusters, "cluster")
    networks = _ids(scenario.networks, "network")
    profiles = _ids(scenario.vnic_profiles, "profile")
    sds = _ids(scenario.storage_domains, "sd")
    hosts = _ids(scenario.hosts, "host")
    templates = _ids(scenario.templates, "template")
    templates.setdefault("Blank", "00000000-0000-0000-0000-000000000000")
    for dc in scenario.datacenters:
        dc.setdefault("status", "up")
        dc.setdefault("version", "4.3")
        dc.setdefault("storage_format", "v5")
    for cluster in scenario.clusters:
        cluster["datacenter_id"] = dcs.get(cluster.get("datacenter", ""))
    for network in scenario.networks:
        network["datacenter_id"] = dcs.get(network.get("datacenter", ""))
    for profile in scenario.vnic_profiles:
        profile["network_id"] = networks[profile.get("network", profile["name"])]
    for domain in scenario.storage_domains:
        domain["datacenter_ids"] = [dcs[name] for name in domain.get("datacenters", [])]
    for host in scenario.hosts:
        host["cluster_id"] = clusters.get(host.get("cluster", ""))
        host.setdefault("status", "up")
        host.setdefault("type", "rhel")
    for template in scenario.templates:
        template["cluster_id"] = clusters.get(template.get("cluster", ""))
    for vm in scenario.vms:
        vm["id"] = vm.get("id") or derived_id("vm", vm["name"])
        vm["cluster_id"] = clusters.get(vm.get("cluster", ""))
        vm["host_id"] = hosts.get(vm["host"]) if vm.get("host") else None
        vm["template_id"] = templates.get(vm.get("template", "Blank"))
        vm["pinned_host_ids"] = [hosts[name] for name in vm.get("pinned_hosts", [])]
        vm.setdefault("status", "down")
        vm.setdefault("origin", "ovirt")
        vm.setdefault("type", "server")
        for index, nic in enumerate(vm.setdefault("nics", []), 1):
            nic.setdefault("name", f"nic{index}")
            nic.setdefault("id", derived_id("nic", f"{vm['id']}/{nic['name']}"))
            profile = nic.get("profile", "ovirtmgmt")
            nic["profile_id"] = profiles.get(profile) if profile else None
            nic["network_id"] = networks.get(nic.get("network", profile or ""))
        for index, disk in enumerate(vm.setdefault("disks", []), 1):
            disk.setdefault("alias", f"{vm['name']}_Disk{index}")
            disk.setdefault("id", derived_id("disk", f"{vm['id']}/{disk['alias']}"))
            disk.setdefault("image_id", derived_id("image", disk["id"]))
            disk["sd_id"] = sds.get(disk.get("storage_domain", ""))
    return scenario


def load(path: Path) -> Scenario:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if "generate" in raw:
        return generate(raw["generate"], raw.get("engine", {}))
    return resolve(raw)


def _mac(rng: random.Random) -> str:
    # 00:1a:4a is the engine's default MAC pool prefix.
    return "00:1a:4a:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def generate(seed: dict[str, Any], engine: dict[str, Any] | None = None) -> Scenario:
    """A big engine: ``vms`` VMs over ``hosts`` hosts in ``clusters`` clusters.

    Deterministic for a given ``seed``. About ``down_ratio`` of the VMs are
    down (no host); the others are up on a host of their cluster.
    """
    rng = random.Random(seed.get("seed", 1))
    vm_count = int(seed["vms"])
    host_count = int(seed["hosts"])
    cluster_count = int(seed.get("clusters", max(1, host_count // 50)))
    down_ratio = float(seed.get("down_ratio", 0.2))
    raw: dict[str, Any] = {
        "engine": engine or {},
        "datacenters": [{"name": "Default", "description": "The default Data Center"}],
        "clusters": [{"name": f"cl{c:02d}", "datacenter": "Default", "cpu_type": "Intel Skylake Server Family",
                      "version": "4.3"} for c in range(cluster_count)],
        "networks": [{"name": "ovirtmgmt", "datacenter": "Default", "description": "Management Network"}],
        "vnic_profiles": [{"name": "ovirtmgmt", "network": "ovirtmgmt"}],
        "storage_domains": [{"name": "data1", "type": "data", "storage_type": "nfs", "address": "nfs01.example.com",
                             "path": "/exports/data1", "available": 10**13, "used": 10**12, "committed": 10**12,
                             "master": True, "datacenters": ["Default"]}],
        "hosts": [],
        "vms": [],
    }
    width = max(3, len(str(host_count)))
    for h in range(host_count):
        name = f"kvm{h + 1:0{width}d}"
        raw["hosts"].append({
            "name": name, "address": f"{name}.example.com", "cluster": f"cl{h % cluster_count:02d}",
            "hw_uuid": str(uuid.UUID(int=rng.getrandbits(128))).upper(),
        })
    hosts_of_cluster: dict[str, list[str]] = {}
    for host in raw["hosts"]:
        hosts_of_cluster.setdefault(host["cluster"], []).append(host["name"])
    vm_width = max(5, len(str(vm_count)))
    for v in range(vm_count):
        cluster = f"cl{v % cluster_count:02d}"
        up = rng.random() >= down_ratio
        vm: dict[str, Any] = {
            "name": f"vm{v + 1:0{vm_width}d}",
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "cluster": cluster,
            "status": "up" if up else "down",
            "memory": rng.choice((1, 2, 4, 8)) * 2**30,
            "sockets": rng.choice((1, 2)),
            "cores": rng.choice((1, 2)),
            "threads": 1,
            "os": "rhel_7x64",
            "nics": [{"mac": _mac(rng)} for _ in range(rng.choice((1, 1, 2)))],
            "disks": [{"provisioned_size": 20 * 2**30, "actual_size": 2 * 2**30, "storage_domain": "data1",
                       "bootable": index == 0} for index in range(rng.choice((1, 1, 2)))],
        }
        if up:
            vm["host"] = rng.choice(hosts_of_cluster[cluster])
            vm["start_time"] = "2024-05-02T09:25:36.370+02:00"
        raw["vms"].append(vm)
    return resolve(raw)
