"""Scan a host through paramiko when libvirt's ssh transport cannot log in (passwords).

libvirt's ssh transport runs the ssh binary in batch mode: no password can be
given. Here paramiko logs in (password or key), then ONE remote command runs a
single ``virsh --readonly`` session that prints host facts, every domain's
state and every domain's XML, separated by marker lines carrying a random
nonce (so no domain description can forge one). The output goes through the
same parser as a libvirt scan.
"""

from __future__ import annotations

import secrets
import shlex
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko

from scanner.domainxml import parse_domain
from scanner.hostfacts import host_facts
from scanner.live import HostScan, scan_error
from scanner.model import DomainProblem, GuestRecord
from scanner.uri import split_uri
from vminv.errors import AuthError, DomainXMLError, HostKeyError, ScanTimeoutError, UnreachableError, UsageError

if TYPE_CHECKING:
    from scanner.scan import ScanSettings

# virsh's state words (domstate) to libvirt's state names.
_VIRSH_STATES = {
    "no state": "nostate",
    "running": "running",
    "idle": "blocked",
    "blocked": "blocked",
    "paused": "paused",
    "in shutdown": "shutdown",
    "shut off": "shutoff",
    "crashed": "crashed",
    "pmsuspended": "pmsuspended",
}


def remote_script(local_uri: str, marker: str) -> str:
    """The shell script run on the host: one virsh session for everything."""
    uri = shlex.quote(local_uri)
    return (
        f"U={uri}; M={shlex.quote(marker)}\n"
        'L=$(virsh -r -q -c "$U" list --all --uuid) || exit 3\n'
        'C="echo $M facts; hostname; version; echo $M nodeinfo; nodeinfo; echo $M caps; capabilities"\n'
        'for u in $L; do C="$C; echo $M state $u; domstate $u; echo $M xml $u; dumpxml $u"; done\n'
        'exec virsh -r -c "$U" "$C"\n'
    )


def _sections(output: str, marker: str) -> list[tuple[str, str, str]]:
    """Split the session's output into (kind, argument, body) at marker lines."""
    sections: list[tuple[str, str, str]] = []
    kind = arg = None
    body: list[str] = []
    for line in output.splitlines(keepends=True):
        if line.startswith(marker + " "):
            if kind is not None:
                sections.append((kind, arg or "", "".join(body)))
            words = line[len(marker) + 1 :].split()
            kind, arg, body = words[0], (words[1] if len(words) > 1 else ""), []
        elif kind is not None:
            body.append(line)
    if kind is not None:
        sections.append((kind, arg or "", "".join(body)))
    return sections


def _field(text: str, label: str) -> str | None:
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == label.lower():
            return value.strip()
    return None


def _int_field(text: str, label: str) -> int | None:
    value = _field(text, label)
    try:
        return int(value.split()[0]) if value else None
    except ValueError:
        return None


def parse_session(host: str, output: str, marker: str, keep_xml: bool = False) -> HostScan:
    """Turn the remote session's output into records (pure)."""
    facts_text = nodeinfo = caps = ""
    states: dict[str, str] = {}
    guests: list[GuestRecord] = []
    problems: list[DomainProblem] = []
    kept: list[tuple[str, str]] = []
    for kind, arg, body in _sections(output, marker):
        if kind == "facts":
            facts_text = body
        elif kind == "nodeinfo":
            nodeinfo = body
        elif kind == "caps":
            caps = body
        elif kind == "state":
            states[arg] = _VIRSH_STATES.get(body.strip().lower(), "nostate")
        elif kind == "xml":
            if not body.strip():
                continue  # vanished between listing and dumping
            try:
                guests.append(parse_domain(body, host, states.get(arg)))
            except DomainXMLError as exc:  # recorded, the host goes on
                problems.append(DomainProblem(arg, str(exc)))
                continue
            if keep_xml:
                kept.append((guests[-1].uuid, body))
    lines = [line for line in facts_text.splitlines() if line.strip()]
    hostname = lines[0].strip() if lines and ":" not in lines[0] else None
    hypervisor = (_field(facts_text, "Running hypervisor") or "").split()
    library = (_field(facts_text, "Using library") or "").split()
    memory = _int_field(nodeinfo, "Memory size")
    facts = host_facts(
        caps or None,
        hostname=hostname,
        hypervisor_type=hypervisor[0] if hypervisor else None,
        hypervisor_version=hypervisor[1] if len(hypervisor) > 1 else None,
        libvirt_version=library[-1] if library else None,
        cpu_model=_field(nodeinfo, "CPU model"),
        cpus=_int_field(nodeinfo, "CPU(s)"),
        memory_kib=memory,
        sockets=_int_field(nodeinfo, "CPU socket(s)"),
        cores=_int_field(nodeinfo, "Core(s) per socket"),
        threads=_int_field(nodeinfo, "Thread(s) per core"),
    )
    return HostScan(tuple(guests), facts, tuple(problems), tuple(kept))


