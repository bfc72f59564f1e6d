"""Scans of simulated hosts through libvirt's in-process test driver, and replays.

Each ``fixtures/nodes/*.xml`` is a simulated host (``test:///ABS/PATH/node.xml``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import libvirt
import pytest

from vminv.scanner.noderange import natural_key
from vminv.scanner.replay import scan_replay
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NODES = FIXTURES / "nodes"
HOSTS = ["kvmhost1", "kvmhost2", "kvmhost3"]


def _targets(names=HOSTS):
    return [HostTarget(name, f"test://{NODES / name}.xml") for name in names]


def _dump_replay(folder: Path, names=HOSTS) -> None:
    """Save every domain's XML as ``virsh dumpxml`` would, one folder per host."""
    for name in names:
        conn = libvirt.openReadOnly(f"test://{NODES / name}.xml")
        try:
            (folder / name).mkdir(parents=True)
            for dom in conn.listAllDomains(0):
                (folder / name / f"{dom.name()}.xml").write_text(dom.XMLDesc(0), encoding="utf-8")
        finally:
            conn.close()


def test_every_guest_of_every_host_running_or_not():
    scan = scan_hosts(_targets(), ScanSettings())
    assert [h.status for h in scan.hosts] == ["ok"] * 3
    for host in scan.hosts:
        conn = libvirt.openReadOnly(host.uri)
        expected = sorted(d.UUIDString() for d in conn.listAllDomains(0))
        conn.close()
        found = sorted(g.uuid for g in scan.guests if g.hypervisor == host.name)
        assert found == expected and host.guest_count == len(expected)
    states = {g.state for g in scan.guests}
    assert {"running", "shutoff"} <= states
    assert all((g.id is None) == (g.state == "shutoff") for g in scan.guests)


def test_guests_sorted_by_hypervisor_then_name_and_same_name_on_two_hosts_kept():
    scan = scan_hosts(_targets(), ScanSettings())
    keys = [(natural_key(g.hypervisor), natural_key(g.name)) for g in scan.guests]
    assert keys == sorted(keys)
    names = [g.name for g in scan.guests]
    duplicated = {n for n in names if names.count(n) > 1}
    assert duplicated, "fixtures should hold one guest name on two hosts"
    for name in duplicated:
        hosts = {g.hypervisor for g in scan.guests if g.name == name}
        assert len(hosts) >= 2


def test_host_with_no_guests_is_ok_and_empty():
    scan = scan_hosts([HostTarget("empty", f"test://{NODES / 'empty.xml'}")], ScanSettings())
    assert scan.hosts[0].status == "ok" and scan.hosts[0].guest_count == 0 and scan.guests == ()


