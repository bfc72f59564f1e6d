"""Health findings over the fixture fleet: one case of each finding, and a near miss for each.

The fleet (fixtures/health) is scanned by the real scanner through libvirt's
test driver; the scans are dated so that the day thresholds have something
to count (see tests/report/conftest.py).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tests.report.conftest import FLEET, NOW
from vminv.report import Thresholds, build_report, findings_at_or_above
from vminv.report.health import SEVERITIES

SPLIT = "5b1e0000-0000-4000-8000-000000000001"
STALE = "5b1e0000-0000-4000-8000-000000000002"

EXPECTED = {
    ("split_brain", SPLIT): "critical",
    ("shared_disk", "hA:/dev/mapper/lun1"): "critical",
    ("duplicate_mac", "52:54:00:dd:00:01"): "high",
    ("open_console", "vnc-open@hA#vnc0"): "high",
    ("host_failing", "hE"): "high",
    ("engine_wrong_host", "00000000-0000-4000-8000-000000000009"): "high",
    ("memory_overcommit", "hC"): "medium",
    ("cpu_overcommit", "hC"): "medium",
    ("stale_copies", STALE): "medium",
    ("host_unscanned", "hG"): "medium",
    ("long_shutoff", "old-off@hA"): "low",
    ("long_shutoff", "stale1@hB"): "low",  # the stale copy has been off since the first scan too
    ("cdrom_medium", "cdrom-in@hA:sda"): "low",
    ("no_guest_agent", "no-agent@hA"): "info",
    ("long_gone", "gone-old@hA"): "info",
}


@pytest.fixture(scope="module")
def report(fleet_db: Path):
    return build_report(fleet_db, now=NOW)


def test_node_files_are_up_to_date():
    spec = importlib.util.spec_from_file_location("build_health_nodes", FLEET / "build_health_nodes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.files().items():
        assert (FLEET / name).read_text(encoding="utf-8") == text, f"run python {FLEET / 'build_health_nodes.py'}"


def test_every_finding_once_and_no_near_miss(report):
    got = {(f.check, f.subject): f.severity for f in report.health}
    assert got == EXPECTED


@pytest.mark.parametrize(
    "near_miss",
    [
        "/dev/mapper/gfs2",  # shareable on both users
        "golden.img",  # one writer, one read-only user
        "52:54:00:dd:00:02",  # two NICs of one guest
        "vnc-local",  # VNC on loopback
        "vnc-ticket",  # VNC everywhere, with a password
        "cdrom-empty",
        "recent-off",  # shut off for 80 days, threshold 90
        "gone-recent",  # gone for 4 days, threshold 30
        "samename",  # one name, two UUIDs: neither split brain nor a stale copy
        "hD",  # exactly at the overcommit thresholds
        "hF",  # failed 2 scans in a row, threshold 3
        "hH",  # not scanned for 5 days, threshold 7
        "split1@",  # the engine's "ok" is no finding
    ],
)
def test_near_miss_is_not_a_finding(report, near_miss):
    hits = [f for f in report.health if near_miss in f.subject or near_miss in f.message]
    if near_miss == "split1@":
        hits = [f for f in report.health if f.check.startswith("engine_") and "split1" in f.message]
    assert hits == []


def test_findings_carry_evidence(report):
    by_check = {f.check: f for f in report.health}
    shared = by_check["shared_disk"]
    assert {u["guest"] for u in shared.evidence["users"]} == {"shared-a", "shared-b"}
    assert shared.subject_kind == "disk"
    split = by_check["split_brain"]
    assert sorted(c["host"] for c in split.evidence["copies"]) == ["hA", "hB"]
    memory = by_check["memory_overcommit"]
    assert memory.evidence["ratio"] == 1.5 and memory.evidence["host_memory_kib"] == 4096 * 1024
    console = by_check["open_console"]
    assert console.evidence["listen"] == "0.0.0.0" and console.evidence["password_set"] is False
    failing = by_check["host_failing"]
    assert failing.evidence["failed_scans"] == 3 and failing.evidence["error_class"] == "libvirt"
    for finding in report.health:
        assert finding.severity in SEVERITIES
        assert finding.id == f"{finding.check}/{finding.subject}"
        assert finding.message and "\n" not in finding.message


def test_findings_are_sorted_most_severe_first(report):
    ranks = [SEVERITIES.index(f.severity) for f in report.health]
    assert ranks == sorted(ranks)


def test_thresholds_move_the_line(fleet_db):
    loose = Thresholds(memory_overcommit=1.6, cpu_overcommit=5.0, shutoff_days=120, gone_days=90,
                       failed_scans=4, unscanned_days=90)
    checks = {f.check for f in build_report(fleet_db, now=NOW, thresholds=loose).health}
    assert not checks & {"memory_overcommit", "cpu_overcommit", "long_shutoff", "long_gone", "host_failing",
                         "host_unscanned"}
    strict = Thresholds(failed_scans=2, unscanned_days=4, shutoff_days=79, gone_days=3)
    subjects = {f.subject for f in build_report(fleet_db, now=NOW, thresholds=strict).health}
    assert {"hF", "hH", "recent-off@hA", "gone-recent@hA"} <= subjects


def test_days_count_from_the_given_moment(fleet_db):
    early = build_report(fleet_db, now=NOW - timedelta(days=60))
    assert not any(f.check in ("long_shutoff", "long_gone") for f in early.health)


def test_fail_on_picks_findings_at_or_above(report):
    assert {f.severity for f in findings_at_or_above(report, "critical")} == {"critical"}
    assert len(findings_at_or_above(report, "info")) == len(report.health)


def test_the_password_is_a_flag_only(fleet_db, report):
    spec = importlib.util.spec_from_file_location("build_health_nodes", FLEET / "build_health_nodes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ticket = next(g.record for g in report.guests if g.record.name == "vnc-ticket")
    assert ticket.graphics[0].password_set is True
    assert module.VNC_SECRET in (FLEET / "hA.xml").read_text()
    for part in (fleet_db, Path(f"{fleet_db}-wal")):
        if part.exists():
            assert module.VNC_SECRET.encode() not in part.read_bytes()
    with sqlite3.connect(fleet_db) as conn:
        for (record,) in conn.execute("SELECT record FROM guest_versions"):
            assert module.VNC_SECRET not in record


def test_noderange_narrows_the_report(fleet_db):
    narrowed = build_report(fleet_db, now=NOW, noderange="hC")
    assert {g.record.name for g in narrowed.guests} == {"big1", "big2"}
    assert [c.host for c in narrowed.capacity] == ["hC"]
    assert {f.check for f in narrowed.health} == {"memory_overcommit", "cpu_overcommit"}


def test_report_model_is_a_pure_function_of_its_input(fleet_db):
    from vminv.report import build_report_model, load_report_input

    data = load_report_input(fleet_db)
    first = build_report_model(data, Thresholds(), NOW)
    second = build_report_model(data, Thresholds(), NOW)
    assert first == dataclasses.replace(second)


def test_records_are_restored_equal_to_the_constructor(fleet_db):
    import json as jsonlib

    from vminv.report.source import restore_record
    from vminv.scanner.model import GuestRecord

    with sqlite3.connect(fleet_db) as conn:
        texts = [text for (text,) in conn.execute("SELECT record FROM guest_versions")]
    assert texts
    for text in texts:
        fast, slow = restore_record(text), GuestRecord.from_dict(jsonlib.loads(text))
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    old = jsonlib.loads(texts[0])
    del old["guest_agent"]  # a record stored before the field existed: its default applies
    assert restore_record(jsonlib.dumps(old)).guest_agent is None
    broken = jsonlib.loads(texts[0])
    del broken["name"]  # a required field missing is the constructor's error, not a half-made record
    with pytest.raises(TypeError, match="name"):
        restore_record(jsonlib.dumps(broken))
    broken = jsonlib.loads(texts[0])
    broken["surprise"] = 1
    with pytest.raises(TypeError, match="surprise"):
        restore_record(jsonlib.dumps(broken))


@pytest.mark.parametrize(
    "since,baseline",
    [
        (None, 3),  # the scan before
        ("2", 2),
        ("2024-02-01", 2),  # the last scan started on or before the date (day 20 = 2024-01-21)
        ("2024-04-05T10:00:00+00:00", 3),  # day 95, to the second
        ("2023-12-01", 1),  # before every scan: the first one
    ],
)
def test_changes_since_a_scan_or_a_date(fleet_db, since, baseline):
    report = build_report(fleet_db, now=NOW, since=since)
    assert report.summary.since_scan == baseline


def test_changes_name_what_went_and_came(fleet_db):
    report = build_report(fleet_db, now=NOW, since="1")
    entries = {(e.change, e.node, e.host) for e in report.changes}
    assert ("gone", "gone-old", "hA") in entries and ("gone", "gone-recent", "hA") in entries
    assert ("added", "recent-off", "hA") in entries
    assert ("unscanned", "f-guest", "hF") in entries  # hF failed: its guest is not gone
