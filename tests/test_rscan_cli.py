"""The rscan command: golden outputs over a replay, exit statuses, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPLAY = FIXTURES / "replay"
NODES = FIXTURES / "nodes"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)


def _stable_json(text: str) -> str:
    """Timestamps and durations change run to run; everything else is golden."""
    document = json.loads(text)
    document["scan"]["started"] = document["scan"]["finished"] = "<time>"
    document["scan"]["options"] = {k: ("<dir>" if k == "replay" else v) for k, v in document["scan"]["options"].items()}
    for host in document["hosts"]:
        host["duration_s"] = 0
        host["uri"] = re.sub(r"^replay://.*/fixtures/", "replay://fixtures/", host["uri"])
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_table_golden(golden):
    result = run("--replay", str(REPLAY), "--no-db")
    assert result.exit_code == 0
    golden.check("rscan_table.txt", result.stdout)
    # The hostile file in the replay is named on stderr, with its host.
    assert "kvmhost3: domain zz-truncated.xml skipped:" in result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["type", "name", "hypervisor", "id", "cpu", "memory", "nic", "disk"]


def test_json_golden(golden):
    result = run("--replay", str(REPLAY), "--format", "json", "--no-db")
    assert result.exit_code == 0
    golden.check("rscan.json", _stable_json(result.stdout))
    document = json.loads(result.stdout)
    assert set(document) == {"scan", "hosts", "guests"}
    assert {"name", "uri", "status", "error_class", "error", "facts", "duration_s"} <= set(document["hosts"][0])


def test_csv_golden(golden):
    result = run("--replay", str(REPLAY), "--format", "csv", "--no-db")
    assert result.exit_code == 0
    golden.check("rscan.csv", result.stdout)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["type", "name", "hypervisor", "id", "cpu", "memory", "nic", "disk", "uuid", "state"]


def test_stanza_golden_and_invalid_names_named_on_stderr(golden):
    result = run("--replay", str(REPLAY), "-z", "--no-db")
    assert result.exit_code == 0
    golden.check("rscan.stanza", result.stdout)
    assert result.stdout.startswith("# <xCAT data object stanza file>\n")
    assert "app01.example.com" in result.stderr and "app01.example.com:" not in result.stdout
    # web01 is on kvmhost1 and kvmhost2: one stanza, kvmhost2's (last in the noderange).
    assert result.stdout.count("\nweb01:\n") == 1
    assert "kvmhost1: guest 'web01' left out of the stanza: the name is also on kvmhost2" in result.stderr


def test_noderange_selects_replay_hosts_and_missing_host_exits_partial():
    result = run("kvmhost[1-2],kvmhost9", "--replay", str(REPLAY), "--no-db", "--format", "csv")
    assert result.exit_code == 3
    hosts = {row[2] for row in list(csv.reader(io.StringIO(result.stdout)))[1:]}
    assert hosts == {"kvmhost1", "kvmhost2"}
    assert "kvmhost9: failed (unreachable):" in result.stderr


def test_live_test_driver_hosts_through_the_uri_template():
    result = run("kvmhost1,kvmhost2", "--uri", f"test://{NODES}/{{host}}.xml", "--no-db", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [h["status"] for h in document["hosts"]] == ["ok", "ok"]
    assert "scanned" not in result.stderr  # progress only on a terminal
    assert {g["hypervisor"] for g in document["guests"]} == {"kvmhost1", "kvmhost2"}


def test_failed_live_host_exits_3_and_keeps_the_others():
    result = run("kvmhost1,nosuchhost", "--uri", f"test://{NODES}/{{host}}.xml", "--no-db")
    assert result.exit_code == 3
    assert "kvmhost1" in result.stdout
    line = next(l for l in result.stderr.splitlines() if l.startswith("nosuchhost:"))
    assert "failed (libvirt)" in line


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((), "no NODERANGE given"),
        (("kvmhost[1-",), "unbalanced brackets"),
        (("node10-node01",), "runs backwards"),
        (("h1", "-w", "-u"), "cannot be combined"),
        (("h1", "-w", "--no-db"), "--no-db"),
        (("h1", "--uri", "nowhere"), "has no scheme"),
        (("h1", "--uri", "qemu+ssh://root@{host}:99999/system"), "has a bad port"),
        (("--replay", "/nonexistent/replay"), "does not exist"),
        (("h1", "-z", "--format", "json"), "cannot be combined"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_per_host_uri_and_transport_from_the_inventory(tmp_path):
    from vminv import inventory

    db = tmp_path / "inv.db"
    inventory.set_host_uri(db, "hostA", f"test://{NODES}/kvmhost1.xml")
    inventory.set_host_uri(db, "hostB", f"test://{NODES}/kvmhost2.xml", "ssh")
    assert inventory.host_transports(db) == {"hostB": "ssh"}
    # hostB's stored transport is paramiko, which needs a host in its URI: it fails alone.
    result = run("hostA,hostB", "--db", str(db), "--format", "json")
    assert result.exit_code == 3
    hosts = {h["name"]: h for h in json.loads(result.stdout)["hosts"]}
    assert hosts["hostA"]["status"] == "ok" and hosts["hostA"]["uri"].endswith("kvmhost1.xml")
    assert hosts["hostB"]["status"] == "failed" and "names no host" in hosts["hostB"]["error"]
    assert "check that libvirtd runs" not in hosts["hostB"]["error"]  # its own hint, not a misleading one
    # --transport on the command line wins over the stored one.
    result = run("hostA,hostB", "--db", str(db), "--transport", "libvirt", "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_write_keeps_each_guests_xml_in_kvm_nodedata_and_save_writes_a_replay(tmp_path):
    from tests.inventory.rows import Rows

    db = tmp_path / "inv.db"
    saved = tmp_path / "saved"
    result = run("kvmhost3", "--uri", f"test://{NODES}/{{host}}.xml", "--db", str(db), "-w", "--save", str(saved))
    assert result.exit_code == 0, result.stderr
    rows = {r["node"]: r["xml"] for r in Rows(db)["kvm_nodedata"].rows}
    assert rows and all(xml.lstrip().startswith("<domain") and f"<name>{node}</name>" in xml
                        for node, xml in rows.items())
    replayed = run("--replay", str(saved), "--no-db")
    live = run("kvmhost3", "--uri", f"test://{NODES}/{{host}}.xml", "--no-db")
    assert replayed.stdout == live.stdout


def test_an_unusable_database_still_shows_the_scan_then_fails(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not a database")
    result = run("kvmhost1", "--uri", f"test://{NODES}/{{host}}.xml", "--db", str(bad))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split()[:2] == ["type", "name"] and "web01" in result.stdout
    assert "error: the scan was not recorded:" in result.stderr.strip().splitlines()[-1]
    assert bad.read_text() == "not a database"  # nothing overwritten
