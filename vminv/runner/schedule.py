"""A systemd service + timer pair, or a crontab line, that runs ``vminv run PROFILE`` (pure).

The service is a hardened one-shot: the file system is read-only to it
except the directories the profile writes (``ProtectSystem=strict`` plus
``ReadWritePaths``), it gets a private /tmp, no new privileges, no
capabilities, and only the address families ssh and libvirt need. The timer
fires on calendar boundaries with a random delay (so that many profiles or
machines do not start at once) and ``Persistent=true`` (a run missed while
the machine was off happens at boot). Overlapping runs cannot happen: the
run takes the inventory's writer lock and waits for it a bounded time.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from vminv.errors import UsageError
from vminv.inventory.location import Location
from vminv.runner.config import Profile

UNIT_DIR = Path("/etc/systemd/system")
_EVERY = re.compile(r"^\s*(\d+)\s*(s|sec|m|min|h|hour|d|day)s?\s*$")


@dataclass(frozen=True)
class Every:
    seconds: int
    on_calendar: str  # systemd.time(7)
    cron: str  # the five time fields of a crontab line

    @property
    def random_delay_s(self) -> int:
        # A tenth of the period, at most 15 minutes: spread, but still "hourly".
        return min(self.seconds // 10, 900)


def parse_every(text: str) -> Every:
    """``15m``, ``1h``, ``6h``, ``1d``: periods that divide an hour or a day evenly.

    :raises UsageError: any other period (cron and calendar timers cannot express it)
    """
    match = _EVERY.match(text)
    hint = "use minutes dividing 60 (5m, 15m, 30m), hours dividing 24 (1h, 2h, 6h) or 1d"
    if not match:
        raise UsageError(f"--every {text!r} is not a period", hint)
    count, unit = int(match.group(1)), match.group(2)[0]
    if unit == "m" and count in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30):
        return Every(count * 60, f"*-*-* *:00/{count}:00", f"*/{count} * * * *" if count > 1 else "* * * * *")
    if (unit == "m" and count == 60) or (unit == "h" and count == 1):
        return Every(3600, "*-*-* *:00:00", "0 * * * *")
    if unit == "h" and count in (2, 3, 4, 6, 8, 12):
        return Every(count * 3600, f"*-*-* 00/{count}:00:00", f"0 */{count} * * *")
    if (unit == "h" and count == 24) or (unit == "d" and count == 1):
        return Every(86400, "*-*-* 00:00:00", "0 0 * * *")
    raise UsageError(f"--every {text!r} does not divide an hour or a day evenly", hint)


def unit_name(profile: str) -> str:
    return f"vminv-{profile}"


def _systemd_word(word: str) -> str:
    """One argument of ExecStart: quoted, with systemd's specifiers (%) and variables ($) escaped."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"' if re.search(r'[\s"\'\\;]', word) or not word else escaped


def _path_setting(path: Path) -> str:
    text = _one_line("path", str(path)).replace("%", "%%")
    if re.search(r"\s", text):
        raise UsageError(f"path {path} holds white space", "systemd's path settings cannot name it; move it")
    return text


def _template_dir(template: str) -> Path:
    """The directory a path template writes to: the part before the first placeholder."""
    fixed = template.split("{", 1)[0]
    path = Path(fixed).expanduser()
    return path if fixed.endswith("/") else path.parent


def writable_paths(profile: Profile, db_path: Location) -> list[Path]:
    """What the run writes: the inventory's directory (a file inventory), then metrics, log, reports, known_hosts."""
    paths = [db_path.parent] if isinstance(db_path, Path) else []
    for file in (profile.metrics_file, profile.log_json):
        if file is not None:
            paths.append(file.parent)
    if profile.reports is not None:
        paths.append(_template_dir(profile.reports.path))
    if profile.known_hosts is not None and profile.accept_new_host_keys:
        paths.append(profile.known_hosts.parent)
    unique: list[Path] = []
    for path in paths:
        if path.is_absolute() and path not in unique:
            unique.append(path)
    return unique


