"""Scan a host through paramiko when libvirt's ssh transport cannot log in (passwords).

libvirt's ssh transport runs the ssh binary in batch mode: no password can be
given. Here paramiko logs in (password or key), then ONE remote command runs a
single ``virsh --readonly`` session that prints host facts, every domain's
state and every domain's XML, separated by marker lines carrying a random
nonce (so no domain description can forge one). The output goes through the
same parser as a libvirt scan.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shlex
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko

from vminv.errors import AuthError, DomainXMLError, HostKeyError, ScanTimeoutError, UnreachableError, UsageError
from vminv.privatedirs import make_private_dirs
from vminv.scanner.disksizes import DISK_SIZES_PROBLEM, DiskSizes, sizes_from_domstats, with_disk_sizes
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.hostfacts import host_facts, parse_count
from vminv.scanner.live import HostScan, facts_problems, scan_error
from vminv.scanner.model import DomainProblem, GuestRecord
from vminv.scanner.units import COUNT_MAX, MEMORY_KIB_MAX
from vminv.scanner.uri import UriParts, split_uri

if TYPE_CHECKING:
    from vminv.scanner.scan import ScanSettings

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
    """The shell script run on the host: one virsh session for everything.

    ``domstats --block`` (disk capacities) only where virsh has it (1.2.8 and
    later): virsh parses the whole session first, and one unknown command
    would fail all of it. ``--nowait`` where known (4.5), so that a domain busy
    with a job (a migration) does not hold the scan. Only UUIDs from ``list``
    and fixed words reach the command line.
    """
    uri = shlex.quote(local_uri)
    return (
        f"U={uri}; M={shlex.quote(marker)}\n"
        'L=$(virsh -r -q -c "$U" list --all --uuid) || exit 3\n'
        'H=$(virsh help domstats 2>/dev/null); B="domstats --block"\n'
        'case "$H" in *--nowait*) B="$B --nowait";; esac\n'
        'C="echo $M facts; hostname; version; echo $M nodeinfo; nodeinfo; echo $M caps; capabilities"\n'
        'if [ -z "$H" ]; then C="$C; echo $M noblockstats"; B=; fi\n'
        'for u in $L; do C="$C; echo $M state $u; domstate $u; echo $M xml $u; dumpxml $u"\n'
        '  if [ -n "$B" ]; then C="$C; echo $M block $u; $B $u"; fi; done\n'
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


def _int_field(text: str, label: str, problems: list[str], maximum: int = COUNT_MAX) -> int | None:
    value = _field(text, label)
    return parse_count(value.split()[0], f"nodeinfo {label!r}", problems, maximum) if value else None


def parse_session(host: str, output: str, marker: str, keep_xml: bool = False) -> HostScan:
    """Turn the remote session's output into records (pure)."""
    facts_text = nodeinfo = caps = ""
    states: dict[str, str] = {}
    sizes: dict[str, DiskSizes] = {}
    size_problems: list[str] = []
    refused: list[str] = []  # domains whose domstats printed nothing (an error on stderr)
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
        elif kind == "block":
            if body.lstrip().startswith("Domain:"):
                sizes[arg.lower()] = sizes_from_domstats(body, f"domain {arg}", size_problems)
            else:
                refused.append(arg.lower())
        elif kind == "noblockstats":
            size_problems.append("virsh on the host has no domstats (libvirt older than 1.2.8); disk sizes unknown")
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
    guests = [with_disk_sizes(g, sizes.get(g.uuid)) for g in guests]
    if any(g.uuid in refused for g in guests):
        size_problems.append(f"virsh domstats --block failed for {sum(g.uuid in refused for g in guests)} domain(s);"
                             " their disk sizes are unknown")
    problems.extend(DomainProblem(DISK_SIZES_PROBLEM, message) for message in size_problems)
    lines = [line for line in facts_text.splitlines() if line.strip()]
    hostname = lines[0].strip() if lines and ":" not in lines[0] else None
    hypervisor = (_field(facts_text, "Running hypervisor") or "").split()
    library = (_field(facts_text, "Using library") or "").split()
    found: list[str] = []
    memory = _int_field(nodeinfo, "Memory size", found, MEMORY_KIB_MAX)  # virsh prints KiB
    facts, fact_problems = host_facts(
        caps or None,
        hostname=hostname,
        hypervisor_type=hypervisor[0] if hypervisor else None,
        hypervisor_version=hypervisor[1] if len(hypervisor) > 1 else None,
        libvirt_version=library[-1] if library else None,
        cpu_model=_field(nodeinfo, "CPU model"),
        cpus=_int_field(nodeinfo, "CPU(s)", found),
        memory_kib=memory,
        sockets=_int_field(nodeinfo, "CPU socket(s)", found),
        cores=_int_field(nodeinfo, "Core(s) per socket", found),
        threads=_int_field(nodeinfo, "Thread(s) per core", found),
        problems=tuple(found),
    )
    problems.extend(facts_problems(fact_problems))
    return HostScan(tuple(guests), facts, tuple(problems), tuple(kept))


# Accepted keys are appended to a known_hosts file that other hosts' threads
# append to at the same time; one lock keeps their lines whole.
_KNOWN_HOSTS_LOCK = threading.Lock()
_SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")


def _uri_flag(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "no", "false")


