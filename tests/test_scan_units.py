"""Pure pieces of the scanner: URIs, failure classes, the ssh wrapper, virsh session parsing."""

from __future__ import annotations

import subprocess

import pytest

from vminv.errors import UsageError
from vminv.scanner.classify import classify_message, one_line
from vminv.scanner.hostfacts import dotted_version
from vminv.scanner.live import scan_error
from vminv.scanner.sshtransport import parse_session, remote_script
from vminv.scanner.sshwrap import SshOptions, SshWrappers
from vminv.scanner.uri import DEFAULT_URI_TEMPLATE, build_uri, split_uri, with_params


def test_default_template_and_host_substitution():
    assert build_uri(DEFAULT_URI_TEMPLATE, "kvmhost1") == "qemu+ssh://root@kvmhost1/system?no_tty=1"
    assert build_uri("test:///default", "anything") == "test:///default"
    with pytest.raises(UsageError):
        build_uri("kvmhost1/system", "h")


def test_every_part_of_the_users_uri_is_kept():
    uri = build_uri(
        "qemu+ssh://admin@{host}:2222/system?keyfile=/k/id_rsa&known_hosts=/k/kh&no_verify=1&no_tty=1", "h1"
    )
    parts = split_uri(uri)
    assert (parts.user, parts.host, parts.port, parts.path) == ("admin", "h1", 2222, "/system")
    rebuilt = split_uri(with_params(uri, command="/tmp/wrap"))
    assert rebuilt.params == parts.params + (("command", "/tmp/wrap"),)
    assert (rebuilt.user, rebuilt.host, rebuilt.port, rebuilt.path) == ("admin", "h1", 2222, "/system")
    # The user's own command= is replaced in the URI (the wrapper runs it instead).
    assert split_uri(with_params(uri + "&command=/my/ssh", command="/w")).param("command") == "/w"
    assert parts.local_uri == "qemu:///system"


def test_plus_and_escapes_in_the_users_parameters_reach_libvirt_as_written():
    # libvirt keeps '+' literally (only %XX is decoded); a form decoder would make it a space.
    uri = "qemu+ssh://root@h/system?keyfile=/k/id+scan&no_tty&name=a%2Bb&socket=/run/x%20y"
    rebuilt = with_params(uri, command="/tmp/w+rap")
    assert rebuilt.startswith("qemu+ssh://root@h/system?keyfile=/k/id+scan&no_tty&name=a%2Bb&socket=/run/x%20y&")
    parts = split_uri(rebuilt)
    assert parts.param("keyfile") == "/k/id+scan" and parts.param("name") == "a+b"
    assert parts.param("socket") == "/run/x y" and parts.param("command") == "/tmp/w+rap"
    assert split_uri("test+ssh://r@h/abs/node.xml").local_uri == "test:///abs/node.xml"


@pytest.mark.parametrize(
    "message, expected",
    [
        ("End of file while reading data: ssh: connect to host h port 22: Connection refused: "
         "Input/output error", "unreachable"),
        ("Cannot recv data: ssh: Could not resolve hostname nohost: Name or service not known", "unreachable"),
        ("Cannot recv data: root@127.0.0.1: Permission denied (publickey,password).", "auth"),
        ("Cannot recv data: @@@@@@@\n@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\n"
         "Host key verification failed.", "host_key"),
        ("Cannot recv data: Host key verification failed.", "host_key"),
        ("Cannot recv data: Connection timed out during banner exchange", "timeout"),
        ("internal error: connection closed due to keepalive timeout", "timeout"),
        ("Timeout opening channel.", "timeout"),  # paramiko, when the session never opens
        ("kex_exchange_identification: Connection closed by remote host", "unreachable"),
        ("Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory", "libvirt"),
    ],
)
def test_failure_messages_get_their_class(message, expected):
    assert classify_message(message) == expected


def test_one_line_drops_ssh_banner_noise_and_bounds_length():
    text = one_line("@@@@@@\n@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\n\nHost key verification failed.\n")
    assert "\n" not in text and "Host key verification failed." in text
    assert len(one_line("x" * 1000)) == 300


def test_ssh_wrapper_kills_at_the_deadline_and_keeps_the_users_command(tmp_path):
    fake_ssh = tmp_path / "my-ssh"
    fake_ssh.write_text('#!/bin/sh\necho "$@"\nexec sleep 30\n')
    fake_ssh.chmod(0o755)
    with SshWrappers() as wrappers:
        script = wrappers.script_for(SshOptions(deadline_s=1, ssh_command=str(fake_ssh), known_hosts="/k/kh"))
        assert wrappers.script_for(SshOptions(deadline_s=1, ssh_command=str(fake_ssh), known_hosts="/k/kh")) == script
        done = subprocess.run([str(script), "-p", "22", "host"], capture_output=True, text=True, timeout=10)
        assert done.returncode in (137, -9)  # SIGKILL from timeout(1)
        assert "-o ConnectTimeout=1" in done.stdout and "UserKnownHostsFile=/k/kh" in done.stdout
        assert done.stdout.rstrip().endswith("-p 22 host")  # libvirt's arguments come after ours
        folder = script.parent
    assert not folder.exists()


