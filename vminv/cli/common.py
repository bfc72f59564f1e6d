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
from vminv.inventory.location import Location, is_postgres_url, parse_location
from vminv.inventory.queries import MAX_SCAN_ID
from vminv.limits import MAX_SECONDS, check_seconds
from vminv.secret import read_secret

__all__ = [
    "DEFAULT_DB", "EXIT_BUSY", "EXIT_CONFLICTS", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_INTERRUPTED", "EXIT_OK",
    "EXIT_PARTIAL", "EXIT_USAGE", "FORMATS", "SCAN_ID", "MappedErrorsCommand", "MappedErrorsGroup", "StatusLine",
    "db_option", "emit", "emit_line", "exit_for", "fail", "format_option", "handle_errors", "mapped_errors", "render",
    "render_csv", "render_json", "render_table", "resolve_db_path", "seconds", "stderr_is_terminal", "traceback_option",
    "wait_option", "warn",
]

DEFAULT_DB = "~/.local/share/vminv/inventory.db"
DB_PASSWORD_FILE_ENV = "VMINV_DB_PASSWORD_FILE"


def resolve_db_path(option: str | None, password_file: str | Path | None = None) -> Location:
    """``--db PATH|URI``, else ``$VMINV_DB``, else the per-user default.

    A ``postgresql://`` URI names a shared PostgreSQL inventory. Its password
    comes from ``password_file`` (a profile's setting), else the file named by
    ``$VMINV_DB_PASSWORD_FILE``, else libpq's own sources (``~/.pgpass``,
    ``$PGPASSFILE``, ``$PGPASSWORD``); never from argv.
    """
    raw = option or os.environ.get("VMINV_DB") or DEFAULT_DB
    password = None
    if is_postgres_url(raw):
        source = password_file or os.environ.get(DB_PASSWORD_FILE_ENV)
        if source:
            # libpq's own sources (~/.pgpass, ...) apply when no file is named: not required here.
            password = read_secret("database password", file=Path(source), required=False)
    return parse_location(raw, password)


# A scan id the inventory can hold (SQLite integer, PostgreSQL bigint); the
# library checks again (inventory.queries.check_scan_id).
SCAN_ID = click.IntRange(1, MAX_SCAN_ID)


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
    metavar="PATH|URI",
    help=f"Inventory: an SQLite file or postgresql://user@host/dbname (default: $VMINV_DB, else {DEFAULT_DB}).",
)
