"""``vminv reconcile``, ``vminv lsve`` and ``vminv ca``: the RHEV-M / oVirt engine commands.

The password comes from ``--password-file``, else ``$VMINV_RHEVM_PASSWORD``,
else a prompt (no echo) on a terminal; never from the command line.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vminv.cli.common import (
    EXIT_CONFLICTS,
    EXIT_OK,
    SCAN_ID,
    StatusLine,
    db_option,
    format_option,
    handle_errors,
    render,
    resolve_db_path,
    seconds,
)
from vminv.cli.common import warn as _warn
from vminv.cli.secrets import ENGINE_PASSWORD_ENV, engine_password
from vminv.errors import UsageError

FINDING_COLUMNS = ("kind", "guest", "uuid", "engine_host", "scanned_host", "match", "detail")




def _engine_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("-m", "--rhevm", "url", required=True, metavar="URL",
                     help="The engine: https://HOST[:PORT] (the API path is found by itself)."),
        click.option("--user", default="admin@internal", show_default=True, help="Engine user as user@profile."),
        click.option("--password-file", metavar="FILE", help=f"File holding the password (else ${ENGINE_PASSWORD_ENV}, else a prompt)."),
        click.option("--ca-file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="CA certificate to verify the engine with (see `vminv ca`); default: the system store."),
        click.option("--insecure", is_flag=True, help="Do not verify the engine's TLS certificate (warns)."),
        click.option("--api-version", type=click.Choice(["3", "4"]), help="Force API v3 or v4 (default: detect)."),
        click.option("--timeout", "timeout_s", type=float, callback=seconds(), default=30.0, show_default=True,
                     help="Seconds per request."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(url: str, user: str, password_file: str | None, ca_file: str | None, insecure: bool,
              api_version: str | None, timeout_s: float, need_password: bool = True) -> Any:
    from vminv.rhev.settings import EngineSettings

    if ca_file and insecure:
        raise UsageError("--ca-file and --insecure contradict each other", "give one of them")
    if ca_file and not Path(ca_file).expanduser().is_file():
        raise UsageError(f"CA file {ca_file} does not exist", "fetch it with `vminv ca --rhevm URL --ca-file FILE`")
    if insecure:
        _warn("warning: --insecure: the engine's certificate is not verified; anyone on the path can read the password")
    # Validated before the password is asked for: no prompt for a URL that cannot work.
    settings = EngineSettings(
        url=url, user=user,
        ca_file=Path(ca_file).expanduser() if ca_file else None, insecure=insecure,
        api_version=int(api_version) if api_version else None, timeout_s=timeout_s,
    )
    if not need_password:
        return settings
    return dataclasses.replace(settings, password=engine_password(password_file, user))


@click.command("reconcile")
@_engine_options
@click.option("--scan", "scan_id", type=SCAN_ID, metavar="ID", help="Reconcile this stored scan (default: the latest).")
@click.option("-w", "write_all", is_flag=True, help="Also fill vm.mgr/cluster/datacenter and hypervisor.* (new and same nodes).")
@click.option("-u", "update_only", is_flag=True, help="Like -w, but only nodes already in the inventory.")
@format_option
@db_option
@handle_errors
def reconcile_cmd(url: str, user: str, password_file: str | None, ca_file: str | None, insecure: bool,
                  api_version: str | None, timeout_s: float, scan_id: int | None, write_all: bool,
                  update_only: bool, output_format: str, db_path: str | None) -> None:
    """Compare a stored scan with what the engine says, and keep the findings.

    Finding kinds: ok, wrong_host, state_mismatch, missing, unmanaged,
    duplicate_active, stale_definition, drift, not_covered.

    \b
    Example:
        vminv reconcile --rhevm https://rhevm.example.com --ca-file ~/.config/vminv/rhevm-ca.pem \\
            --password-file ~/.config/vminv/rhevm.pw
    """
    from vminv.rhev.workflow import reconcile_stored_scan

    if write_all and update_only:
        raise UsageError("-w and -u cannot be used together", "-w writes new and same nodes, -u only same ones")
    mode = "w" if write_all else "u" if update_only else None
    settings = _settings(url, user, password_file, ca_file, insecure, api_version, timeout_s)
    status = StatusLine()
    try:
        report = reconcile_stored_scan(resolve_db_path(db_path), settings, scan_id=scan_id, write_mode=mode,
                                       progress=status.show if status.enabled else None)
    finally:
        status.clear()
    rows = [[getattr(f, column) for column in FINDING_COLUMNS] for f in report.findings]
    render(output_format, FINDING_COLUMNS, rows, report.to_dict, header_when_empty=True)
    if output_format == "table":
        engine = report.engine
        counts = ", ".join(f"{n} {kind}" for kind, n in report.summary.items() if n)
        _warn(f"scan {report.scan_id} against {engine.url} ({engine.api.product_name or 'engine'} "
              f"{engine.api.product_version or ''}, API v{engine.api.version}): {len(engine.vms)} VMs, "
              f"{engine.requests_made} requests, {report.read_seconds:.2f} s; {counts or 'no findings'}")
    if report.attributes is not None and output_format != "json":
        from vminv.inventory import format_write_report

        for line in format_write_report(report.attributes):
            _warn(line)
    if report.attributes is not None and report.attributes.conflicts:
        sys.exit(EXIT_CONFLICTS)
    sys.exit(EXIT_OK)


@click.command("lsve")
@click.option("-t", "kind", required=True, type=click.Choice(["dc", "cl", "sd", "nw", "tpl", "vm", "host"]),
              help="Object type: data center, cluster, storage domain, network, template (as xCAT's lsve);"
                   " vm, host (the engine's facts: guest FQDN, OS, IPs, HA, pinning; host OS, VDSM, libvirt).")
@click.option("-o", "name", metavar="NAME", help="Only the object of this name.")
@_engine_options
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format (table is xCAT's lsve layout).")
@handle_errors
def lsve_cmd(kind: str, name: str | None, url: str, user: str, password_file: str | None, ca_file: str | None,
             insecure: bool, api_version: str | None, timeout_s: float, output_format: str) -> None:
    """List the engine's objects the way xCAT's lsve shows them.

    \b
    Example:
        vminv lsve -t dc -m https://rhevm.example.com -o Default --ca-file rhevm-ca.pem
    """
    from vminv.rhev.lsve import format_lsve, list_engine_objects

    settings = _settings(url, user, password_file, ca_file, insecure, api_version, timeout_s)
    objects = list_engine_objects(settings, kind, name)
    render(output_format, (), [], lambda: {"objects": [o.to_dict() for o in objects]},
           text=lambda: format_lsve(objects))


@click.command("ca")
@click.option("-m", "--rhevm", "url", required=True, metavar="URL", help="The engine: https://HOST[:PORT].")
@click.option("--ca-file", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to save the CA certificate once accepted.")
@click.option("--yes", "assume_yes", is_flag=True, help="Accept the fingerprint without asking (scripts).")
@click.option("--timeout", "timeout_s", type=float, callback=seconds(), default=30.0, show_default=True, help="Seconds per request.")
@handle_errors
def ca_cmd(url: str, ca_file: str, assume_yes: bool, timeout_s: float) -> None:
    """Fetch the engine's CA certificate, show its fingerprint, save it once accepted.

    Compare the fingerprint with the engine's own
    (`openssl x509 -in /etc/pki/ovirt-engine/ca.pem -noout -fingerprint -sha256`).

    \b
    Example:
        vminv ca --rhevm https://rhevm.example.com --ca-file ~/.config/vminv/rhevm-ca.pem
    """
    from vminv.rhev.ca import ca_destination, fetch_ca, save_ca
    from vminv.rhev.settings import EngineSettings

    if url.lower().startswith("http://"):
        # EngineSettings' own hint (add --insecure) does not apply: this command has no such option.
        raise UsageError(f"engine URL {url!r} is plain HTTP", "give the engine as https://HOST[:PORT]")
    settings = EngineSettings(url=url, timeout_s=timeout_s)
    destination = ca_destination(Path(ca_file))  # a path that cannot be written: said before fetching
    ca = fetch_ca(settings)
    _warn(f"CA certificate from {ca.source_url}")
    _warn(f"SHA-256 fingerprint: {ca.sha256}")
    if not assume_yes:
        if not sys.stdin.isatty():
            raise UsageError("not accepted: stdin is not a terminal", "check the fingerprint and rerun with --yes")
        if not click.confirm("Trust this certificate for the engine?", default=False, err=True):
            raise UsageError("not accepted; nothing saved")
    save_ca(ca, destination)
    _warn(f"saved to {destination}")


def register(group: click.Group) -> None:
    group.add_command(reconcile_cmd)
    group.add_command(lsve_cmd)
    group.add_command(ca_cmd)
