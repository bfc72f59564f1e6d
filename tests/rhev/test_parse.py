"""The pure parser: v3 and v4 documents give the same records; order never matters."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from vminv.rhev.errors import RhevProtocolError
from vminv.rhev.parse import (
    collection_items,
    host_from,
    nic_from,
    parse_api,
    parse_collection,
    parse_document,
    parse_fault,
    vm_from,
)

XML = Path(__file__).resolve().parents[2] / "fixtures" / "engine" / "xml"


def read(name: str) -> bytes:
    return (XML / name).read_bytes()


def test_v3_and_v4_vms_parse_to_the_same_facts() -> None:
    v4 = parse_collection(read("v4-vms.xml"), "vms", vm_from, "vms")
    v3 = parse_collection(read("v3-vms.xml"), "vms", vm_from, "vms")
    for a, b in zip(v4, v3):
        assert (a.id, a.name, a.status, a.host_id, a.cluster_id, a.memory_bytes, a.vcpus, a.os_type) == (
            b.id, b.name, b.status, b.host_id, b.cluster_id, b.memory_bytes, b.vcpus, b.os_type)
    web = v4[0]
    assert web.status == "up" and web.vcpus == 2 and web.os_type == "rhel_7x64"
    # placement_policy/hosts/host is pinning, not where the VM runs.
    assert web.host_id == "0f12311c-9d60-4dc7-a675-35832551700b"
    assert v3[0].host_id == web.host_id
    assert web.nics is None and web.disks is None  # not inlined without follow=


def test_down_vm_has_no_host_and_dates_keep_their_offsets() -> None:
    vms = parse_collection(read("v4-vms.xml"), "vms", vm_from, "vms")
    down = vms[1]
    assert down.status == "down" and down.host_id is None and down.start_time is None
    web = vms[0]
    assert web.start_time == datetime(2019, 8, 21, 9, 51, 52, 775000, tzinfo=timezone(timedelta(hours=3)))
    v3 = parse_collection(read("v3-vms.xml"), "vms", vm_from, "vms")
    assert v3[0].stop_time is not None and v3[0].stop_time.tzinfo == UTC  # "Z"
    assert v3[0].stop_time == web.stop_time  # 06:49Z is 09:49+03:00


def test_element_order_does_not_matter() -> None:
    root = parse_document(read("v3-hosts.xml"), "hosts")
    host = collection_items(root, "hosts", "hosts")[0]
    shuffled = copy.deepcopy(host)
    children = list(shuffled)
    for child in children:
        shuffled.remove(child)
    for child in reversed(children):
        shuffled.append(child)
    assert host_from(shuffled) == host_from(host)


def test_hosts_v3_attributes_and_v4_elements() -> None:
    v4 = parse_collection(read("v4-hosts.xml"), "hosts", host_from, "hosts")[0]
    v3 = parse_collection(read("v3-hosts.xml"), "hosts", host_from, "hosts")[0]
    assert (v4.cpu_sockets, v4.cpu_cores, v4.cpu_threads) == (2, 16, 2)
    assert (v3.cpu_sockets, v3.cpu_cores, v3.cpu_threads) == (1, 6, 2)
    assert v4.hardware_uuid == "4C4C4544-0046-3110-8056-B8C04F513233"  # case as dmidecode prints it
    assert v3.type == "rhev_h"  # v3 "rhev-h" is the same enum member
    assert v3.address == "host1百.domain.local"
    assert v3.status == v4.status == "up"


def test_nics_v3_mac_attribute_and_v4_mac_element() -> None:
    v3 = parse_collection(read("v3-nics.xml"), "nics", nic_from, "nics")[0]
    v4 = parse_collection(read("v4-nics.xml"), "nics", nic_from, "nics")[0]
    assert v3.mac == "00:1a:4a:16:01:57" and v3.network_id == "dd81601e-c5a9-4206-bf68-f2a75616ddca"
    assert v4.mac == "00:1a:4a:16:01:05" and v4.network_id is None
    assert v4.vnic_profile_id == "b2b2fa4d-efd3-4355-b459-b1224f362a79"


@pytest.mark.parametrize(
    ("name", "version", "major", "minor", "full"),
    [
        ("v4-api.xml", 4, 4, 4, "4.4.10.7-1.el8"),
        ("v3-api-4.1.xml", 3, 4, 1, "4.1.9.1-1.el7.centos"),  # a 4.1 engine answering Version: 3
        ("v3-api-3.0.xml", 3, 3, 0, "3.0.3_0001-1.el6"),  # 3.0: no <time>; the full_version attribute is hand-written (recorded 3.0/3.1 engines send none)
    ],
)
def test_entry_document_tells_the_api_version(name: str, version: int, major: int, minor: int, full: str) -> None:
    api = parse_api(read(name), "/api")
    assert (api.version, api.major, api.minor, api.product_version) == (version, major, minor, full)
    assert api.link("vms") is not None


def test_follow_needs_4_2_and_v4() -> None:
    assert not parse_api(read("v3-api-4.1.xml"), "/api").supports_follow
    assert parse_api(read("v4-api.xml"), "/ovirt-engine/api").supports_follow


def test_fault_body() -> None:
    assert parse_fault(read("fault.xml")) == (
        "Operation Failed", "[Cannot run VM. There is no host that satisfies current scheduling constraints.]")
    action = b"<action><status>failed</status><fault><reason>r</reason><detail>d</detail></fault></action>"
    assert parse_fault(action) == ("r", "d")
    assert parse_fault(b"<html><body>Unauthorized</body></html>") is None


@pytest.mark.parametrize("data", [b"", b"<html>", b'<!DOCTYPE x [<!ENTITY a "b">]><vms>&a;</vms>'])
def test_bad_documents_give_one_line_errors(data: bytes) -> None:
    with pytest.raises(RhevProtocolError) as info:
        parse_document(data, "GET /ovirt-engine/api/vms")
    assert "\n" not in str(info.value) and "GET /ovirt-engine/api/vms" in str(info.value)


def test_wrong_collection_root() -> None:
    with pytest.raises(RhevProtocolError, match="expected <vms>"):
        collection_items(etree.fromstring(b"<hosts/>"), "vms", "GET vms")
