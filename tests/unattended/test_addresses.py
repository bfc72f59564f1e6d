"""Guest addresses (--addresses), autostart and persistence: scanned, stored, in JSON, history and Ansible."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

from tests.unattended.conftest import ansible_values, vminv
from vminv import inventory
from vminv.cli.rscan import cli as rscan
from vminv.errors import UsageError
from vminv.runner.ansible import ansible_host
from vminv.scanner.model import GuestAddress
from vminv.scanner.scan import HostTarget, ScanSettings, scan_hosts

DEFAULT = "test:///default"  # one running guest, "test", with a lease and an ARP entry in the driver


def test_sources_are_asked_of_running_guests_and_a_refused_source_is_no_error():
    scan = scan_hosts([HostTarget("h1", DEFAULT)], ScanSettings(addresses=("lease", "agent", "arp")))
    (guest,) = scan.guests
    assert scan.hosts[0].ok and scan.hosts[0].problems == ()
    # The agent source needs a read-write connection: libvirt refuses it, the others answer.
    assert guest.addresses == (
        GuestAddress("lease", "testnet0", "aa:bb:cc:dd:ee:ff", ("192.168.122.3/24",)),
        GuestAddress("arp", "testnet0", "aa:bb:cc:dd:ee:ff", ("192.168.122.3/24",)),
    )
    assert (guest.autostart, guest.persistent) == (False, True)
    assert scan.options["addresses"] == ["lease", "agent", "arp"]
    unasked = scan_hosts([HostTarget("h1", DEFAULT)], ScanSettings()).guests[0]
    assert unasked.addresses is None and unasked.persistent is True


def test_unknown_sources_are_usage_errors():
    with pytest.raises(UsageError, match="unknown address source 'dhcp'"):
        ScanSettings(addresses=("dhcp",))
    result = CliRunner().invoke(rscan, ["h1", "--uri", DEFAULT, "--addresses", "lease,dhcp", "--no-db"])
    assert result.exit_code == 2


def test_rscan_json_shows_them_and_history_records_their_changes(tmp_path):
    db = tmp_path / "inv.db"
    result = CliRunner().invoke(rscan, ["h1", "--uri", DEFAULT, "--addresses", "lease", "--format", "json",
                                        "--db", str(db), "-w"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (guest,) = json.loads(result.stdout)["guests"]
    assert guest["autostart"] is False and guest["persistent"] is True
    assert guest["addresses"] == [{"source": "lease", "interface": "testnet0", "mac": "aa:bb:cc:dd:ee:ff",
                                   "ips": ["192.168.122.3/24"]}]
    scan = scan_hosts([HostTarget("h1", DEFAULT)], ScanSettings(addresses=("lease",)))
    moved_on = dataclasses.replace(scan, guests=(dataclasses.replace(
        scan.guests[0], autostart=True,
        addresses=(GuestAddress("lease", "testnet0", "aa:bb:cc:dd:ee:ff", ("192.168.122.9/24",)),)),))
    inventory.record_scan(db, moved_on, "w")
    changes = {e.field: (e.old_value, e.new_value) for e in inventory.guest_history(db, "test").events
               if e.event == "changed"}
    assert changes["autostart"] == ("False", "True")
    assert changes["addresses"] == ("lease:testnet0 192.168.122.3/24", "lease:testnet0 192.168.122.9/24")
    # A scan without --addresses does not know them: no change recorded.
    inventory.record_scan(db, scan_hosts([HostTarget("h1", DEFAULT)], ScanSettings()), "w")
    events = inventory.guest_history(db, "test").events
    assert [e.field for e in events if e.event == "changed"].count("addresses") == 1


def test_ansible_host_comes_from_the_scanned_addresses(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.one]\nnoderange = "h1"\nuri = "{DEFAULT}"\ndb = "{tmp_path / "inv.db"}"\n'
                      'write = "w"\naddresses = ["lease", "arp"]\n')
    assert vminv("run", "one", "--config", str(config)).exit_code == 0
    exported = json.loads(vminv("export", "--format", "ansible", "--db", str(tmp_path / "inv.db")).stdout)
    host = ansible_values(exported["_meta"]["hostvars"]["test"])
    assert host["ansible_host"] == "192.168.122.3"
    assert host["vminv_addresses"] == ["192.168.122.3/24", "192.168.122.3/24"]
    assert (host["vminv_autostart"], host["vminv_persistent"]) == (False, True)


def test_the_address_ansible_connects_to():
    assert ansible_host([("arp", "10.0.0.9/24"), ("agent", "10.0.0.5/24")]) == "10.0.0.5"
    assert ansible_host([("agent", "fe80::1/64"), ("agent", "127.0.0.1/8"), ("lease", "2001:db8::5/64")]) == "2001:db8::5"
    assert ansible_host([("agent", "not an address"), ("agent", "169.254.1.1/16")]) is None
