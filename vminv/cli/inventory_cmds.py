"""``vminv ls/scans/history/diff/export/prune/host``: reading and maintaining the stored inventory.

Each command resolves the database path, calls one function of ``inventory``
and renders what it returns.
"""

from __future__ import annotations

import click

from vminv import inventory
from vminv.cli.common import (
    SCAN_ID,
    db_option,
    emit,
    format_option,
    handle_errors,
    render,
    resolve_db_path,
)
from vminv.cli.common import warn as _warn
from vminv.errors import UsageError
from vminv.scanner.uri import URI_PASSWORD_WARNING
from vminv.textsafe import terminal_safe

LS_COLUMNS = ("type", "name", "hypervisor", "id", "cpu", "memory", "nic", "disk", "state", "last_seen")
SCAN_COLUMNS = (
    "id", "started", "mode", "noderange", "hosts", "failed", "guests",
    "new", "updated", "skipped", "conflicts", "moved", "gone", "failed_hosts",
)
COVERAGE_COLUMNS = ("host", "status", "error_class", "duration_s", "guests", "problems", "error")
HISTORY_COLUMNS = ("scan", "at", "host", "event", "field", "old", "new")
DIFF_COLUMNS = ("change", "node", "host", "field", "old", "new")
HOST_COLUMNS = ("host", "status", "last_seen", "last_scan", "error_class", "type", "version", "cpus", "memory", "guests", "uri")
PRUNE_COLUMNS = ("node", "host", "last_seen", "gone_at", "node_tables")


def _mode_flag(mode: str | None) -> str:
    return f"-{mode}" if mode else ""


@click.command("ls")
@click.argument("noderange", required=False)
@click.option("--host", metavar="HOST", help="Only guests on this host.")
@click.option("--state", metavar="STATE", help="Only guests in this state (running, shutoff, paused, gone, ...).")
@format_option
@db_option
@handle_errors
def ls_command(noderange: str | None, host: str | None, state: str | None, output_format: str, db_path: str | None) -> None:
    """List the guests the scans have seen: the rscan columns plus state and last seen.

    A guest that disappeared from a host that answered shows the state "gone".

    Example: vminv ls 'vm,-kvm3' --state running --format csv
    """
    rows = inventory.list_guests(resolve_db_path(db_path), noderange, host, state)
    table = [
        (r.type, r.name, r.hypervisor, r.id, r.cpu, r.memory, r.nic, r.disk, r.state, r.last_seen) for r in rows
    ]
    render(output_format, LS_COLUMNS, table, lambda: [r.to_dict() for r in rows])
    if not rows and output_format == "table":
        # An empty table prints nothing: say why, so a mistyped group or host is not mistaken for "no guests".
        asked = " ".join(
            part for part in (noderange and f"in {noderange!r}", host and f"on host {host!r}",
                              state and f"in state {state!r}") if part
        )
        _warn(f"no guest {asked}; see `vminv ls` for all" if asked else "the inventory holds no guest yet")


@click.command("scans")
@click.argument("scan_id", required=False, type=SCAN_ID)
@format_option
@db_option
@handle_errors
def scans_command(scan_id: int | None, output_format: str, db_path: str | None) -> None:
    """List past scans and their coverage; with SCAN_ID, each host of that scan.

    Example: vminv scans; vminv scans 12
    """
    path = resolve_db_path(db_path)
    if scan_id is not None:
        scan_id, hosts = inventory.scan_coverage(path, scan_id)
        coverage = [
            (h.host, h.status, h.error_class, f"{h.duration_s:.2f}" if h.duration_s is not None else None,
             h.guest_count, h.problems, h.error)
            for h in hosts
        ]
        render(output_format, COVERAGE_COLUMNS, coverage, lambda: {"scan_id": scan_id, "hosts": [h.to_dict() for h in hosts]})
        return
    scans = inventory.list_scans(path)
    table = [
        (s.id, s.started, _mode_flag(s.mode), s.noderange, s.hosts_total, s.hosts_failed, s.guests_total,
         s.written, s.updated, s.skipped, s.conflicts, s.moved, s.gone, ", ".join(s.failed_hosts))
        for s in scans
    ]
    render(output_format, SCAN_COLUMNS, table, lambda: [s.to_dict() for s in scans])


