"""What every command shares: exit codes, error mapping, output rendering, common options.

Only this layer maps library errors to exit codes (see ``EXIT_*`` in
``vminv.cli.failure``) and only this layer reads the environment. Printing
lives in ``vminv.cli.output``, error mapping in ``vminv.cli.failure``; both
are re-exported here so that commands import from one place.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from vminv.cli.failure import (
    EXIT_BUSY,
    EXIT_CONFLICTS,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    MappedErrorsCommand,
    MappedErrorsGroup,
    exit_for,
    fail,
    handle_errors,
    mapped_errors,
    traceback_option,
)
from vminv.cli.output import (
    FORMATS,
    StatusLine,
    emit,
    emit_line,
    render,
    render_csv,
    render_json,
    render_table,
    stderr_is_terminal,
    warn,
)
from vminv.errors import UsageError
from vminv.limits import MAX_SECONDS, check_seconds

__all__ = [
    "DEFAULT_DB", "EXIT_BUSY", "EXIT_CONFLICTS", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_INTERRUPTED", "EXIT_OK",
    "EXIT_PARTIAL", "EXIT_USAGE", "FORMATS", "MappedErrorsCommand", "MappedErrorsGroup", "StatusLine",
    "db_option", "emit", "emit_line", "exit_for", "fail", "format_option", "handle_errors", "mapped_errors", "render",
    "render_csv", "render_json", "render_table", "resolve_db_path", "seconds", "stderr_is_terminal", "traceback_option",
    "wait_option", "warn",
]

DEFAULT_DB = "~/.local/share/vminv/inventory.db"


def resolve_db_path(option: str | None) -> Path:
    """``--db PATH``, else ``$VMINV_DB``, else the per-user default."""
    raw = option or os.environ.get("VMINV_DB") or DEFAULT_DB
    return Path(raw).expanduser()


def seconds(low: float = 0.0, high: float = MAX_SECONDS, zero_ok: bool = False) -> Callable[
        [click.Context, click.Parameter, float | None], float | None]:
    """A callback for a duration option (``type=float``): :func:`vminv.limits.check_seconds`, no NaN, no infinity."""

    def check(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
        if value is None:
            return None
        what = param.opts[0] if param.opts else "the duration"
        try:
            return check_seconds(value, what, low=low, high=high, zero_ok=zero_ok)
        except UsageError as exc:
            # click names the option itself: "Invalid value for '--timeout': must be ..."
            raise click.BadParameter(exc.message.removeprefix(f"{what} "), ctx, param) from None

    return check


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)

wait_option = click.option(
    "--wait",
    "wait_s",
    type=float,
    callback=seconds(zero_ok=True),
    default=0.0,
    metavar="SECONDS",
    help="When another writer holds the inventory, wait this long for it (default: exit 6 at once).",
)

db_option = click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help=f"Inventory database file (default: $VMINV_DB, else {DEFAULT_DB}).",
)