def _known_hosts_files(uri_known_hosts: str | None, settings: ScanSettings) -> tuple[list[Path], Path]:
    """The files to check host keys against, and the one new keys are remembered in.

    The URI's own ``known_hosts=`` wins for its host, then ``--known-hosts``,
    then ssh's defaults (the system file, then ~/.ssh/known_hosts).
    """
    chosen = uri_known_hosts or settings.known_hosts
    if chosen:
        path = Path(chosen).expanduser()
        return [path], path
    user_file = Path("~/.ssh/known_hosts").expanduser()
    return [_SYSTEM_KNOWN_HOSTS, user_file], user_file


def load_known_hosts(keys: paramiko.HostKeys, path: Path) -> set[str]:
    """Add ``path``'s host keys to ``keys``; return the revoked keys (base64).

    Tolerant like OpenSSH: a line paramiko cannot read (``@cert-authority``,
    a key type it lacks, bad base64) is skipped, never fatal. paramiko's own
    ``load`` raises on some of them and fails the host.
    """
    revoked: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return revoked
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            fields = line.split()
            if fields[0] == "@revoked" and len(fields) >= 4:
                revoked.add(fields[3])
            continue
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
        except Exception:
            continue
        if entry is not None and entry.key is not None:
            for name in entry.hostnames:
                keys.add(name, entry.key.get_name(), entry.key)
    return revoked


def remember_host_key(path: Path, hostname: str, key: paramiko.PKey) -> None:
    """Append one hashed line for ``hostname`` (as ssh's accept-new does); never rewrite the file."""
    line = f"{paramiko.HostKeys.hash_host(hostname)} {key.get_name()} {key.get_base64()}\n"
    with _KNOWN_HOSTS_LOCK:
        try:
            make_private_dirs(path.parent)
            with open(path, "ab+") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        line = "\n" + line
                handle.write(line.encode("utf-8"))
        except OSError as exc:
            raise HostKeyError(
                f"cannot remember the host key of {hostname} in {path}: {exc.strerror or exc}",
                "make the known_hosts file writable or name another with --known-hosts",
            ) from None


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Unknown keys: refused, or accepted and remembered; revoked keys: always refused."""

    def __init__(self, accept_new: bool, remember_in: Path, revoked: set[str]) -> None:
        self.accept_new = accept_new
        self.remember_in = remember_in
        self.revoked = revoked

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if key.get_base64() in self.revoked:
            raise HostKeyError(f"host key of {hostname} is revoked in {self.remember_in}", _HOST_KEY_HINT)
        if not self.accept_new:
            raise HostKeyError(
                f"unknown host key for {hostname} ({key.get_name()} {key.fingerprint})",
                "add it to known_hosts or pass --accept-new-host-keys",
            )
        remember_host_key(self.remember_in, hostname, key)


_HOST_KEY_HINT = "verify the host's key, then update known_hosts"


def _client(parts: UriParts, settings: ScanSettings) -> tuple[paramiko.SSHClient, set[str]]:
    client = paramiko.SSHClient()
    files, remember_in = _known_hosts_files(parts.param("known_hosts"), settings)
    revoked: set[str] = set()
    for path in files:
        revoked |= load_known_hosts(client.get_host_keys(), path)
    # Unknown host keys are refused unless the user asked otherwise (--accept-new-host-keys,
    # or no_verify=1 in the URI, as libvirt's own ssh transport reads it); a changed key is
    # always refused (paramiko raises BadHostKeyException for it).
    accept_new = settings.accept_new_host_keys or _uri_flag(parts.param("no_verify"))
    client.set_missing_host_key_policy(_HostKeyPolicy(accept_new, remember_in, revoked))
    return client, revoked


def scan_over_paramiko(host: str, uri: str, password: str | None, settings: ScanSettings) -> HostScan:
    parts = split_uri(uri)
    if not parts.host:
        raise UsageError(f"URI {uri!r} names no host", "the ssh transport needs e.g. qemu+ssh://root@HOST/system")
    deadline = time.monotonic() + settings.timeout_s
    marker = "@@vminv-" + secrets.token_hex(8)
    client, revoked = _client(parts, settings)
    user = parts.user or getpass.getuser()  # as ssh (and so libvirt) does without user@
    connect_timeout = min(settings.connect_timeout_s, settings.timeout_s)
    try:
        client.connect(
            parts.host,
            port=parts.port or 22,
            username=user,
            password=password,
            key_filename=parts.param("keyfile"),
            timeout=connect_timeout,
            banner_timeout=connect_timeout,
            auth_timeout=connect_timeout,
            allow_agent=password is None,
            look_for_keys=password is None and parts.param("keyfile") is None,
        )
        transport = client.get_transport()
        if transport is not None and transport.get_remote_server_key().get_base64() in revoked:
            raise HostKeyError(f"host key of {parts.host} is revoked in known_hosts", _HOST_KEY_HINT)
        output = _run(client, remote_script(parts.local_uri, marker), deadline, settings)
        return parse_session(host, output, marker, settings.keep_xml)
    except paramiko.BadHostKeyException as exc:
        raise HostKeyError(
            f"host key for {exc.hostname} has changed (got {exc.key.get_name()} {exc.key.fingerprint})",
            _HOST_KEY_HINT,
        ) from None
    except paramiko.AuthenticationException as exc:
        raise AuthError(
            f"ssh login as {user} refused: {exc}", "check the user and the password (or key)"
        ) from None
    except TimeoutError:
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


def _run(client: paramiko.SSHClient, script: str, deadline: float, settings: ScanSettings) -> str:
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
            raise TimeoutError()
        channel.settimeout(min(remaining, 1.0))
        try:
            chunk = channel.recv(65536)
        except TimeoutError:
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
