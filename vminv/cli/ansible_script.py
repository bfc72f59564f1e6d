"""``vminv-ansible-inventory``: a dynamic inventory script for Ansible (``--list`` / ``--host NAME``).

Point Ansible at it (``ansible-inventory -i $(command -v vminv-ansible-inventory) --graph``);
it reads the inventory named by ``$VMINV_DB`` (else the default path).
"""

from __future__ import annotations

import click

from vminv.cli.common import db_option, emit, handle_errors, render_json, resolve_db_path, warn
from vminv.errors import UsageError
from vminv.inventory.location import Location


def emit_ansible(db_path: Location, host: str | None) -> None:
    from vminv.runner.ansible import read_inventory

    inventory = read_inventory(db_path)
    if host is not None:
        emit(render_json(inventory.host(host)))
        return
    emit(render_json(inventory.document))
    for name, reason in inventory.left_out:
        warn(f"guest {name!r} left out of the Ansible inventory: {reason}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--list", "list_all", is_flag=True, help="Print every group and host (Ansible calls this).")
@click.option("--host", metavar="NAME", help="Print one host's variables.")
@db_option
@handle_errors
def cli(list_all: bool, host: str | None, db_path: str | None) -> None:
    """Ansible dynamic inventory of the guests in the vminv inventory."""
    if list_all == (host is not None):
        raise UsageError("give exactly one of --list and --host NAME", "Ansible passes --list")
    emit_ansible(resolve_db_path(db_path), host)


def main() -> None:
    cli(prog_name="vminv-ansible-inventory")
