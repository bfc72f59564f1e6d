"""The configuration file: defaults plus named profiles, checked key by key (pure).

The file is TOML, read with :mod:`tomllib` (standard library since 3.11:
no dependency, and a strict reader). Layout::

    [defaults]            # applies to every profile
    db = "/var/lib/vminv/inventory.db"
    [profiles.prod]       # `vminv run prod`
    noderange = "kvmhost[01-20]"
    [profiles.prod.engine]
    url = "https://rhevm.example.com"

A profile's value wins over ``[defaults]``; tables (``engine``, ``reports``,
``retention``, ``health``) merge key by key. An unknown key or a value of
the wrong type is an error that names the file, the line and the key. This
module reads no file and no environment: the CLI passes the text in.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vminv.errors import UsageError
from vminv.inventory.location import is_postgres_url, parse_location
from vminv.report.health import THRESHOLD_BOUNDS
from vminv.runner.tomllines import key_line
from vminv.scanner.uri import uri_password_masked

PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
WRITE_MODES = {"none": None, "w": "w", "-w": "w", "u": "u", "-u": "u", "n": "n", "-n": "n"}
ENGINE_WRITE_MODES = {"none": None, "w": "w", "-w": "w", "u": "u", "-u": "u"}
# The report library's scale (vminv.report.health), most severe first; kept here
# so that reading a configuration needs no report code.
SEVERITIES = ("critical", "high", "medium", "low", "info")
ADDRESS_SOURCES = ("lease", "agent", "arp")
SECRET_KEYS = frozenset({"password"})
URI_KEYS = frozenset({"uri", "engine.url"})  # shown with the password of user:password@ masked


class ConfigError(UsageError):
    """The configuration file cannot be used: names the file, the line and the key."""


Check = Callable[[Any], str | None]  # returns what is wrong, or None


def _is_str(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _nonempty_str(value: Any) -> str | None:
    return _is_str(value) or (None if value.strip() else "must not be empty")


def _db_value(value: Any) -> str | None:
    """A file path, or a ``postgresql://`` URI that holds no password (refused like ``--db``; the URI is never echoed)."""
    problem = _nonempty_str(value)
    if problem or not is_postgres_url(value):
        return problem
    try:
        parse_location(value)
    except UsageError as exc:
        return f"is refused: {exc.message} ({exc.hint})" if exc.hint else f"is refused: {exc.message}"
    return None


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _int_range(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return None if low <= value <= high else f"must be between {low} and {high}"

    return check


def _number_range(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return "must be a number"
        return None if low <= value <= high else f"must be between {low:g} and {high:g}"

    return check


def _one_of(choices: Mapping[str, Any] | tuple[str, ...]) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be a string"
        return None if value in choices else f"must be one of {', '.join(repr(c) for c in choices)}"

    return check


def _list_of(choices: tuple[str, ...] | None = None) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return "must be a list of strings"
        bad = [item for item in value if choices is not None and item not in choices]
        return f"has {bad[0]!r}; use some of {', '.join(repr(c) for c in choices or ())}" if bad else None

    return check


ENGINE_KEYS: dict[str, Check] = {
    "url": _nonempty_str,
    "user": _nonempty_str,
    "password_file": _nonempty_str,
    "password": _is_str,
    "ca_file": _nonempty_str,
    "insecure": _is_bool,
    "api_version": _int_range(3, 4),
    "timeout": _number_range(0.5, 3600),
    "write": _one_of(ENGINE_WRITE_MODES),
}
REPORTS_KEYS: dict[str, Check] = {"formats": _list_of(), "path": _nonempty_str}
RETENTION_KEYS: dict[str, Check] = {
    "days": _number_range(0, 36500),
    "scans": _int_range(1, 10_000_000),
    "vacuum": _one_of(("auto", "never", "always")),
}
# fail_on and the report's health thresholds (vminv.report.health.Thresholds).
HEALTH_KEYS: dict[str, Check] = {
    "fail_on": _one_of((*SEVERITIES, "never")),
    **{
        name: (_int_range(int(lowest), int(highest)) if kind is int else _number_range(lowest, highest))
        for name, (kind, lowest, highest) in THRESHOLD_BOUNDS.items()
    },
}
TABLES: dict[str, dict[str, Check]] = {
    "engine": ENGINE_KEYS,
    "reports": REPORTS_KEYS,
    "retention": RETENTION_KEYS,
    "health": HEALTH_KEYS,
}
PROFILE_KEYS: dict[str, Check] = {
    "noderange": _nonempty_str,
    "uri": _nonempty_str,
    "transport": _one_of(("libvirt", "ssh")),
    "concurrency": _int_range(1, 512),
    "timeout": _number_range(0.5, 86400),
    "xml_threads": _int_range(1, 256),
    "known_hosts": _nonempty_str,
    "accept_new_host_keys": _is_bool,
    "password_file": _nonempty_str,
    "password": _is_str,
    "write": _one_of(WRITE_MODES),
    "follow_moves": _is_bool,
    "addresses": _list_of(ADDRESS_SOURCES),
    "db": _db_value,
    "wait": _number_range(0, 86400),
    "metrics_file": _nonempty_str,
    "log_json": _nonempty_str,
}


@dataclass(frozen=True)
class ConfigFile:
    """A parsed, checked configuration file."""

    path: str  # as named in messages
    defaults: Mapping[str, Any]
    profiles: Mapping[str, Mapping[str, Any]]


def _where(path: str, text: str, keys: tuple[str, ...]) -> str:
    line = key_line(text, keys)
    return f"{path}:{line}" if line else path


def _check_key(path: str, text: str, keys: tuple[str, ...], value: Any, checks: Mapping[str, Check], known: str) -> None:
    """One key against its table's checks: unknown keys and bad values are one line naming the file and line.

    ``known`` is the hint for an unknown key (which keys there are).
    """
    dotted = ".".join(keys)
    if keys[-1] not in checks:
        raise ConfigError(f"{_where(path, text, keys)}: unknown key {dotted}", known)
    problem = checks[keys[-1]](value)
    if problem:
        raise ConfigError(f"{_where(path, text, keys)}: {dotted} {problem}")


def _check_table(path: str, text: str, prefix: tuple[str, ...], table: Mapping[str, Any]) -> None:
    for key, value in table.items():
        keys = (*prefix, key)
        if key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{_where(path, text, keys)}: {'.'.join(keys)} must be a table")
            for sub, sub_value in value.items():
                _check_key(path, text, (*keys, sub), sub_value, TABLES[key],
                           f"known keys of [{key}]: {', '.join(sorted(TABLES[key]))}")
        else:
            _check_key(path, text, keys, value, PROFILE_KEYS,
                       f"known keys: {', '.join(sorted([*PROFILE_KEYS, *TABLES]))}")


def parse_config(text: str, path: str) -> ConfigFile:
    """Parse and check a configuration file's ``text``; ``path`` names it in messages.

    :raises ConfigError: not TOML, an unknown key, a wrong type or value
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", "see https://toml.io for the syntax") from None
    for key in document:
        if key not in ("defaults", "profiles"):
            raise ConfigError(
                f"{_where(path, text, (key,))}: unknown key {key}",
                "the file holds [defaults] and [profiles.NAME] tables",
            )
    defaults = document.get("defaults", {})
    profiles = document.get("profiles", {})
    for key, value in (("defaults", defaults), ("profiles", profiles)):
        if not isinstance(value, dict):
            raise ConfigError(f"{_where(path, text, (key,))}: {key} must be a table")
    _check_table(path, text, ("defaults",), defaults)
    for name, profile in profiles.items():
        if not PROFILE_NAME.fullmatch(name):
            raise ConfigError(
                f"{_where(path, text, ('profiles', name))}: profile name {name!r} is not usable",
                "use letters, digits, '-' and '_' (it names systemd units and files)",
            )
        if not isinstance(profile, dict):
            raise ConfigError(f"{_where(path, text, ('profiles', name))}: profiles.{name} must be a table")
        _check_table(path, text, ("profiles", name), profile)
    return ConfigFile(path=path, defaults=defaults, profiles=profiles)


# --- the effective settings of one profile ------------------------------------


@dataclass(frozen=True)
class EngineProfile:
    url: str
    user: str = "admin@internal"
    password_file: Path | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    insecure: bool = False
    api_version: int | None = None
    timeout_s: float = 30.0
    write: str | None = None  # None, "w" or "u": engine attributes into the node tables


@dataclass(frozen=True)
class ReportsProfile:
    formats: tuple[str, ...]
    path: str  # template with {date} and {scan}


@dataclass(frozen=True)
class RetentionProfile:
    days: float | None = None  # keep scans this many days
    scans: int | None = None  # keep the last N scans
    vacuum: str = "auto"  # auto | never | always


@dataclass(frozen=True)
class HealthProfile:
    fail_on: str = "never"  # a severity, or never
    thresholds: Mapping[str, float] = field(default_factory=dict)  # only those the file sets


@dataclass(frozen=True)
class Profile:
    """Everything ``vminv run NAME`` does, resolved: defaults < profile < command line."""

    name: str
    noderange: str
    uri: str | None = None  # template with {host}; None: the scanner's default
    transport: str = "libvirt"
    concurrency: int = 16
    timeout_s: float = 60.0
    xml_threads: int = 32
    known_hosts: Path | None = None
    accept_new_host_keys: bool = False
    password_file: Path | None = None  # ssh password (transport ssh)
    password: str | None = field(default=None, repr=False)
    write: str | None = None  # None, "w", "u" or "n"
    follow_moves: bool = False
    addresses: tuple[str, ...] = ()
    db: Path | str | None = None  # a file, or a postgresql:// URI kept as text (no password)
    wait_s: float = 0.0
    metrics_file: Path | None = None
    log_json: Path | None = None
    engine: EngineProfile | None = None
    reports: ReportsProfile | None = None
    retention: RetentionProfile | None = None
    health: HealthProfile = field(default_factory=HealthProfile)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)  # key -> defaults|profile|command line


def _merge(defaults: Mapping[str, Any], profile: Mapping[str, Any], overrides: Mapping[str, Any]) -> tuple[
        dict[str, Any], dict[str, str]]:
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for origin, layer in (("defaults", defaults), ("profile", profile), ("command line", overrides)):
        for key, value in layer.items():
            if key in TABLES and isinstance(value, dict):
                table = merged.setdefault(key, {})
                for sub, sub_value in value.items():
                    table[sub] = sub_value
                    sources[f"{key}.{sub}"] = origin
            else:
                merged[key] = value
                sources[key] = origin
    return merged, sources


def _path(value: Any) -> Path | None:
    return Path(value).expanduser() if isinstance(value, str) else None


def _engine(table: Mapping[str, Any] | None, where: str | None) -> EngineProfile | None:
    """The engine, when a URL is given; ``[defaults.engine]`` alone may hold the shared keys."""
    if not table or "url" not in table:
        if where:
            raise ConfigError(f"{where}: engine.url is missing", "give the engine's URL, or remove the [engine] table")
        return None
    return EngineProfile(
        url=table["url"],
        user=table.get("user", "admin@internal"),
        password_file=_path(table.get("password_file")),
        password=table.get("password"),
        ca_file=_path(table.get("ca_file")),
        insecure=table.get("insecure", False),
        api_version=table.get("api_version"),
        timeout_s=float(table.get("timeout", 30.0)),
        write=ENGINE_WRITE_MODES[table.get("write", "none")],
    )


def resolve_profile(config: ConfigFile, name: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    """The effective settings of profile ``name``: ``[defaults]``, the profile, then ``overrides``.

    :param overrides: command-line values under the file's key names (e.g.
        ``{"timeout": 30, "write": "u"}``); checked like the file's
    :raises ConfigError: no such profile, an override of the wrong type, a
        required key missing
    """
    if name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise ConfigError(f"{config.path}: no profile {name!r}", f"profiles in the file: {known}")
    given = dict(overrides or {})
    _check_table("command line", "", (), given)
    values, sources = _merge(config.defaults, config.profiles[name], given)
    if not values.get("noderange"):
        raise ConfigError(f"{config.path}: profile {name!r} has no noderange", f"add noderange = \"...\" to [profiles.{name}]")
    reports = values.get("reports")
    if reports is not None and ("path" not in reports or "formats" not in reports):
        raise ConfigError(f"{config.path}: profile {name!r}: reports needs both formats and path")
    retention = values.get("retention")
    health = values.get("health", {})
    return Profile(
        name=name,
        noderange=values["noderange"],
        uri=values.get("uri"),
        transport=values.get("transport", "libvirt"),
        concurrency=values.get("concurrency", 16),
        timeout_s=float(values.get("timeout", 60.0)),
        xml_threads=values.get("xml_threads", 32),
        known_hosts=_path(values.get("known_hosts")),
        accept_new_host_keys=values.get("accept_new_host_keys", False),
        password_file=_path(values.get("password_file")),
        password=values.get("password"),
        write=WRITE_MODES[values.get("write", "none")],
        follow_moves=values.get("follow_moves", False),
        addresses=tuple(values.get("addresses", ())),
        db=values["db"] if is_postgres_url(values.get("db") or "") else _path(values.get("db")),
        wait_s=float(values.get("wait", 0.0)),
        metrics_file=_path(values.get("metrics_file")),
        log_json=_path(values.get("log_json")),
        engine=_engine(values.get("engine"), f"{config.path}: profile {name!r}" if "engine" in config.profiles[name] else None),
        reports=ReportsProfile(tuple(reports["formats"]), reports["path"]) if reports else None,
        retention=RetentionProfile(retention.get("days"), retention.get("scans"), retention.get("vacuum", "auto"))
        if retention else None,
        health=HealthProfile(health.get("fail_on", "never"), {k: v for k, v in health.items() if k != "fail_on"}),
        sources=sources,
    )


def show_profile(profile: Profile) -> list[tuple[str, str, str]]:
    """(key, value, where it came from) for every setting; secrets masked."""
    rows: list[tuple[str, str, str]] = []

    def add(key: str, value: Any) -> None:
        source = profile.sources.get(key, "built-in")
        if key.rsplit(".", 1)[-1] in SECRET_KEYS and value:
            value = "********"
        elif key in URI_KEYS and isinstance(value, str):
            value = uri_password_masked(value)  # user:password@ in a URI is a secret too
        rows.append((key, "" if value is None else str(value), source))

    flat: dict[str, Any] = {
        "noderange": profile.noderange, "uri": profile.uri, "transport": profile.transport,
        "concurrency": profile.concurrency, "timeout": profile.timeout_s, "xml_threads": profile.xml_threads,
        "known_hosts": profile.known_hosts, "accept_new_host_keys": profile.accept_new_host_keys,
        "password_file": profile.password_file, "password": profile.password,
        "write": profile.write or "none", "follow_moves": profile.follow_moves,
        "addresses": ",".join(profile.addresses), "db": profile.db, "wait": profile.wait_s,
        "metrics_file": profile.metrics_file, "log_json": profile.log_json,
    }
    for key, value in flat.items():
        add(key, value)
    if profile.engine is not None:
        e = profile.engine
        for key, value in (("url", e.url), ("user", e.user), ("password_file", e.password_file),
                           ("password", e.password), ("ca_file", e.ca_file), ("insecure", e.insecure),
                           ("api_version", e.api_version), ("timeout", e.timeout_s), ("write", e.write or "none")):
            add(f"engine.{key}", value)
    if profile.reports is not None:
        add("reports.formats", ",".join(profile.reports.formats))
        add("reports.path", profile.reports.path)
    if profile.retention is not None:
        add("retention.days", profile.retention.days)
        add("retention.scans", profile.retention.scans)
        add("retention.vacuum", profile.retention.vacuum)
    add("health.fail_on", profile.health.fail_on)
    for key, value in sorted(profile.health.thresholds.items()):
        add(f"health.{key}", value)
    return rows


def config_candidates(option: str | None, env_value: str | None, home: Path) -> list[tuple[Path, bool]]:
    """Where the configuration is looked for, in order: (path, must exist).

    ``--config`` and ``$VMINV_CONFIG`` must name a file that exists; the two
    default places are used when present.
    """
    if option:
        return [(Path(option).expanduser(), True)]
    if env_value:
        return [(Path(env_value).expanduser(), True)]
    return [(home / ".config" / "vminv" / "config.toml", False), (Path("/etc/vminv/config.toml"), False)]