@click.command("history")
@click.argument("node")
@format_option
@db_option
@handle_errors
def history_command(node: str, output_format: str, db_path: str | None) -> None:
    """Show a guest's life: first seen, each change, each move between hosts, last seen.

    Example: vminv history kvm1
    """
    history = inventory.guest_history(resolve_db_path(db_path), node)
    table = [(e.scan_id, e.at, e.host, e.event, e.field, e.old_value, e.new_value) for e in history.events]
    if output_format == "table":
        where = ", ".join(f"{terminal_safe(h.host)} ({h.status})" for h in history.hosts)
        emit(f"{terminal_safe(node)}: first seen {history.first_seen}, last seen {history.last_seen}; on {where}\n")
    render(output_format, HISTORY_COLUMNS, table, history.to_dict)


@click.command("diff")
@click.argument("scan_a", required=False, type=SCAN_ID)
@click.argument("scan_b", required=False, type=SCAN_ID)
@format_option
@db_option
@handle_errors
def diff_command(scan_a: int | None, scan_b: int | None, output_format: str, db_path: str | None) -> None:
    """Show what changed between two scans (default: the last two): added, gone, moved, changed.

    With one scan id, compares that scan with the latest. A guest whose host
    failed or was not scanned in the later scan is "unscanned", not gone; so
    is a guest found on a host that failed or was not scanned in the earlier
    scan (not "added": that scan could not see it).

    Example: vminv diff 3 7
    """
    diff = inventory.diff_scans(resolve_db_path(db_path), scan_a, scan_b)
    table = [(e.change, e.node, e.host, e.field, e.old_value, e.new_value) for e in diff.entries]
    if output_format == "table":
        counts = ", ".join(f"{n} {kind}" for kind, n in diff.counts().items())
        emit(f"scan {diff.scan_a} -> scan {diff.scan_b}: {counts}\n")
    render(output_format, DIFF_COLUMNS, table, diff.to_dict)


@click.command("export")
@click.argument("noderange", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["stanza", "csv", "json", "ansible"]),
    default="stanza",
    show_default=True,
    help="stanza is an xCAT stanza file for 'mkdef -z'; ansible is what `ansible-inventory --list` prints.",
)
@db_option
@handle_errors
def export_command(noderange: str | None, output_format: str, db_path: str | None) -> None:
    """Export the node definitions (the xCAT tables) as a stanza file, CSV or JSON.

    Nodes whose names mkdef would refuse are left out and named on stderr; so are,
    in a stanza, nodes named 'default' or 'default-<word>', which xCAT reads as defaults.

    With --format ansible: every guest present on a host, grouped per
    hypervisor, per state and per inventory group (see also the dynamic
    inventory script vminv-ansible-inventory).

    Example: vminv export vm > nodes.stanza && cat nodes.stanza | mkdef -z
    """
    if output_format == "ansible":
        from vminv.cli.ansible_script import emit_ansible

        if noderange:
            raise UsageError("--format ansible exports every present guest", "drop NODERANGE; use the groups in Ansible")
        emit_ansible(resolve_db_path(db_path), None)
        return
    nodes, invalid = inventory.export_nodes(resolve_db_path(db_path), noderange)
    if output_format == "stanza":
        text, left_out = inventory.nodes_to_stanza((n.node, n.attributes) for n in nodes)
        emit(text)
        for name, reason in left_out:
            _warn(f"node {name!r} left out of the stanza: {reason}")
    else:
        documents = [n.to_dict() for n in nodes]
        headers = tuple(documents[0]) if documents else ("node",)
        rows = [[d[h] for h in headers] for d in documents]
        render(output_format, headers, rows, lambda: documents)
    for name in invalid:
        _warn(f"node {name!r} left out: not a valid xCAT node name")