def test_dotted_version():
    assert dotted_version(9000000) == "9.0.0"
    assert dotted_version(7002005) == "7.2.5"
    assert dotted_version(None) is None


DOMAIN = """<domain type='kvm' id='3'><name>{name}</name><uuid>{uuid}</uuid><memory>1048576</memory>
<vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os><description>{marker} xml fake</description></domain>
"""


def test_virsh_session_output_is_parsed_and_markers_cannot_be_forged():
    marker = "@@vminv-0123456789abcdef"
    forged = "@@vminv-ffffffffffffffff"  # what a hostile description could guess at best
    output = (
        f"{marker} facts\nkvmhost1\nCompiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\n"
        "Using API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\n\n"
        f"{marker} nodeinfo\nCPU model:           x86_64\nCPU(s):              8\nCPU socket(s):       1\n"
        "Core(s) per socket:  4\nThread(s) per core:  2\nMemory size:         16318976 KiB\n\n"
        f"{marker} caps\n<capabilities><host><uuid>ABCD0000-0000-0000-0000-000000000001</uuid>"
        "<cpu><arch>x86_64</arch><model>Skylake</model></cpu></host></capabilities>\n"
        f"{marker} state 11111111-0000-0000-0000-000000000001\nshut off\n\n"
        f"{marker} xml 11111111-0000-0000-0000-000000000001\n"
        + DOMAIN.format(name="vm1", uuid="11111111-0000-0000-0000-000000000001", marker=forged)
        + f"\n{marker} state 11111111-0000-0000-0000-000000000002\nrunning\n\n"
        f"{marker} xml 11111111-0000-0000-0000-000000000002\n\n"  # vanished: empty dumpxml
        f"{marker} state 11111111-0000-0000-0000-000000000003\npaused\n\n"
        f"{marker} xml 11111111-0000-0000-0000-000000000003\n<domain><name>broken\n"
    )
    scan = parse_session("kvmhost1", output, marker)
    assert [g.name for g in scan.guests] == ["vm1"]
    assert scan.guests[0].state == "shutoff" and scan.guests[0].hypervisor == "kvmhost1"
    assert scan.guests[0].description == f"{forged} xml fake"
    assert [p.domain for p in scan.problems] == ["11111111-0000-0000-0000-000000000003"]
    facts = scan.facts
    assert (facts.hostname, facts.hypervisor_type, facts.hypervisor_version, facts.libvirt_version) == (
        "kvmhost1", "QEMU", "7.2.0", "9.0.0")
    assert (facts.cpus, facts.cpu_sockets, facts.cpu_cores, facts.cpu_threads) == (8, 1, 4, 2)
    assert facts.memory_kib == 16318976 and facts.uuid == "abcd0000-0000-0000-0000-000000000001"
    assert facts.cpu_model == "Skylake" and facts.arch == "x86_64"


def test_remote_script_quotes_the_uri():
    script = remote_script("test:///tmp/a b;rm -rf x.xml", "@@m")
    assert "'test:///tmp/a b;rm -rf x.xml'" in script


def test_wrapper_scripts_requested_by_many_threads_at_once_all_run(tmp_path):
    # Found by bench/bench_scan.py: unlocked, threads rewrote a script while
    # another thread's libvirt was exec'ing it ("Text file busy").
    from concurrent.futures import ThreadPoolExecutor

    fake_ssh = tmp_path / "my-ssh"
    fake_ssh.write_text('#!/bin/sh\necho ok\n')
    fake_ssh.chmod(0o755)
    options = SshOptions(deadline_s=5, ssh_command=str(fake_ssh))
    with SshWrappers() as wrappers:
        def ask_and_run(_: int) -> str:
            script = wrappers.script_for(options)
            return subprocess.run([str(script)], capture_output=True, text=True, timeout=10).stdout

        with ThreadPoolExecutor(max_workers=32) as pool:
            outputs = list(pool.map(ask_and_run, range(200)))
    assert outputs == ["ok\n"] * 200


@pytest.mark.parametrize(
    ("uri", "names"),
    [
        ("qemu+ssh://root@kvm1/system", "sshd"),
        ("qemu+tcp://kvm1/system", "listens for TCP"),
        ("qemu+tls://kvm1/system", "listens for TLS"),
        ("qemu:///system", "libvirtd (or the driver's daemon) runs"),
    ],
)
def test_the_unreachable_hint_names_what_listens_for_the_uris_transport(uri: str, names: str) -> None:
    error = scan_error("unable to connect to server at 'kvm1:16509': Connection refused", uri=uri)
    assert error.error_class == "unreachable"
    assert error.hint is not None and names in error.hint
