"""Every stanza vminv writes, read back as xCAT's readFileInput reads it (issue 8.2).

The reader (tests/xcat_stanza_reader.py) follows DBobjUtils.pm readFileInput;
values are fuzzed with hypothesis.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inventory.inventory_synthetic import synthetic_guest, synthetic_scan
from tests.ttyrun import output_through
from tests.xcat_stanza_reader import read_stanza
from vminv import inventory
from vminv.cli.vminv import cli as vminv_cli
from vminv.inventory.stanza import DEFAULTS_NAME, guest_attributes, nodes_to_stanza, render_stanza, to_stanza
from vminv.inventory.xcat import mac_attribute_problem
from vminv.textsafe import terminal_safe

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1, max_size=20)
# Names xCAT's reader takes for defaults, mixed in often.
DEFAULTS_NAMES = st.sampled_from(["default", "default-node", "default-group", "default-x1", "default-"])
ATTRS = st.sampled_from(["arch", "groups", "mac", "vmhost", "vmnics", "vmstorage", "usercomment", "vmmemory"])
MACS = st.sampled_from(["52:54:00:00:00:01", "52:54:00:0a:00:01!web1-eth1|52:54:00:0a:00:02"])
VALUE = st.text(max_size=40) | st.text(alphabet=' "=:#\\\t\r\n\x0b\x0c\x1b\x85\x9b\xa0\u200b\u2028\u202eab', max_size=12)


def written_value(value: str) -> str:
    """What vminv means a value to be: one line (line breaks become spaces), stripped, controls visibly escaped."""
    return terminal_safe(" ".join(value.split("\n")).replace("\r", " ").strip(), keep_backslash=True)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(NAME | DEFAULTS_NAMES, st.dictionaries(ATTRS, MACS | VALUE, max_size=6)), max_size=6))
def test_node_stanzas_read_back_exactly(objects):
    objects = list(dict(objects).items())  # one stanza per name
    text, left_out = nodes_to_stanza(objects)
    read = read_stanza(text)
    kept = [(name, attrs) for name, attrs in objects if name not in dict(left_out)]
    assert read.names == [name for name, _ in kept]
    assert read.defaults == {} and read.skipped_lines == 0
    for name, attrs in kept:
        expected = {k: written_value(v) for k, v in attrs.items() if written_value(v)}
        assert read.objects[name] == {"objtype": "node", **expected}
        assert not attrs.get("mac") or mac_attribute_problem(attrs["mac"]) is None
    for name, reason in left_out:
        if reason != DEFAULTS_NAME:  # not MACs in xCAT's form: never into mkdef
            assert reason == mac_attribute_problem(dict(objects)[name]["mac"])
            continue
        assert name == "default" or (name.startswith("default-") and "-" not in name[len("default-"):])


@pytest.mark.parametrize("name", ["default", "default-node", "default-x1", "default-"])
def test_names_xcat_reads_as_defaults(name):
    _, left_out = nodes_to_stanza([(name, {"mac": "52:54:00:00:00:01"})])
    if name == "default-":  # [^-]+ needs a character: an ordinary node
        assert left_out == []
    else:
        assert left_out == [(name, DEFAULTS_NAME)]


def test_the_reader_shows_why_such_names_must_stay_out():
    """Written anyway, 'default-node' fills later nodes, and 'default' hides itself."""
    text = render_stanza([("default-node", {"mac": "52:54:00:00:00:01"}), ("web1", {"arch": "x86_64"}), ("default", {"vmhost": "h"})])
    read = read_stanza(text)
    assert read.objects["web1"] == {"objtype": "node", "mac": "52:54:00:00:00:01", "arch": "x86_64"}
    assert "default-node" not in read.names and "default" not in read.objects
    for name in ("default-node", "default-group", "default-node-1", "defaults", "mydefault"):
        assert (name in read_stanza(render_stanza([(name, {"arch": "a"})])).names) == (name in ("default-node-1", "defaults", "mydefault"))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAME | DEFAULTS_NAMES, min_size=1, max_size=5), comment=VALUE)
def test_rscan_z_reads_back(names, comment):
    guests = [
        dataclasses.replace(synthetic_guest(0, i), name=name, arch=comment or None, hypervisor=f"kvmhost{i}")
        for i, name in enumerate(names)
    ]
    text, left_out = to_stanza(guests)
    read = read_stanza(text)
    assert read.defaults == {} and read.skipped_lines == 0
    assert {g.name for g, _ in left_out} | set(read.names) == set(names)
    for name in read.names:
        guest = [g for g in guests if g.name == name][-1]
        expected = {k: written_value(v) for k, v in guest_attributes(guest).items() if v and written_value(v)}
        assert read.objects[name] == {"objtype": "node", **expected}
    for guest, reason in left_out:
        if guest.name in ("default", "default-node", "default-group", "default-x1"):
            assert reason == DEFAULTS_NAME


@pytest.fixture
def db_with_default_nodes(tmp_path: Path) -> Path:
    db = tmp_path / "inv.db"
    inventory.record_scan(db, synthetic_scan(range(1), 2), "w")
    with sqlite3.connect(db) as conn:
        for old, new in (("vm0000x000", "default"), ("vm0000x001", "default-node")):
            for table in ("nodelist", "nodehm", "nodetype", "vm", "mac", "vpd"):
                conn.execute(f"UPDATE {table} SET node = ? WHERE node = ?", [new, old])
        conn.execute("INSERT INTO nodelist (node, groups) VALUES ('web1', 'all')")
        conn.execute("UPDATE nodelist SET comments = ? WHERE node = 'web1'", ['say "hi": x:'])
    return db


def test_vminv_export_leaves_defaults_out_and_names_them(db_with_default_nodes):
    result = CliRunner().invoke(vminv_cli, ["export", "--db", str(db_with_default_nodes)], env={}, catch_exceptions=False)
    assert result.exit_code == 0
    read = read_stanza(result.stdout)
    assert read.names == ["web1"] and read.defaults == {} and read.skipped_lines == 0
    assert read.objects["web1"] == {"objtype": "node", "groups": "all", "usercomment": 'say "hi": x:'}
    assert "node 'default' left out of the stanza: xCAT's stanza reader takes" in result.stderr
    assert "node 'default-node' left out of the stanza" in result.stderr
    # CSV and JSON are not read by xCAT's stanza reader: those nodes stay there.
    csv = CliRunner().invoke(vminv_cli, ["export", "--format", "csv", "--db", str(db_with_default_nodes)], env={})
    assert "default-node" in csv.stdout and "left out" not in csv.stderr


HOSTILE_DOMAIN = """<domain type='kvm'>
  <name>web07</name>
  <uuid>6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/img/a\u202egpj.qcow2\u200b\\x'/><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'><mac address='52:54:00:00:00:07'/><source bridge='br\u009b2J&#9;0\x7f'/></interface>
  </devices>