def test_a_failed_host_is_recorded_and_the_rest_scanned(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<node><domain>")  # the daemon cannot load this host
    targets = _targets() + [HostTarget("broken", f"test://{broken}")]
    scan = scan_hosts(targets, ScanSettings(concurrency=2))
    by_name = {h.name: h for h in scan.hosts}
    assert by_name["broken"].status == "failed" and by_name["broken"].error_class == "libvirt"
    assert "\n" not in by_name["broken"].error
    assert all(by_name[h].status == "ok" for h in HOSTS)
    assert [h.name for h in scan.hosts] == HOSTS + ["broken"]  # noderange order


def test_host_facts_from_capabilities_and_node_info():
    scan = scan_hosts(_targets(["kvmhost1"]), ScanSettings())
    facts = scan.hosts[0].facts
    assert facts.hypervisor_type == "TEST"
    assert facts.libvirt_version.count(".") == 2
    assert facts.cpus and facts.memory_kib and facts.cpu_sockets and facts.cpu_cores and facts.cpu_threads
    assert facts.hostname


def test_replay_produces_exactly_what_a_live_scan_does(tmp_path):
    _dump_replay(tmp_path)
    live = scan_hosts(_targets(), ScanSettings())
    replay = scan_replay(tmp_path, HOSTS)
    # The test driver only knows running and shut off, which the id tells apart.
    # Autostart and persistence come from list calls, not the XML: a replay does not know them.
    unlisted = [{**g.to_dict(), "autostart": None, "persistent": None} for g in live.guests]
    assert [g.to_dict() for g in replay.guests] == unlisted
    assert all(g.persistent is True and g.autostart is False for g in live.guests)
    assert [h.guest_count for h in replay.hosts] == [h.guest_count for h in live.hosts]


def test_a_replay_parsed_in_worker_processes_equals_one_parsed_in_one(tmp_path):
    _dump_replay(tmp_path)
    shutil.copytree(FIXTURES / "replay" / "kvmhost3", tmp_path / "broken")  # a truncated file: a problem
    names = [*HOSTS, "broken", "absent"]
    alone = scan_replay(tmp_path, names, keep_xml=True)
    apart = scan_replay(tmp_path, names, keep_xml=True, workers=2)
    assert [g.to_dict() for g in apart.guests] == [g.to_dict() for g in alone.guests]
    assert [(h.name, h.status, h.guest_count, h.problems) for h in apart.hosts] == [
        (h.name, h.status, h.guest_count, h.problems) for h in alone.hosts
    ]
    assert apart.domain_xml == alone.domain_xml and len(alone.domain_xml) == len(alone.guests)
    assert any(h.problems for h in alone.hosts) and any(not h.ok for h in alone.hosts)


def test_the_json_document_with_records_left_as_dataclasses_is_the_plain_one(tmp_path):
    import json

    from vminv.scanner.model import document_json_bytes

    scan = scan_hosts(_targets(), ScanSettings())
    assert json.loads(document_json_bytes(scan.to_document())) == scan.to_dict()
    assert document_json_bytes(scan.to_document()) == document_json_bytes(scan.to_dict())


def test_replay_state_file_gives_states_the_xml_lacks(tmp_path):
    _dump_replay(tmp_path, ["kvmhost1"])
    running = next(g for g in scan_replay(tmp_path).guests if g.state == "running")
    (tmp_path / "kvmhost1" / "host.json").write_text(
        '{"uri": "qemu+ssh://root@kvmhost1/system", "states": {"%s": "paused"}}' % running.uuid
    )
    scan = scan_replay(tmp_path)
    assert next(g for g in scan.guests if g.uuid == running.uuid).state == "paused"
    assert scan.hosts[0].uri == "qemu+ssh://root@kvmhost1/system"


def test_hostile_xml_in_a_replay_is_recorded_and_skipped(tmp_path):
    _dump_replay(tmp_path, ["kvmhost1"])
    good = len(list((tmp_path / "kvmhost1").glob("*.xml")))
    hostile = sorted((FIXTURES / "hostile").glob("*.xml"))
    assert hostile
    for path in hostile:
        shutil.copy(path, tmp_path / "kvmhost1" / f"zz-{path.name}")
    scan = scan_replay(tmp_path)
    host = scan.hosts[0]
    assert host.status == "ok" and host.guest_count == good
    assert sorted(p.domain for p in host.problems) == sorted(f"zz-{p.name}" for p in hostile)
    assert all(p.message and "\n" not in p.message for p in host.problems)
    assert not any("root:" in p.message for p in host.problems)  # no external entity was read


def test_replay_host_without_folder_fails_alone(tmp_path):
    _dump_replay(tmp_path, ["kvmhost1"])
    scan = scan_replay(tmp_path, ["kvmhost1", "kvmhost9"])
    assert [h.status for h in scan.hosts] == ["ok", "failed"]
    assert scan.hosts[1].error_class == "unreachable"


def test_bad_settings_are_usage_errors():
    from vminv.errors import UsageError

    with pytest.raises(UsageError):
        ScanSettings(concurrency=0)
    with pytest.raises(UsageError):
        ScanSettings(timeout_s=0)


def test_saved_live_scan_replays_to_the_same_guests_states_and_facts(tmp_path):
    from vminv.scanner.savereplay import save_replay

    live = scan_hosts(_targets(), ScanSettings(keep_xml=True))
    assert len(live.domain_xml) == len(live.guests)
    save_replay(live, tmp_path)
    replay = scan_replay(tmp_path, HOSTS)
    unlisted = [{**g.to_dict(), "autostart": None, "persistent": None} for g in live.guests]  # list-call facts
    assert [g.to_dict() for g in replay.guests] == unlisted
    assert [h.facts for h in replay.hosts] == [h.facts for h in live.hosts]
    assert [h.uri for h in replay.hosts] == [h.uri for h in live.hosts]


def test_a_scan_without_its_xml_cannot_be_saved(tmp_path):
    from vminv.errors import ReplayError
    from vminv.scanner.savereplay import save_replay

    with pytest.raises(ReplayError):
        save_replay(scan_hosts(_targets(["kvmhost1"]), ScanSettings()), tmp_path)
