"""What every command shares: exit codes, error mapping, output rendering.

Only this layer maps library errors to exit codes (see ``EXIT_*``) and only
this layer reads the environment.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import orjson
from tabulate import tabulate

from vminv.errors import InventoryError, RhevError, UsageError, VminvError
from vminv.inventory.errors import WriterBusyError

EXIT_OK = 0
EXIT_ERROR = 1  # the command could not do its job (engine down, DB unreadable, ...)
EXIT_USAGE = 2  # bad option, noderange, file (click uses 2 as well)
EXIT_PARTIAL = 3  # the scan ran, but some hosts failed; the output holds the rest
EXIT_CONFLICTS = 4  # written, but some guests were skipped as conflicts
EXIT_FINDINGS = 5  # vminv run: findings at or above the profile's fail-on severity
EXIT_BUSY = 6  # another writer holds the inventory's writer lock

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "~/.local/share/vminv/inventory.db"


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(f"{_prog()}: error: {message}", err=True)
    sys.exit(code)


def _prog() -> str:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().info_name if ctx else None) or "vminv"


def handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and an exit status; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            fail(str(exc), EXIT_USAGE)
        except WriterBusyError as exc:
            fail(str(exc), EXIT_BUSY)
        except (InventoryError, RhevError, VminvError) as exc:
            fail(str(exc), EXIT_ERROR)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()  # e.g. `rscan ... | head`: not an error
            sys.exit(EXIT_OK)

    return wrapper  # type: ignore[return-value]


def resolve_db_path(option: str | None) -> Path:
    """``--db PATH``, else ``$VMINV_DB``, else the per-user default."""
    raw = option or os.environ.get("VMINV_DB") or DEFAULT_DB
    return Path(raw).expanduser()


def render_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cleaned = [["" if value is None else value for value in row] for row in rows]
    return str(tabulate(cleaned, headers=list(headers), tablefmt="plain", disable_numparse=True))


def render_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def render_json(document: Any) -> str:
    # orjson: the same text as json.dumps(indent=2, ensure_ascii=False), several
    # times faster on a 20,000-guest scan.
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")


def emit(text: str) -> None:
    """Write ``text`` to stdout as is (it carries its own final newline)."""
    click.echo(text, nl=not text.endswith("\n"))


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)

wait_option = click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(0, 86400),
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
