"""Host names go into ``{host}`` only when they are host names; URIs that do not parse are one line.

A host name from stored data (a replay folder name, a ``vminv host`` row) must
never change a URI's user, port, path or options: a bad one fails that host
alone, with one line, and the rest of the scan goes on.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli
from vminv.errors import UsageError
from vminv.scanner.scan import ScanSettings, host_target, scan_hosts
from vminv.scanner.uri import DEFAULT_URI_TEMPLATE, InvalidHostError, build_uri, split_uri, uri_host

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NODES = FIXTURES / "nodes"
ATTACK = "127.0.0.1:2222?no_verify=1&a="


@pytest.mark.parametrize("host", [
    ATTACK, "kvm1:2222", "kvm1?keyfile=/tmp/k", "kvm1&no_verify=1", "a/../../etc", "evil@kvm1", "[kvm1]",
    "kvm1]", "kvm%31", "kvm 1", "kvm1\t", "kvm1\n", "kvm\x1b[2J", "kvm\x00", "..", ".", "", "kvm1..x",
    "-oProxyCommand=sh", "kvm\u00e9", "fe80::1%eth0", "[fe80::1%25eth0]", "[::1", "::1]", "[10.0.0.1]", "a" * 255, "kvm1..", ".kvm1",
])
def test_bad_host_names_never_reach_the_uri(host: str) -> None:
    with pytest.raises(InvalidHostError) as info:
        build_uri(DEFAULT_URI_TEMPLATE, host)
    assert info.value.error_class == "unreachable"
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


@pytest.mark.parametrize(("host", "uri"), [
    ("kvm01", "qemu+ssh://root@kvm01/system?no_tty=1"),
    ("kvm01.example.com", "qemu+ssh://root@kvm01.example.com/system?no_tty=1"),
    ("node_7-b", "qemu+ssh://root@node_7-b/system?no_tty=1"),
    ("10.1.2.3", "qemu+ssh://root@10.1.2.3/system?no_tty=1"),
    ("kvm01.example.com.", "qemu+ssh://root@kvm01.example.com./system?no_tty=1"),
    ("fe80::1", "qemu+ssh://root@[fe80::1]/system?no_tty=1"),
    ("[2001:db8::7]", "qemu+ssh://root@[2001:db8::7]/system?no_tty=1"),
])
def test_valid_host_names_and_addresses(host: str, uri: str) -> None:
    assert build_uri(DEFAULT_URI_TEMPLATE, host) == uri
    parts = split_uri(uri)
    assert (parts.user, parts.port, parts.path, parts.params) == ("root", None, "/system", (("no_tty", "1"),))
    assert uri_host(host).strip("[]") == parts.host


@pytest.mark.parametrize("uri", ["qemu+ssh://[::1/system", "qemu+ssh://root@::1]/system", "qemu+ssh://[fe80::1/x?a=b"])
def test_malformed_ipv6_uris_are_one_line(uri: str) -> None:
    with pytest.raises(UsageError, match="malformed"):
        split_uri(uri)
    with pytest.raises(UsageError, match="malformed"):
        build_uri(uri, "kvm1")
    result = CliRunner().invoke(cli, ["kvm1", "--uri", uri, "--no-db"], catch_exceptions=False)
    assert result.exit_code == 2 and "malformed" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_host_fails_alone_and_the_scan_goes_on() -> None:
    template = f"test://{NODES}/{{host}}.xml"
    targets = [host_target(name, template) for name in ("kvmhost1", ATTACK, "kvmhost2")]
    scan = scan_hosts(targets, ScanSettings(timeout_s=20))
    by_name = {h.name: h for h in scan.hosts}
    assert by_name["kvmhost1"].ok and by_name["kvmhost2"].ok
    bad = by_name[ATTACK]
    assert (bad.status, bad.error_class, bad.uri) == ("failed", "unreachable", "")
    assert "cannot go into a libvirt URI" in (bad.error or "")


def test_a_stored_uri_is_used_as_is_for_any_name() -> None:
    assert host_target(ATTACK, DEFAULT_URI_TEMPLATE, uri="test:///default").unusable is None


def test_a_replay_folder_name_cannot_change_a_later_live_scan(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    shutil.copytree(FIXTURES / "replay" / "kvmhost1", replay / ATTACK)
    db = tmp_path / "inv.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["--replay", str(replay), "--db", str(db)], catch_exceptions=False)
    assert first.exit_code in (0, 3), first.stderr
    # The stored name now matches a regex noderange in a live scan.
    later = runner.invoke(cli, ["/127.*,kvmhost1", "--db", str(db), "--uri", f"test://{NODES}/{{host}}.xml",
                                "--format", "json"], catch_exceptions=False)
    hosts = {h["name"]: h for h in json.loads(later.stdout)["hosts"]}
    assert hosts["kvmhost1"]["status"] == "ok"
    assert hosts[ATTACK]["status"] == "failed" and hosts[ATTACK]["uri"] == ""
    assert "no_verify" not in later.stdout.replace(json.dumps(ATTACK)[1:-1], "")
    assert later.exit_code == 3
