"""``vminv run``, ``vminv config show`` and ``vminv schedule``: unattended runs from a profile.

This layer finds and reads the configuration file and the secrets (files,
environment), then calls one library function; ``vminv.runner`` does the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from click.core import ParameterSource

from vminv.cli.common import (
    EXIT_CONFLICTS,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    emit,
    emit_line,
    handle_errors,
    render_json,
    render_table,
    resolve_db_path,
    seconds,
    warn,
)
from vminv.errors import UsageError
from vminv.inventory.errors import WriterBusyError
from vminv.inventory.location import Location
from vminv.runner.config import ConfigError, Profile, config_candidates, resolve_profile
from vminv.runner.configfile import read_config_file
from vminv.textsafe import json_terminal_safe

CONFIG_ENV = "VMINV_CONFIG"

config_option = click.option(
    "--config", "config_path", metavar="FILE",
    help=f"Configuration file (default: ${CONFIG_ENV}, else ~/.config/vminv/config.toml, else /etc/vminv/config.toml).",
)


def find_config(option: str | None) -> Path:
    """The configuration file to use, by precedence; one that must exist and does not is an error."""
    looked = []
    for path, required in config_candidates(option, os.environ.get(CONFIG_ENV), Path.home()):
        if os.path.lexists(path):
            return path  # whatever it is: read_config_file says what is wrong with it
        if required:
            raise ConfigError(f"configuration file {path} does not exist",
                              "check --config or $VMINV_CONFIG" if option is None else "check --config")
        looked.append(str(path))
    raise ConfigError(f"no configuration file (looked for {' and '.join(looked)})",
                      "write one (see README: Running on a schedule) or pass --config FILE")


def load_profile(config_option_value: str | None, name: str, overrides: Mapping[str, Any] | None = None) -> tuple[
        Path, Profile]:
    path = find_config(config_option_value)
    return path, resolve_profile(read_config_file(path), name, overrides)


def db_path_for(option: str | None, profile: Profile) -> Location:
    """``--db``, else the profile's ``db``, else ``$VMINV_DB``, else the per-user default (as every command)."""
    return resolve_db_path(option or (str(profile.db) if profile.db is not None else None))


def unrecorded_dir() -> Path:
    """Where a scan a PostgreSQL inventory would not take is saved: ``$XDG_STATE_HOME/vminv``."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "vminv"


@click.group("config")
def config_group() -> None:
    """The configuration file: defaults and named profiles for `vminv run`."""


@config_group.command("show")
@click.argument("profile", required=False)
@config_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def config_show(profile: str | None, config_path: str | None, output_format: str) -> None:
    """Print the effective settings of PROFILE (secrets masked) and where each comes from.

    Without PROFILE, list the profiles of the file.

    Example: vminv config show prod
    """
    from vminv.runner.config import show_profile

    if profile is None:
        path = find_config(config_path)
        config = read_config_file(path)
        names = sorted(config.profiles)
        if output_format == "json":
            emit(render_json({"file": str(path), "profiles": names}))
        else:
            emit_line(f"{path}: profiles {', '.join(names) if names else '(none)'}")
        return
    path, resolved = load_profile(config_path, profile)
    rows = show_profile(resolved)
    if output_format == "json":
        emit(render_json({"file": str(path), "profile": profile,
                          "settings": {key: {"value": value, "from": source} for key, value, source in rows}}))
    else:
        emit_line(f"# profile {profile} from {path}")
        emit(render_table(rows, ("key", "value", "from")) + "\n")


def _overrides(ctx: click.Context, names: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    """The options given on the command line, under the file's key names."""
    given = {}
    for param, key in names.items():
        if ctx.get_parameter_source(param) == ParameterSource.COMMANDLINE:
            value = values[param]
            given[key] = str(value) if isinstance(value, Path) else value
    return given


def _secrets(profile: Profile) -> Any:
    from vminv.cli.secrets import engine_password, ssh_password
    from vminv.runner.run import RunSecrets

    ssh = profile.password
    if ssh is None and (profile.transport == "ssh" or profile.password_file):
        ssh = ssh_password(profile.password_file)
    engine = None
    if profile.engine is not None:
        engine = profile.engine.password
        if engine is None:
            password_file = profile.engine.password_file
            engine = engine_password(password_file, profile.engine.user)
    return RunSecrets(ssh_password=ssh, engine_password=engine)


class _JsonLog:
    def __init__(self, handle: IO[str] | None) -> None:
        self.handle = handle

    def __call__(self, record: Mapping[str, Any]) -> None:
        if self.handle is not None:
            # Engine and libvirt texts reach the log: unprintable characters as JSON's own \u escapes.
            self.handle.write(json_terminal_safe(json.dumps(dict(record), ensure_ascii=False, default=str)) + "\n")
            self.handle.flush()


_RUN_OVERRIDES = {
    "noderange": "noderange", "timeout_s": "timeout", "concurrency": "concurrency", "write": "write",
    "follow_moves": "follow_moves", "metrics_file": "metrics_file", "log_json": "log_json", "wait_s": "wait",
}