@click.command("prune")
@click.option("--older-than", "days", type=float, required=True, metavar="DAYS",
              help="Remove guests gone and last seen more than DAYS days ago.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@format_option
@db_option
@handle_errors
def prune_command(days: float, dry_run: bool, output_format: str, db_path: str | None) -> None:
    """Remove guests that have been gone for more than DAYS days, and say which.

    Only guests marked gone (missing from a host that answered) are removed;
    their history stays. A guest whose host stopped answering is never gone.

    Example: vminv prune --older-than 30 --dry-run
    """
    removed = inventory.prune(resolve_db_path(db_path), days, dry_run=dry_run)
    table = [(p.node, p.host, p.last_seen, p.gone_at, "removed" if p.node_tables else "kept") for p in removed]
    render(output_format, PRUNE_COLUMNS, table, lambda: {"dry_run": dry_run, "removed": [p.to_dict() for p in removed]})
    if output_format == "table":
        verb = "would remove" if dry_run else "removed"
        _warn(f"{verb} {len(removed)} guest{'s' if len(removed) != 1 else ''} gone for more than {days:g} days")


@click.group("host")
def host_group() -> None:
    """The scanned hosts: their latest outcome and the libvirt URI to use for each."""


@click.command("move")
@click.argument("node")
@click.argument("host")
@db_option
@handle_errors
def move_command(node: str, host: str, db_path: str | None) -> None:
    """Record that NODE now runs on HOST (after a migration), keeping every admin value.

    rscan never overwrites a node whose vm.host names another host; after this,
    -u and -w update it from HOST again.

    Example: vminv move web01 kvmhost2
    """
    moved = inventory.move_node(resolve_db_path(db_path), node, host)
    _warn(f"{moved.node}: vm.host {moved.old_host or '(empty)'} -> {moved.new_host}")


@host_group.command("set-uri")
@click.argument("host")
@click.argument("uri")
@click.option("--transport", type=click.Choice(["libvirt", "ssh"]), default=None,
              help="ssh: log in with paramiko (password logins); libvirt: libvirt's own driver.")
@db_option
@handle_errors
def host_set_uri_command(host: str, uri: str, transport: str | None, db_path: str | None) -> None:
    """Make rscan use URI (and TRANSPORT) for HOST instead of the run's defaults.

    Example: vminv host set-uri kvmhost3 'qemu+ssh://admin@kvmhost3.example.com:2222/system'
    """
    stored = inventory.set_host_uri(resolve_db_path(db_path), host, uri, transport)
    if stored != uri:
        _warn(f"vminv: warning: {URI_PASSWORD_WARNING}")
    via = f" over the {transport} transport" if transport else ""
    _warn(f"{host}: rscan will connect to {stored}{via}")


@host_group.command("ls")
@format_option
@db_option
@handle_errors
def host_ls_command(output_format: str, db_path: str | None) -> None:
    """List the hosts: latest status, facts, guests present, and any URI set for them.

    Example: vminv host ls --format json
    """
    hosts = inventory.list_hosts(resolve_db_path(db_path))
    table = [
        (h.name, h.status, h.last_seen, h.last_scan_id, h.error_class, h.hypervisor_type, h.hypervisor_version,
         h.cpus, f"{h.memory_kib // 1024}" if h.memory_kib else None, h.guests, h.uri)
        for h in hosts
    ]
    render(output_format, HOST_COLUMNS, table, lambda: [h.to_dict() for h in hosts])


@click.group("db")
def db_group() -> None:
    """The inventory database itself: copy it between SQLite and PostgreSQL."""


@db_group.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@format_option
@handle_errors
def db_copy_command(source: str, destination: str, output_format: str) -> None:
    """Copy the inventory SRC into the empty DST (SQLite file or postgresql://...), then check it.

    Both sides are compared afterwards, table by table: row counts and the rows
    themselves. Passwords come from ~/.pgpass, $PGPASSFILE or $PGPASSWORD.

    Example: vminv db copy ~/.local/share/vminv/inventory.db postgresql://vminv@db.example.com/inventory
    """
    report = inventory.copy_inventory(resolve_db_path(source), resolve_db_path(destination))
    table = [(t.table, t.rows) for t in report.tables]
    render(output_format, ("table", "rows"), table,
           lambda: {"source": report.source, "destination": report.destination,
                    "tables": {t.table: t.rows for t in report.tables}})
    _warn(f"copied {report.rows} rows in {len(report.tables)} tables from {report.source} to {report.destination};"
          " row counts and contents match")


def register(group: click.Group) -> None:
    """Add the inventory commands to ``vminv``."""
    for command in (ls_command, scans_command, history_command, diff_command, export_command, prune_command, move_command, host_group, db_group):
        group.add_command(command)
