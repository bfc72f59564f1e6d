"""The write rules of the rscan design, as a pure plan: every scenario, for each flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from vminv.inventory.plan import plan_writes
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.model import HostResult, ScanResult

DOMAINS = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "domains"


def scan_of(*hosts: tuple[str, list[str]]) -> ScanResult:
    """Hosts in noderange order, each with the fixture domains found on it."""
    results = tuple(HostResult(h, f"qemu+ssh://root@{h}/system", "ok", None, None, None, 0.1, len(d)) for h, d in hosts)
    guests = tuple(parse_domain((DOMAINS / f"{name}.xml").read_bytes(), host) for host, names in hosts for name in names)
    return ScanResult("2024-05-01T10:00:00+00:00", "2024-05-01T10:00:01+00:00", "0.1.0", "", results, guests)


H1, H2, H3 = "kvmhost1", "kvmhost2", "kvmhost3"

# (case, vm table {node: host}, scan, mode, expected {(node, host): action})
CASES = [
    # A plain new guest.
    ("new -w", {}, [(H1, ["kvm2"])], "w", {("kvm2", H1): "new"}),
    ("new -n", {}, [(H1, ["kvm2"])], "n", {("kvm2", H1): "new"}),
    ("new -u", {}, [(H1, ["kvm2"])], "u", {("kvm2", H1): "skip"}),
    ("new, no flag", {}, [(H1, ["kvm2"])], None, {}),
    ("new, no flag, one name repeated", {"kvm3": H2}, [(H1, ["kvm1", "kvm2"]), (H2, ["kvm3", "kvm1-other"])], None,
     {("kvm1", H1): "conflict", ("kvm1", H2): "conflict"}),
    # A plain same guest.
    ("same -w", {"kvm2": H1}, [(H1, ["kvm2"])], "w", {("kvm2", H1): "update"}),
    ("same -u", {"kvm2": H1}, [(H1, ["kvm2"])], "u", {("kvm2", H1): "update"}),
    ("same -n", {"kvm2": H1}, [(H1, ["kvm2"])], "n", {("kvm2", H1): "skip"}),
    ("same, no flag", {"kvm2": H1}, [(H1, ["kvm2"])], None, {}),
    # Scenario 1: not in the DB, found on two hosts: -w/-n write the last in noderange order.
    ("scenario 1 -w", {}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "w", {("kvm1", H1): "conflict", ("kvm1", H2): "new"}),
    ("scenario 1 -n", {}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "n", {("kvm1", H1): "conflict", ("kvm1", H2): "new"}),
    ("scenario 1 -u", {}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "u", {("kvm1", H1): "conflict", ("kvm1", H2): "conflict"}),
    ("scenario 1, no flag", {}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], None,
     {("kvm1", H1): "conflict", ("kvm1", H2): "conflict"}),
    # Noderange order, not name order, decides: kvmhost2 listed first.
    ("scenario 1 -w, reversed order", {}, [(H2, ["kvm1-other"]), (H1, ["kvm1"])], "w",
     {("kvm1", H2): "conflict", ("kvm1", H1): "new"}),
    ("scenario 1 -w, three hosts", {}, [(H1, ["kvm1"]), (H2, ["kvm1-other"]), (H3, ["kvm1-4cpu"])], "w",
     {("kvm1", H1): "conflict", ("kvm1", H2): "conflict", ("kvm1", H3): "new"}),
    # Scenario 2: in the DB on kvmhost1, found on kvmhost1 and kvmhost2.
    ("scenario 2 -w", {"kvm1": H1}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "w",
     {("kvm1", H1): "update", ("kvm1", H2): "conflict"}),
    ("scenario 2 -u", {"kvm1": H1}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "u",
     {("kvm1", H1): "update", ("kvm1", H2): "conflict"}),
    ("scenario 2 -n", {"kvm1": H1}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], "n",
     {("kvm1", H1): "skip", ("kvm1", H2): "conflict"}),
    ("scenario 2, no flag", {"kvm1": H1}, [(H1, ["kvm1"]), (H2, ["kvm1-other"])], None,
     {("kvm1", H1): "conflict", ("kvm1", H2): "conflict"}),
    # Scenario 2 when only kvmhost2 is scanned: still nothing overwrites kvmhost1's record.
    ("scenario 2, other host only -w", {"kvm1": H1}, [(H2, ["kvm1-other"])], "w", {("kvm1", H2): "conflict"}),
    ("scenario 2, other host only -u", {"kvm1": H1}, [(H2, ["kvm1-other"])], "u", {("kvm1", H2): "conflict"}),
    ("scenario 2, other host only -n", {"kvm1": H1}, [(H2, ["kvm1-other"])], "n", {("kvm1", H2): "conflict"}),
    # A vm row without a host is not "same" for any host.
    ("no vm.host -w", {"kvm2": None}, [(H1, ["kvm2"])], "w", {("kvm2", H1): "conflict"}),
    # A name xCAT refuses is never written.
    ("invalid name -w", {}, [(H1, ["web.example.com"])], "w", {("web.example.com", H1): "skip"}),
    ("invalid name -n", {}, [(H1, ["web.example.com"])], "n", {("web.example.com", H1): "skip"}),
]


@pytest.mark.parametrize("case, existing, hosts, mode, expected", CASES, ids=[c[0] for c in CASES])
def test_plan_follows_the_design(case, existing, hosts, mode, expected) -> None:
    plan = plan_writes(existing, scan_of(*hosts), mode)
    assert {(e.node, e.host): e.action for e in plan.entries} == expected
    assert all(e.reason for e in plan.entries)


@pytest.mark.parametrize("mode", ["w", "u", "n"])
def test_nothing_is_left_out_silently(mode: str) -> None:
    scan = scan_of((H1, ["kvm1", "kvm2", "web.example.com"]), (H2, ["kvm1-other", "kvm3"]))
    plan = plan_writes({"kvm3": H2, "kvm2": H3}, scan, mode)
    assert sorted((e.node, e.host) for e in plan.entries) == sorted((g.name, g.hypervisor) for g in scan.guests)


def test_reasons_name_the_host_that_keeps_the_record() -> None:
    plan = plan_writes({"kvm1": H1}, scan_of((H2, ["kvm1-other"])), "w")
    assert plan.entries[0].reason == "node kvm1 is in the inventory on kvmhost1; not overwritten (if it moved, run: vminv move kvm1 kvmhost2)"
    plan = plan_writes({}, scan_of((H1, ["kvm1"]), (H2, ["kvm1-other"])), "u")
    assert {e.reason for e in plan.entries} == {
        "node kvm1 is not in the inventory and is found on kvmhost1 and kvmhost2; -u writes neither"
    }


def test_unknown_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        plan_writes({}, scan_of((H1, ["kvm1"])), "x")