@click.command("run")
@click.argument("profile")
@config_option
@click.option("--db", "db_option", metavar="PATH", help="Inventory database (default: the profile's db, else $VMINV_DB).")
@click.option("--noderange", metavar="NODERANGE", help="Scan these hosts instead of the profile's.")
@click.option("-j", "--concurrency", type=click.IntRange(1, 512), help="Hosts scanned at once.")
@click.option("--timeout", "timeout_s", type=float, callback=seconds(low=0.5), help="Seconds per host.")
@click.option("--write", type=click.Choice(["none", "w", "u", "n"]), help="Write mode: none, -w, -u or -n.")
@click.option("--follow-moves/--no-follow-moves", default=None, help="Record migrated guests as moved, not conflicts.")
@click.option("--metrics-file", type=click.Path(dir_okay=False, path_type=Path), help="Write Prometheus metrics here.")
@click.option("--log-json", type=click.Path(dir_okay=False, path_type=Path), help="Append one JSON line per step here.")
@click.option("--wait", "wait_s", type=float, callback=seconds(zero_ok=True), metavar="SECONDS",
              help="Wait this long for another writer (default: the profile's wait, else exit 6 at once).")
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stdout.")
@handle_errors
def run_command(profile: str, config_path: str | None, db_option: str | None, quiet: bool, **options: Any) -> None:
    """Run PROFILE once: scan, write, reconcile, reports, retention, metrics.

    Prints one summary line (none with -q). Exit status: 0 all well; 3 some
    hosts failed; 4 conflicts; 5 findings at or above the profile's fail_on;
    6 another writer holds the inventory; 1 a step failed (the summary says
    which; the later steps still ran); 2 usage or configuration error.

    Example: vminv run prod --log-json /var/log/vminv/prod.jsonl
    """
    from vminv.runner.run import run_profile

    ctx = click.get_current_context()
    _, resolved = load_profile(config_path, profile, _overrides(ctx, _RUN_OVERRIDES, options))
    db = db_path_for(db_option, resolved)
    secrets = _secrets(resolved)
    handle = None
    if resolved.log_json is not None:
        try:
            handle = resolved.log_json.open("a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot open the JSON log {resolved.log_json}: {exc.strerror}") from None
    log = _JsonLog(handle)
    try:
        outcome = run_profile(resolved, db, secrets=secrets, log=log, unrecorded_dir=unrecorded_dir())
        log({"step": "run", **outcome.to_dict(), "summary": outcome.summary_line()})
    except WriterBusyError as exc:
        # A monitor reading the log sees the skipped run too, not only the absence of a line.
        log({"time": datetime.now(UTC).isoformat(timespec="seconds"), "profile": resolved.name, "step": "lock",
             "status": "busy", "error": str(exc)})
        raise
    finally:
        if handle is not None:
            handle.close()
    if not quiet:
        emit_line(outcome.summary_line())
    if outcome.failed_steps:
        sys.exit(EXIT_ERROR)
    if outcome.failing_findings:
        sys.exit(EXIT_FINDINGS)
    if outcome.conflicts:
        sys.exit(EXIT_CONFLICTS)
    if outcome.failed_hosts:
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_OK)


def _vminv_program() -> Path:
    """The absolute path of this vminv: beside the running Python (a virtualenv), else on PATH."""
    beside = Path(sys.executable).parent / "vminv"
    if beside.is_file():
        return beside
    found = shutil.which("vminv")
    if found:
        return Path(found).resolve()
    raise UsageError("cannot find the vminv program", "install vminv so that `vminv` is on PATH")


@click.command("schedule")
@click.argument("profile")
@click.option("--every", "every_text", default="1h", show_default=True, metavar="PERIOD",
              help="How often: 15m, 30m, 1h, 6h, 1d (periods that divide an hour or a day).")
@click.option("--cron", "as_cron", is_flag=True, help="Print a crontab line instead of systemd units.")
@click.option("--install", is_flag=True, help="Write the units into --unit-dir instead of printing them.")
@click.option("--unit-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("/etc/systemd/system"),
              show_default=True, help="Where --install writes the units.")
@click.option("--user", metavar="NAME", help="Run the service as this user (default: root).")
@click.option("--db", "db_option", metavar="PATH", help="Inventory database (default: the profile's db, else $VMINV_DB).")
@config_option
@handle_errors
def schedule_command(profile: str, every_text: str, as_cron: bool, install: bool, unit_dir: Path,
                     user: str | None, db_option: str | None, config_path: str | None) -> None:
    """Print a hardened systemd .service and .timer (or a crontab line) that run PROFILE.

    \b
    Example:
        vminv schedule prod --every 1h --install
        systemctl daemon-reload && systemctl enable --now vminv-prod.timer
    """
    from vminv.runner.schedule import cron_line, parse_every, systemd_units

    every = parse_every(every_text)
    config, resolved = load_profile(config_path, profile)
    config = config.resolve()
    db = db_path_for(db_option, resolved)
    db = db.resolve() if isinstance(db, Path) else db
    if as_cron:
        if install:
            raise UsageError("--cron and --install cannot be combined", "add the line with `crontab -e`")
        emit(cron_line(resolved, every, vminv=_vminv_program(), config=config) + "\n")
        return
    units = systemd_units(resolved, every, vminv=_vminv_program(), config=config, db_path=db, user=user)
    if not install:
        emit("\n".join(f"# {name}\n{text}" for name, text in units.items()))
        return
    for name, text in units.items():
        path = unit_dir / name
        try:
            path.write_text(text, encoding="utf-8")
            path.chmod(0o644)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}", "run as root or pass --unit-dir DIR") from None
        warn(f"wrote {path}")
    timer = next(name for name in units if name.endswith(".timer"))
    warn(f"enable it with: systemctl daemon-reload && systemctl enable --now {timer}")


def register(group: click.Group) -> None:
    group.add_command(config_group)
    group.add_command(run_command)
    group.add_command(schedule_command)