# A user name systemd and cron take as one (no specifier, no line break), or a numeric uid.
_USER = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?|[0-9]{1,10})$")


def _one_line(what: str, text: str) -> str:
    """``text`` unless a character could end the unit's or crontab's line (or hide): one is refused."""
    if not text.isprintable():
        raise UsageError(f"the {what} {text!r} holds a line break or control character",
                         "a unit or crontab line cannot carry it; rename it")
    return text


def run_command(profile: Profile, vminv: Path, config: Path, wait_s: float) -> list[str]:
    words = [str(vminv), "run", profile.name, "--config", str(config), "-q", "--wait", f"{wait_s:g}"]
    return [_one_line("path", word) for word in words]


def systemd_units(profile: Profile, every: Every, *, vminv: Path, config: Path, db_path: Location,
                  user: str | None = None) -> dict[str, str]:
    """``{file name: text}`` of the service and the timer.

    :param vminv: absolute path of the ``vminv`` program
    :param config: absolute path of the configuration file
    :raises UsageError: a relative path, or one systemd cannot name
    """
    named = [("vminv program", vminv), ("configuration file", config)]
    if isinstance(db_path, Path):
        named.append(("inventory", db_path))
    for what, path in named:
        if not path.is_absolute():
            raise UsageError(f"the {what} path {path} is not absolute", "give absolute paths in the unit")
    if user is not None and not _USER.fullmatch(user):
        raise UsageError(f"user {user!r} is not a user name", "give a name (letters, digits, '_', '.', '-') or a uid")
    name = unit_name(profile.name)
    # A run still waiting for the lock when the next one is due gives way to it.
    wait_s = max(0, every.seconds // 2)
    exec_start = " ".join(_systemd_word(w) for w in run_command(profile, vminv, config, wait_s))
    # The inventory's directory must exist; the others may not yet ("-"). A PostgreSQL
    # inventory needs no path; a scan it would not take goes to the state directory.
    own = 1 if isinstance(db_path, Path) else 0
    rw = [_path_setting(p) for p in writable_paths(profile, db_path)[:own]]
    rw += [f"-{_path_setting(p)}" for p in writable_paths(profile, db_path)[own:]]
    state = "" if own else "StateDirectory=vminv\nEnvironment=XDG_STATE_HOME=%S\n"
    rw_line = f"ReadWritePaths={' '.join(rw)}\n" if rw else ""
    user_line = f"User={user}\n" if user else ""
    service = f"""[Unit]
Description=vminv: scan KVM hosts and update the inventory (profile {profile.name})
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
{user_line}ExecStart={exec_start}
# Exit statuses 3, 4 and 5 mean "ran, with something to look at": the journal has the summary.
SuccessExitStatus=3 4 5
TimeoutStartSec={max(60, every.seconds - 60)}
Nice=10
UMask=0027
NoNewPrivileges=yes
ProtectSystem=strict
{rw_line}{state}ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
SystemCallArchitectures=native
SystemCallFilter=@system-service
CapabilityBoundingSet=
"""
    timer = f"""[Unit]
Description=vminv run {profile.name} every {every.seconds // 60} minutes

[Timer]
OnCalendar={every.on_calendar}
RandomizedDelaySec={every.random_delay_s}
Persistent=true
Unit={name}.service

[Install]
WantedBy=timers.target
"""
    return {f"{name}.service": service, f"{name}.timer": timer}


def cron_line(profile: Profile, every: Every, *, vminv: Path, config: Path) -> str:
    """A line for ``crontab -e``; cron turns an unescaped ``%`` into a newline, so each is escaped."""
    command = " ".join(shlex.quote(w) for w in run_command(profile, vminv, config, max(0, every.seconds // 2)))
    return f"{every.cron} {command.replace('%', chr(92) + '%')}"