</domain>
"""


def _stanza_through(replay: Path, stdout: str) -> bytes:
    """``rscan -z`` in its own process, stdout a regular file or a terminal (a pty)."""
    command = [sys.executable, "-c", "from vminv.cli.rscan import cli; cli()", "--replay", str(replay), "-z"]
    return output_through(command, stdout, replay.parent)


def test_hostile_stanza_values_are_escaped_alike_in_a_file_and_on_a_terminal(tmp_path: Path) -> None:
    host = tmp_path / "replay" / "kvmhost1"
    host.mkdir(parents=True)
    (host / "web07.xml").write_text(HOSTILE_DOMAIN, encoding="utf-8")
    in_file = _stanza_through(tmp_path / "replay", "file")
    on_terminal = _stanza_through(tmp_path / "replay", "terminal")
    assert in_file == on_terminal
    text = in_file.decode("utf-8")
    assert all(line.isprintable() for line in text.split("\n")), text
    read = read_stanza(text)  # as mkdef -z stores it: the escapes a person saw
    assert read.objects["web07"]["vmnics"] == "br\\x9b2J\\t0\\x7f"  # a C1 CSI, a tab, DEL (XML 1.0 allows no ESC)
    assert read.objects["web07"]["vmstorage"] == "/img/a\\u202egpj.qcow2\\u200b\\x"  # the backslash stays single
    assert read.objects["web07"]["mac"] == "52:54:00:00:00:07"
