"""The simulator's documents have the element structure of real engines' (issue 8.8).

``fixtures/engine/shapes/v3.1.json``, ``v3.json`` and ``v4.json`` describe, per
object, what recorded responses of real engines contain (RHEV 3.1 from ManageIQ's
old recordings, RHEV 3.5 from virt-who's test data, oVirt 4.2/4.3 from ManageIQ's
recordings): the order of an object's children,
the element paths every instance has and those some have. Every object the
simulator renders for the site scenario must have all the "always" paths,
nothing the real engines never sent (a short list of model-allowed extras
excepted, each with its reason), and its children in the engines' order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.engine_sim import render
from tests.engine_sim.render import Context
from tests.rhev.conftest import site_scenario

SHAPES = Path(__file__).resolve().parents[2] / "fixtures" / "engine" / "shapes"

# Paths the recordings lack but the API model has, which the site scenario needs, and
# the child they follow: a VLAN-tagged network (model Network.vlan, members in
# alphabetical order in v4); none of the recorded networks had a VLAN.
MODEL_ALLOWED: dict[tuple[str, str], tuple[set[str], dict[str, str]]] = {
    ("v4", "network"): ({"vlan", "vlan/@id"}, {"vlan": "usages"}),
    ("v3.1", "network"): ({"vlan", "vlan/@id"}, {"vlan": "data_center"}),
}
# Paths every recorded instance had that a real engine may still leave out: VDSM
# drops DMI values that read "Not Specified" (the site scenario has such hosts);
# the Blank template belongs to no cluster (as 4.x shows it; in the 3.1 recording
# every template, Blank included, named one).
MAY_LACK = {
    ("v4", "host"): {"hardware_information/uuid"},
    ("v3", "host"): {"hardware_information/uuid"},
    ("v3.1", "host"): {"hardware_information/uuid"},
    ("v3.1", "template"): {"cluster", "cluster/@href", "cluster/@id"},
}
MODES = {"v4": (4, (4, 3), "/ovirt-engine/api"), "v3": (3, (3, 5), "/api"), "v3.1": (3, (3, 1), "/api"),
         "v3.0": (3, (3, 0), "/api")}


def paths(element: Any, prefix: str = "") -> set[str]:
    found = {f"{prefix}@{name}" for name in element.attrib}
    for child in element:
        if isinstance(child.tag, str):
            found.add(prefix + child.tag)
            found |= paths(child, f"{prefix}{child.tag}/")
    return found


def child_order(element: Any) -> list[str]:
    tags: list[str] = []
    for child in element:
        if isinstance(child.tag, str) and (not tags or tags[-1] != child.tag):
            tags.append(child.tag)
    return tags


def rendered(version: str) -> Iterator[tuple[str, str, Any]]:
    """(object tag, a label, element) for every object the simulator serves in this mode."""
    api, engine_version, prefix = MODES[version]
    scenario = site_scenario()
    ctx = Context(version=api, prefix=prefix, engine_version=engine_version, engine=scenario.engine)
    yield "api", "entry", etree.fromstring(render.api(ctx, scenario))
    for vm in scenario.vms:
        yield "vm", vm["name"], render.vm(vm, ctx)
        for nic in vm.get("nics", []):
            yield "nic", f"{vm['name']}/{nic['name']}", render.nic(vm, nic, ctx)
        for disk in vm.get("disks", []):
            yield "disk", disk["alias"], render.disk(disk, ctx, vm if api < 4 else None)
            if api >= 4:
                yield "disk_attachment", disk["alias"], render.disk_attachment(vm, disk, ctx)
    for host in scenario.hosts:
        yield "host", host["name"], render.host(host, ctx)
    for item, tag, function in (
        (scenario.clusters, "cluster", render.cluster), (scenario.datacenters, "data_center", render.datacenter),
        (scenario.storage_domains, "storage_domain", render.storage_domain),
        (scenario.networks, "network", render.network), (scenario.vnic_profiles, "vnic_profile", render.vnic_profile),
        (scenario.templates, "template", render.template),
    ):
        for obj in item:
            yield tag, obj["name"], function(obj, ctx)


def cases() -> list[tuple[str, str, str, Any]]:
    return [(version, tag, label, element) for version in MODES for tag, label, element in rendered(version)
            if tag in json.loads((SHAPES / f"{version}.json").read_text())["objects"]]


def shape(version: str, tag: str) -> dict[str, Any]:
    objects: dict[str, Any] = json.loads((SHAPES / f"{version}.json").read_text(encoding="utf-8"))["objects"]
    return objects[tag]  # type: ignore[no-any-return]


CASES = cases()


@pytest.mark.parametrize(("version", "tag", "label", "element"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_simulated_object_has_the_recorded_shape(version: str, tag: str, label: str, element: Any) -> None:
    reference = shape(version, tag)
    have = paths(element)
    allowed, placed_after = MODEL_ALLOWED.get((version, tag), (set(), {}))
    known = set(reference["always"]) | set(reference["sometimes"]) | allowed
    required = set(reference["always"]) - MAY_LACK.get((version, tag), set())
    assert sorted(required - have) == [], "elements every real engine sends are missing"
    assert sorted(have - known) == [], "elements no recorded engine sent"
    order = list(reference["order"])
    for child, after in placed_after.items():
        order.insert(order.index(after) + 1, child)
    positions = [order.index(t) for t in child_order(element)]
    assert positions == sorted(positions), f"children out of the engines' order: {child_order(element)}"


def test_every_recorded_object_kind_is_simulated() -> None:
    simulated = {(c[0], c[1]) for c in CASES}
    for version in MODES:
        for tag in json.loads((SHAPES / f"{version}.json").read_text())["objects"]:
            assert (version, tag) in simulated


def test_the_description_reads_its_own_recordings_rules() -> None:
    # A shape check that cannot fail is worth nothing: a document with an invented element fails it.
    element = etree.fromstring("<vm id='x'><name>a</name><invented/></vm>")
    reference = shape("v4", "vm")
    assert "invented" in paths(element) - set(reference["always"]) - set(reference["sometimes"])
