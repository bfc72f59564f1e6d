"""The Ansible inventory: `vminv export --format ansible` and the dynamic script, read by the real ansible-inventory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unattended.conftest import ansible_values, vminv
from vminv.inventory.guest_facts import GuestFacts
from vminv.runner.ansible import build_inventory, group_name

BIN = Path(sys.executable).parent
SCRIPT = BIN / "vminv-ansible-inventory"
ANSIBLE_INVENTORY = BIN / "ansible-inventory"


@pytest.fixture
def written_db(write_config, tmp_path):
    config = write_config()
    assert vminv("run", "lab", "--config", str(config)).exit_code == 0
    return tmp_path / "inv.db"


def _ansible(db: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not ANSIBLE_INVENTORY.exists():
        pytest.fail("ansible-inventory is missing: pip install -e '.[test]' installs ansible-core")
    env = {**os.environ, "VMINV_DB": str(db), "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible"),
           "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run([str(ANSIBLE_INVENTORY), "-i", str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_ansible_inventory_reads_the_groups_and_host_variables(written_db, tmp_path):
    listed = _ansible(written_db, tmp_path, "--list")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    hostvars = document["_meta"]["hostvars"]
    assert set(document["hypervisor_kvmhost1"]["hosts"]) >= {"web01", "db01", "build01"}
    assert "numa-guest" in document["hypervisor_kvmhost3"]["hosts"]
    assert "web01" in document["state_running"]["hosts"] and "build01" in document["state_shutoff"]["hosts"]
    assert "web01" in document["vm"]["hosts"]  # the inventory group rscan -w gives every node
    web = ansible_values(hostvars["web01"])
    assert web["vminv_hypervisor"] == "kvmhost1" and web["vminv_uuid"] and web["vminv_vcpus"] >= 1
    assert web["vminv_memory_mib"] > 0 and web["vminv_macs"] and all(":" in m for m in web["vminv_macs"])
    graph = _ansible(written_db, tmp_path, "--graph")
    assert graph.returncode == 0, graph.stderr
    assert "@hypervisor_kvmhost1:" in graph.stdout and "|--web01" in graph.stdout
    assert "@state_running:" in graph.stdout
    host = _ansible(written_db, tmp_path, "--host", "web01")
    # ansible-core 2.15 prints the unsafe markers in --host too; 2.19 plain strings.
    assert ansible_values(json.loads(host.stdout))["vminv_uuid"] == web["vminv_uuid"]


def test_export_format_ansible_is_what_the_script_lists(written_db):
    exported = vminv("export", "--format", "ansible", "--db", str(written_db))
    assert exported.exit_code == 0
    script = subprocess.run([str(SCRIPT), "--list"], capture_output=True, text=True,
                            env={**os.environ, "VMINV_DB": str(written_db)})
    assert json.loads(exported.stdout) == json.loads(script.stdout)
    # A name Ansible cannot take safely is left out and named on stderr.
    assert "vm-größe" not in json.loads(exported.stdout)["_meta"]["hostvars"]
    assert "guest 'vm-größe' left out of the Ansible inventory" in exported.stderr
    assert vminv("export", "vm", "--format", "ansible", "--db", str(written_db)).exit_code == 2


def test_groups_are_valid_names_and_duplicates_keep_the_node_tables_copy():
    def guest(node: str, host: str, owns: bool, groups: tuple[str, ...] = ()) -> GuestFacts:
        return GuestFacts(node, host, "u", "running", 1, 1024, (), groups, owns)

    built = build_inventory([
        guest("web", "kvm-a.example.com", False), guest("web", "kvm-b", True, ("vm", "all", "web-tier")),
        guest("-oProxyCommand=x", "kvm-a", False), guest("a b", "kvm-a", False),
    ])
    assert built.document["_meta"]["hostvars"]["web"]["vminv_hypervisor"] == {"__ansible_unsafe": "kvm-b"}
    assert set(built.document) == {"_meta", "all", "hypervisor_kvm_b", "state_running", "vm", "web_tier"}
    assert [name for name, _ in built.left_out] == ["web", "-oProxyCommand=x", "a b"]
    assert group_name("", "9lives") == "_9lives"
    assert built.host("nope") == {}


HOSTILE_MAC = "{{ 7 * 191 }}{{ lookup('pipe', 'touch pwned') }}"
_HOSTILE_DOMAIN = """<domain type='kvm' id='3'>
  <name>guest1</name>
  <uuid>5b9e6fd8-3e2b-4f2e-9c7e-2d6a5e1f0a11</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><interface type='bridge'><mac address="{mac}"/><source bridge='br0'/></interface></devices>
</domain>
"""


def test_ansible_never_templates_a_host_variable_from_guest_data(tmp_path):
    # A guest's domain XML is the guest owner's text: a MAC "address" holding Jinja would run
    # on the Ansible controller (lookup('pipe')) if Ansible templated it. The parser now refuses
    # such a MAC, but an inventory written before holds it: every host variable is marked
    # __ansible_unsafe, so the real ansible prints it literally and runs nothing.
    import sqlite3

    from tests.test_output_safety import rscan

    (tmp_path / "replay" / "kvmhost1").mkdir(parents=True)
    (tmp_path / "replay" / "kvmhost1" / "guest1.xml").write_text(_HOSTILE_DOMAIN.format(mac="52:54:00:00:00:01"))
    db = tmp_path / "inv.db"
    assert rscan("--replay", str(tmp_path / "replay"), "-w", "--db", str(db)).exit_code == 0
    with sqlite3.connect(db) as conn:  # as an earlier vminv stored it
        conn.execute("UPDATE guest_nics SET mac = ? WHERE mac = '52:54:00:00:00:01'", [HOSTILE_MAC.lower()])
    env = {**os.environ, "VMINV_DB": str(db), "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible"),
           "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_NOCOLOR": "1"}
    shown = subprocess.run([str(BIN / "ansible"), "-i", str(SCRIPT), "guest1", "-c", "local", "-m", "debug",
                            "-a", "msg='{{ vminv_macs[0] }} on {{ vminv_hypervisor }}'"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "1337" not in shown.stdout and not (tmp_path / "pwned").exists()
    assert "{{ 7 * 191 }}" in shown.stdout and "kvmhost1" in shown.stdout
    # --host gives the same values (ansible-core 2.15 prints them still marked, 2.19 plain).
    host = _ansible(db, tmp_path, "--host", "guest1")
    assert ansible_values(json.loads(host.stdout))["vminv_macs"] == [HOSTILE_MAC.lower()]
