"""Guest addresses (``rscan --addresses``) keep only well-formed MACs and IP addresses.

Whatever the agent, a DHCP lease or an ARP entry reports comes from the
guest. The answer is fed in as libvirt-python returns it (fixtures/addresses).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from vminv.scanner.domainlists import addresses_from_reply

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "addresses"


def test_hostile_macs_addresses_and_scopes_are_left_out():
    reply = json.loads((FIXTURES / "hostile.json").read_text(encoding="utf-8"))
    found = [dataclasses.asdict(a) for a in addresses_from_reply("agent", reply)]
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    assert found == [{**e, "ips": tuple(e["ips"])} for e in expected]


def test_every_kept_mac_is_one_libvirt_prints():
    reply = {"eth0": {"hwaddr": "52:54:0:a:b:c", "addrs": []}}
    assert addresses_from_reply("lease", reply)[0].mac == "52:54:00:0a:0b:0c"
