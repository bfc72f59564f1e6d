"""Stanza files, findings and engine attributes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.inventory.rows import Rows
from vminv import inventory
from vminv.inventory import apply_engine_attributes, record_scan, store_findings, to_stanza
from vminv.scanner.domainxml import parse_domain

DOMAINS = Path(__file__).resolve().parents[2] / "fixtures" / "inventory" / "domains"


def test_stanza_for_mkdef(golden):
    records = [parse_domain((DOMAINS / f"{n}.xml").read_bytes(), "kvmhost1", "running")
               for n in ("kvm2", "web.example.com", "kvm3", "kvm4")]
    text, left_out = to_stanza(records)
    assert [(r.name, reason.split(" (")[0]) for r, reason in left_out] == [
        ("web.example.com", "not a valid xCAT node name")]
    golden.check("inventory/guests.stanza", text)
    # What xCAT's stanza reader needs: a header, "name:" lines, objtype first, groups present.
    blocks = text.split("\n\n")[1:]
    assert all(b.splitlines()[0].endswith(":") and b.splitlines()[1] == "    objtype=node" for b in blocks)
    assert all("    groups=vm,all" in b.splitlines() for b in blocks)


def test_stanza_holds_one_object_per_name_the_last_in_noderange_order():
    first = parse_domain((DOMAINS / "kvm2.xml").read_bytes(), "kvmhost1", "running")
    second = parse_domain((DOMAINS / "kvm2.xml").read_bytes(), "kvmhost2", "shutoff")
    text, left_out = to_stanza([first, second])
    assert text.count("kvm2:") == 1 and "vmhost=kvmhost2" in text and "vmhost=kvmhost1" not in text
    assert [(r.hypervisor, "kvmhost2" in reason) for r, reason in left_out] == [("kvmhost1", True)]


def test_stanza_values_stay_on_one_line():
    text = inventory.render_stanza([("n1", {"usercomment": "two\nlines", "empty": "", "none": None})])
    assert text == "# <xCAT data object stanza file>\n\nn1:\n    objtype=node\n    usercomment=two lines\n"


def test_findings_are_kept_with_their_scan(simulate, db_path):
    report = record_scan(db_path, simulate({"kvmhost1": ["kvm1"]}), None)
    finding = {"kind": "host_mismatch", "guest": "kvm1", "uuid": "4dea22b3-1d52-d8f3-2516-782e98ab3fa0",
               "engine_host": "kvmhost2", "scanned_host": "kvmhost1", "detail": "engine says kvmhost2", "extra": 1}
    store_findings(db_path, report.scan_id, "https://engine.example.com", [finding], recorded_at="2024-05-01T11:00:00+00:00")
    rows = list(Rows(db_path)["findings"].rows)
    assert rows == [{"id": 1, "scan_id": report.scan_id, "engine_url": "https://engine.example.com",
                     "kind": "host_mismatch", "guest": "kvm1", "uuid": finding["uuid"], "engine_host": "kvmhost2",
                     "scanned_host": "kvmhost1", "detail": "engine says kvmhost2",
                     "recorded_at": "2024-05-01T11:00:00+00:00"}]
    with pytest.raises(ValueError, match="lacks"):
        store_findings(db_path, report.scan_id, "https://engine.example.com", [{"kind": "x"}])


def test_engine_attributes_follow_the_same_rules(simulate, db_path):
    record_scan(db_path, simulate({"kvmhost1": ["kvm1", "kvm2"]}), "w")
    vm_attrs = {
        "kvm1": {"host": "kvmhost1", "mgr": "engine.example.com", "cluster": "prod", "datacenter": "dc1"},
        "kvm2": {"host": "kvmhost9", "mgr": "engine.example.com", "cluster": "prod"},  # elsewhere: conflict
        "kvm9": {"host": "", "mgr": "engine.example.com", "cluster": "test"},  # not in the inventory
    }
    host_attrs = {"kvmhost1": {"type": "rhevh", "mgr": "engine.example.com", "cluster": "prod"},
                  "kvmhost9": {"type": "rhevh", "mgr": "engine.example.com"}}
    report = apply_engine_attributes(db_path, vm_attrs, host_attrs, "u")
    assert [(e.node, e.action) for e in report.updated] == [("kvm1", "update"), ("kvmhost1", "update")]
    assert [(e.node, e.action) for e in report.conflicts] == [("kvm2", "conflict")]
    assert [e.node for e in report.skipped] == ["kvm9", "kvmhost9"]
    db = Rows(db_path)
    assert (db["vm"].get("kvm1")["mgr"], db["vm"].get("kvm1")["cluster"]) == ("engine.example.com", "prod")
    assert db["vm"].get("kvm2")["mgr"] is None
    assert db["hypervisor"].get("kvmhost1")["type"] == "rhevh"

    report = apply_engine_attributes(db_path, vm_attrs, host_attrs, "w")
    assert sorted(e.node for e in report.written) == ["kvm9", "kvmhost9"]
    assert report.unchanged == 2
    assert db["vm"].get("kvm9")["cluster"] == "test" and db["nodelist"].get("kvm9")["groups"] == "vm,all"
    with pytest.raises(ValueError):
        apply_engine_attributes(db_path, {"kvm1": {"colour": "red"}}, {}, "w")


def test_the_library_imports_no_cli():
    # Checked in the source: sqlite-utils itself imports click, so sys.modules cannot tell.
    package = Path(inventory.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            for name in names:
                assert name.split(".")[0] not in ("click", "tabulate", "rhev"), (module.name, name)
                assert not name.startswith("vminv.cli"), (module.name, name)
