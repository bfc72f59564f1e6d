"""Everything a command prints: the one renderer (table, JSON, CSV) and the one writer of message lines.

Values shown to a human go through :func:`vminv.textsafe.terminal_safe`: a
table cell, a message line on stderr and the progress line never carry a
control character, a bidi override, an invisible character or a line break
from guest or engine data, so a guest cannot forge a row or drive the
terminal. JSON keeps exact values (JSON's own escapes for what a terminal
must not see raw); CSV keeps exact values except the formula guard.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click
from tabulate import tabulate

from vminv.scanner.model import document_json_bytes
from vminv.textsafe import csv_text, json_terminal_safe, terminal_safe

FORMATS = ("table", "json", "csv")


def render_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain table, one record per line, every cell escaped for the terminal (no final newline)."""
    cells = [[terminal_safe(value) for value in row] for row in rows]
    return str(tabulate(cells, headers=[terminal_safe(h) for h in headers], tablefmt="plain",
                        disable_numparse=True))


def render_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """CSV with every text cell guarded against formula injection (see :mod:`vminv.textsafe`)."""
    return csv_text(headers, rows)


def render_json(document: Any) -> str:
    """Indented JSON; exact values, with unprintable characters in JSON's own ``\\u`` escapes."""
    # orjson: the same text as json.dumps(indent=2, ensure_ascii=False), several
    # times faster on a 20,000-guest scan; records may be left as dataclasses.
    text = document_json_bytes(document).decode("utf-8")
    return json_terminal_safe(text)


def render(output_format: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           document: Callable[[], Any], *, header_when_empty: bool = False,
           text: Callable[[], str] | None = None) -> None:
    """Print a command's result in ``output_format``: the one dispatch every command uses.

    ``rows``/``headers`` make the table and the CSV; ``document()`` the JSON
    (built only when asked for). An empty table prints nothing unless
    ``header_when_empty``. ``text()`` replaces the table by a layout of its own
    (``lsve``); whoever builds it escapes its values with ``terminal_safe``.
    """
    if output_format == "json":
        emit(render_json(document()))
    elif output_format == "csv":
        emit(render_csv(rows, headers))
    elif output_format != "table":
        raise ValueError(f"unknown output format {output_format!r}")
    elif text is not None:
        emit(text())
    elif rows or header_when_empty:
        emit(render_table(rows, headers) + "\n")


def emit(text: str) -> None:
    """Write ``text`` to stdout as is (it carries its own final newline).

    A failed write (disk full, a closed pipe) is an error, never a silent
    loss; its message names standard output.
    """
    try:
        click.echo(text, nl=not text.endswith("\n"))
    except BrokenPipeError:
        raise  # the reader went away (`| head`): not an error, see vminv.cli.failure
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, "standard output") from exc


def emit_line(line: str) -> None:
    """One human-readable line on stdout (a heading above a table), escaped for the terminal."""
    emit(terminal_safe(line, keep_backslash=True) + "\n")


def warn(line: str) -> None:
    """One message line on stderr (warnings, notes, per-guest reports), escaped for the terminal."""
    click.echo(terminal_safe(line, keep_backslash=True), err=True)


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class StatusLine:
    """A progress line rewritten in place on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = stderr_is_terminal() if enabled is None else enabled
        self.shown = False

    def show(self, message: str) -> None:
        if not self.enabled:
            return
        # \r and "erase to end of line" are ours; everything in the message is escaped.
        sys.stderr.write(f"\r{terminal_safe(message, keep_backslash=True)}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.enabled and self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
