"""Every integer the scanner accepts is bounded, and every host fact passes one gate.

Huge integers in a domain XML make a per-domain problem that names the field
(never a traceback, never an overflow of SQLite's INTEGER when the scan is
recorded); a replay folder's ``host.json`` is checked exactly like a live
host's answers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.errors import DomainXMLError
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.hostfacts import checked_facts, host_facts
from vminv.scanner.replay import scan_replay
from vminv.scanner.sshtransport import parse_session
from vminv.scanner.units import COUNT_MAX, MEMORY_KIB_MAX

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HUGE = str(10**40)

DOMAIN = """<domain type='kvm'{id}>
  <name>big</name>
  <uuid>0f0f0f0f-0000-4000-8000-000000000001</uuid>
  <memory unit='{unit}'>{memory}</memory>
  <currentMemory unit='KiB'>{current}</currentMemory>
  <vcpu current='{current_vcpus}'>{vcpus}</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <cpu><topology sockets='{sockets}' dies='{dies}' cores='1' threads='{threads}'/></cpu>
  <devices><graphics type='vnc' port='{port}'/></devices>
</domain>
"""
NORMAL = {"id": "", "unit": "KiB", "memory": "1024", "current": "1024", "current_vcpus": "1", "vcpus": "2",
          "sockets": "1", "dies": "1", "threads": "1", "port": "5900"}


def domain(**changes: str) -> str:
    return DOMAIN.format(**{**NORMAL, **changes})


@pytest.mark.parametrize(("changes", "field"), [
    ({"memory": HUGE}, "size"),
    ({"memory": "9" * 5000}, "size"),  # beyond int()'s digit limit: still one clear line
    ({"memory": str(2**60), "unit": "EiB"}, "size"),
    ({"current": HUGE}, "<currentMemory>"),
    ({"vcpus": HUGE}, "<vcpu>"),
    ({"current_vcpus": HUGE}, "<vcpu current>"),
    ({"sockets": HUGE}, "<topology sockets>"),
    ({"dies": str(2**32)}, "<topology dies>"),
    ({"threads": "-3"}, "<topology threads>"),
    ({"id": f" id='{HUGE}'"}, "domain id"),
    ({"port": HUGE}, "<graphics port>"),
])
def test_out_of_range_integers_are_a_domain_error_naming_the_field(changes, field):
    with pytest.raises(DomainXMLError) as caught:
        parse_domain(domain(**changes), "h")
    message = str(caught.value)
    assert field in message and "out of range" in message
    assert "\n" not in message and len(message) < 200


def test_numa_cells_adding_up_beyond_libvirt_are_refused():
    cells = "".join(f"<cell id='{i}' cpus='0' memory='{2**52}' unit='KiB'/>" for i in range(3))
    xml = domain().replace("<memory unit='KiB'>1024</memory>", "").replace(
        "<cpu>", f"<cpu><numa>{cells}</numa>")
    with pytest.raises(DomainXMLError, match="cell memory"):
        parse_domain(xml, "h")


def test_the_largest_values_libvirt_holds_are_accepted():
    record = parse_domain(domain(memory=str(MEMORY_KIB_MAX), current=str(MEMORY_KIB_MAX), vcpus=str(COUNT_MAX),
                                 current_vcpus=str(COUNT_MAX), id=" id='2147483647'", port="65535"), "h")
    assert record.memory_kib == MEMORY_KIB_MAX and record.vcpus == COUNT_MAX and record.id == 2**31 - 1


def _replay_with(tmp_path: Path, files: dict[str, str], host_json: object | None = None) -> Path:
    folder = tmp_path / "replay" / "kvmhost1"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "replay" / "kvmhost1" / "web01.xml", folder)
    for name, text in files.items():
        (folder / name).write_text(text)
    if host_json is not None:
        (folder / "host.json").write_text(json.dumps(host_json))
    return folder.parent


def _rscan(*args: str):
    from vminv.cli.rscan import cli

    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def _vminv(*args: str):
    from vminv.cli.vminv import cli

    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def test_a_huge_integer_skips_its_domain_and_the_scan_is_recorded(tmp_path):
    replay = _replay_with(tmp_path, {"big.xml": domain(memory=HUGE), "ok.xml": domain().replace("big", "ok").replace(
        "000000000001", "000000000002")})
    db = tmp_path / "inv.db"
    result = _rscan("--replay", str(replay), "--db", str(db), "-w")
    assert result.exit_code == 0, result.stderr
    assert "big.xml" in result.stderr and "out of range" in result.stderr
    assert "web01" in result.stdout and " ok " in result.stdout
    listed = _vminv("ls", "--db", str(db))
    assert listed.exit_code == 0 and "web01" in listed.stdout


@pytest.mark.parametrize(("host_json", "named"), [
    ({"facts": ["a"]}, "facts is not an object"),
    ({"facts": {"memory_kib": "abc", "cpus": 8}}, "fact memory_kib is not an integer"),
    ({"facts": {"cpus": [1], "hostname": "h"}}, "fact cpus is not an integer"),
    ({"facts": {"cpu_sockets": 10**40}}, "fact cpu_sockets"),
    ({"facts": {"memory_kib": True}}, "fact memory_kib is not an integer"),
    ({"facts": {"hostname": {"x": 1}}}, "fact hostname is not a text"),
    ({"facts": {"cpu_model": "x" * 5000}}, "fact cpu_model is longer"),
    ({"states": ["running"]}, "states is not an object"),
    ({"states": {"web01": "<owned>"}}, "is not a libvirt state"),
    ({"states": {"web01": 5}}, "is not a libvirt state"),
    ({"uri": ["qemu:///system"]}, "uri is not a text"),
    (["not", "an", "object"], "is not a JSON object"),
])
def test_wrong_types_in_host_json_are_named_and_never_stored(tmp_path, host_json, named):
    replay = _replay_with(tmp_path, {}, host_json)
    db = tmp_path / "inv.db"
    result = _rscan("--replay", str(replay), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    assert "host.json" in result.stderr and named in result.stderr
    assert "web01" in result.stdout  # the guests are still scanned
    hosts = _vminv("host", "ls", "--db", str(db), "--format", "json")
    assert hosts.exit_code == 0, hosts.stderr
    (row,) = json.loads(hosts.stdout)
    assert row["memory_kib"] is None or isinstance(row["memory_kib"], int)
    assert row["cpus"] is None or isinstance(row["cpus"], int)


def test_good_facts_next_to_a_bad_one_are_kept(tmp_path):
    replay = _replay_with(tmp_path, {}, {"facts": {"memory_kib": "abc", "cpus": 8, "hostname": "node1"},
                                         "states": {"web01": "paused", "ghost": "nonsense"}})
    scan = scan_replay(replay)
    host = scan.hosts[0]
    assert host.facts is not None and (host.facts.cpus, host.facts.hostname, host.facts.memory_kib) == (8, "node1", None)
    assert [g.state for g in scan.guests] == ["paused"]
    assert len(host.problems) == 2


def test_live_and_replayed_facts_pass_the_same_gate():
    # A live host's capabilities with an absurd topology, and virsh nodeinfo with absurd numbers:
    # the same per-fact problems as a host.json would get, the other facts kept.
    caps = f"<capabilities><host><cpu><topology sockets='{HUGE}' cores='4' threads='2'/></cpu></host></capabilities>"
    facts, problems = host_facts(caps, hostname="h", hypervisor_type="QEMU", hypervisor_version=None,
                                 libvirt_version=None, memory_kib=MEMORY_KIB_MAX + 1, cpus=8)
    assert (facts.cpu_sockets, facts.cpu_cores, facts.memory_kib, facts.cpus) == (None, 4, None, 8)
    assert any("topology sockets" in p for p in problems) and any("fact memory_kib" in p for p in problems)
    replayed, replay_problems = checked_facts({"memory_kib": MEMORY_KIB_MAX + 1, "cpus": 8})
    assert replayed.memory_kib is None and any("fact memory_kib" in p for p in replay_problems)


def test_ssh_transport_nodeinfo_numbers_are_bounded():
    marker = "@@vminv-0123456789abcdef"
    output = (f"{marker} nodeinfo\nCPU(s):              {HUGE}\nCPU socket(s):       1\n"
              f"Memory size:         {HUGE} KiB\n")
    scan = parse_session("h", output, marker)
    assert scan.facts is not None and (scan.facts.cpus, scan.facts.memory_kib, scan.facts.cpu_sockets) == (None, None, 1)
    assert {p.domain for p in scan.problems} == {"host facts"} and len(scan.problems) == 2


@pytest.mark.parametrize(("max_memory", "field"), [
    (f"<maxMemory slots='{HUGE}' unit='KiB'>1048576</maxMemory>", "<maxMemory slots>"),
    (f"<maxMemory slots='16' unit='KiB'>{HUGE}</maxMemory>", "size"),
])
def test_max_memory_is_bounded_like_memory(max_memory, field):
    with pytest.raises(DomainXMLError) as caught:
        parse_domain(domain().replace("<memory ", max_memory + "\n  <memory "), "h")
    assert field in str(caught.value) and "out of range" in str(caught.value)


def test_facts_stored_by_older_versions_are_read_through_the_same_gate(tmp_path):
    # Before the gate, a replay's "memory_kib": "abc" was stored, and every later
    # `vminv host ls` (and report) failed on it. Such rows now read as unknown.
    import sqlite3

    replay = _replay_with(tmp_path, {})
    db = tmp_path / "inv.db"
    assert _rscan("--replay", str(replay), "--db", str(db)).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE hosts SET memory_kib = 'abc', cpus = 'x', cpu_sockets = '[1]'")
        conn.execute("""UPDATE scan_hosts SET facts = '{"memory_kib": "abc", "cpus": [8], "hostname": "h"}'""")
    hosts = _vminv("host", "ls", "--db", str(db), "--format", "json")
    assert hosts.exit_code == 0, hosts.stderr
    (row,) = json.loads(hosts.stdout)
    assert (row["memory_kib"], row["cpus"]) == (None, None)
    assert _vminv("host", "ls", "--db", str(db)).exit_code == 0
    from vminv.inventory.queries import load_scan  # what reconcile --scan reads

    facts = load_scan(db, 1).hosts[0].facts
    assert facts is not None and (facts.hostname, facts.memory_kib, facts.cpus) == ("h", None, None)
    report = _vminv("report", "--db", str(db), "--format", "json")
    assert report.exit_code == 0, report.stderr
