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
import orjson

from vminv.scanner.model import document_json_bytes, indented_json_bytes
from vminv.textsafe import csv_text, json_bytes_shown_as_is, json_bytes_terminal_safe, terminal_safe

FORMATS = ("table", "json", "csv")


def render_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain table, one record per line, every cell escaped for the terminal (no final newline)."""
    from tabulate import tabulate  # on first use: a third of a JSON scan's start-up otherwise

    cells = [[terminal_safe(value) for value in row] for row in rows]
    return str(tabulate(cells, headers=[terminal_safe(h) for h in headers], tablefmt="plain",
                        disable_numparse=True))


def render_csv(rows: Iterable[Sequence[Any]], headers: Sequence[str], for_terminal: bool = False) -> str:
    """CSV with every text cell guarded against formula injection (see :mod:`vminv.textsafe`).

    ``for_terminal``: the CSV goes to a person's terminal, not into a file or
    a pipe, so text cells are escaped as in a table (a C1 control or a bidi
    override would reach the terminal raw; a line break would look like a
    row). Into a file or a pipe the values stay exact.
    """
    if for_terminal:
        rows = ([terminal_safe(value, keep_backslash=True) if isinstance(value, str) else value for value in row]
                for row in rows)
    return csv_text(headers, rows)


def render_json(document: Any) -> bytes:
    """Indented JSON (UTF-8); exact values, with unprintable characters in JSON's own ``\\u`` escapes.

    orjson gives the same text as ``json.dumps(indent=2, ensure_ascii=False)``,
    several times faster, straight from the records' dataclasses. Usually no
    character needs escaping (names in CJK or with umlauts are printable), which
    is checked on the whole text at once. Otherwise the text is made in pieces:
    each top-level value, and each item of a top-level list (a guest, a host),
    is serialised and escaped alone, then put in place verbatim. The bytes are
    those of escaping the whole text at once, but only the pieces that hold a
    non-ASCII character go through the slow character-by-character escaping:
    one guest with a bidi override in its title does not send the 40 MB of a
    20,000-guest scan through it.
    """
    whole = document_json_bytes(document)
    if json_bytes_shown_as_is(whole):
        return whole
    if isinstance(document, dict) and all(isinstance(key, str) and _plain_key(key) for key in document):
        pieces: Any = {key: _pieces(value, 1) for key, value in document.items()}
    else:
        pieces = _pieces(document, 0)
    return document_json_bytes(pieces)


def _plain_key(key: str) -> bool:
    # Keys are written outside the pieces, unescaped: only plain ones (ours) may be (guest-named
    # keys, as in an Ansible inventory, send the document through the whole-text path).
    return key.isascii() and key.isprintable()


def _pieces(value: Any, depth: int) -> Any:
    if isinstance(value, list):
        return [_piece(item, depth + 1) for item in value]
    return _piece(value, depth)


def _piece(value: Any, depth: int) -> orjson.Fragment:
    return orjson.Fragment(json_bytes_terminal_safe(indented_json_bytes(value, depth)))


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
        emit(render_csv(rows, headers, for_terminal=stdout_is_terminal()))
    elif output_format != "table":
        raise ValueError(f"unknown output format {output_format!r}")
    elif text is not None:
        emit(text())
    elif rows or header_when_empty:
        emit(render_table(rows, headers) + "\n")


def emit(text: str | bytes) -> None:
    """Write ``text`` (or UTF-8 bytes) to stdout as is (it carries its own final newline).

    A failed write (disk full, a closed pipe) is an error, never a silent
    loss; its message names standard output.
    """
    try:
        ends_line = text.endswith(b"\n") if isinstance(text, bytes) else text.endswith("\n")
        click.echo(text, nl=not ends_line)
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


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


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
