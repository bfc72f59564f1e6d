"""``vminv``: everything on the stored inventory (ls, scans, history, diff, export, prune, reconcile, lsve)."""

from __future__ import annotations

import click

from vminv import __version__
from vminv.cli.common import MappedErrorsGroup, traceback_option
from vminv.cli.signals import install as install_signal_handlers


@click.group(cls=MappedErrorsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@traceback_option
@click.version_option(__version__, prog_name="vminv")
def cli() -> None:
    """Query and maintain the VM inventory that rscan writes.

    Errors are one line on stderr; --traceback (or VMINV_TRACEBACK=1) shows
    Python's traceback instead, for a bug report.
    """


def _register() -> None:
    # Each command module adds its commands to the group; kept in separate
    # modules so that each stays small and owned by its library.
    from vminv.cli import inventory_cmds, report_cmds, rhev_cmds, run_cmds

    inventory_cmds.register(cli)
    rhev_cmds.register(cli)
    report_cmds.register(cli)
    run_cmds.register(cli)


_register()


def main() -> None:
    install_signal_handlers()
    cli(prog_name="vminv")