def _client(settings: "ScanSettings") -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if settings.known_hosts:
        path = Path(settings.known_hosts).expanduser()
        if path.exists():
            client.load_host_keys(str(path))
    else:
        client.load_system_host_keys()
    # Unknown host keys are refused unless the user asked otherwise; a changed
    # key is always refused (paramiko raises BadHostKeyException for it).
    client.set_missing_host_key_policy(
        paramiko.AutoAddPolicy() if settings.accept_new_host_keys else paramiko.RejectPolicy()
    )
    return client


def scan_over_paramiko(host: str, uri: str, password: str | None, settings: "ScanSettings") -> HostScan:
    parts = split_uri(uri)
    if not parts.host:
        raise UsageError(f"URI {uri!r} names no host", "the ssh transport needs e.g. qemu+ssh://root@HOST/system")
    deadline = time.monotonic() + settings.timeout_s
    marker = "@@vminv-" + secrets.token_hex(8)
    client = _client(settings)
    connect_timeout = min(settings.connect_timeout_s, settings.timeout_s)
    try:
        client.connect(
            parts.host,
            port=parts.port or 22,
            username=parts.user or "root",
            password=password,
            key_filename=parts.param("keyfile"),
            timeout=connect_timeout,
            banner_timeout=connect_timeout,
            auth_timeout=connect_timeout,
            allow_agent=password is None,
            look_for_keys=password is None and parts.param("keyfile") is None,
        )
        if settings.accept_new_host_keys and settings.known_hosts:
            client.save_host_keys(str(Path(settings.known_hosts).expanduser()))
        output = _run(client, remote_script(parts.local_uri, marker), deadline, settings)
        return parse_session(host, output, marker, settings.keep_xml)
    except paramiko.BadHostKeyException as exc:
        raise HostKeyError(
            f"host key for {exc.hostname} has changed (got {exc.key.get_name()} {exc.key.fingerprint})",
            "verify the host's new key, then update known_hosts",
        ) from None
    except paramiko.AuthenticationException as exc:
        raise AuthError(
            f"ssh login as {parts.user or 'root'} refused: {exc}", "check the user and the password (or key)"
        ) from None
    except (socket.timeout, TimeoutError):
        raise ScanTimeoutError(
            f"no answer within {settings.timeout_s:g}s", "check sshd and libvirtd on the host, or raise --timeout"
        ) from None
    except paramiko.SSHException as exc:
        text = str(exc)
        if "not found in known_hosts" in text:
            raise HostKeyError(
                f"unknown host key for {parts.host}", "add it to known_hosts or pass --accept-new-host-keys"
            ) from None
        if "banner" in text.lower():
            raise ScanTimeoutError(f"no ssh banner within {connect_timeout:g}s ({text})") from None
        raise scan_error(text) from None
    except OSError as exc:
        raise UnreachableError(
            f"cannot reach {parts.host}:{parts.port or 22}: {exc.strerror or exc}",
            "check the host name, that sshd runs and that the port is open",
        ) from None
    finally:
        client.close()


def _run(client: paramiko.SSHClient, script: str, deadline: float, settings: "ScanSettings") -> str:
    transport = client.get_transport()
    assert transport is not None
    transport.set_keepalive(settings.keepalive_interval_s)
    channel = transport.open_session(timeout=max(0.1, deadline - time.monotonic()))
    channel.exec_command("sh -c " + shlex.quote(script))
    out, err = bytearray(), bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            channel.close()
            raise socket.timeout()
        channel.settimeout(min(remaining, 1.0))
        try:
            chunk = channel.recv(65536)
        except socket.timeout:
            continue
        if chunk:
            out += chunk
        while channel.recv_stderr_ready():
            err += channel.recv_stderr(65536)
        if not chunk and channel.exit_status_ready():
            break
    while channel.recv_stderr_ready():
        err += channel.recv_stderr(65536)
    status = channel.recv_exit_status()
    stderr = err.decode("utf-8", "replace").strip()
    if status != 0 and not out:
        raise scan_error(stderr or f"remote virsh exited with status {status}")
    return out.decode("utf-8", "replace")
