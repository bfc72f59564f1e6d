"""Hostile text made safe for a terminal, a JSON document and a spreadsheet (pure; any layer may use it).

Guest names, titles, descriptions, NIC and disk sources, replay file names and
engine texts are chosen by people the operator does not control. Printed as
they are they can move the cursor, clear the screen, retitle the window or
reverse text (C0/C1 controls, DEL, bidi overrides), hide characters
(zero-width and other format characters) or start a new table row (CR, LF,
U+2028). Written into a CSV they can run a formula when the file is opened in
a spreadsheet. The DB and JSON keep the exact value; only what a human reads
is escaped, here and nowhere else.

Terminal rule (:func:`terminal_safe`): every character Python does not call
printable (categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and every space but U+0020)
is written as Python writes it in a ``repr``: ``\\n``, ``\\r``, ``\\t``,
``\\x1b``, ``\\u202e``, ``\\U000e0001``. A backslash is written ``\\\\``, so
that a cell reads back to exactly one value: a guest really named
``a\\x1b`` (four characters) shows as ``a\\\\x1b``, one named with an ESC as
``a\\x1b``. Message lines (errors, warnings, progress) keep backslashes as
they are (``keep_backslash=True``): they quote values with ``repr`` where it
matters, which already doubles a backslash, and a second doubling would only
blur them. They still never carry a control character or a line break.

CSV rule (:func:`csv_cell`, :func:`write_csv`): the OWASP rule against formula
injection. A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab, CR or
LF gets a leading ``'``, which spreadsheets show but do not evaluate. Numbers
the tool itself computes are passed as ``int``/``float`` and written as they
are: ``-3`` stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

# Candidates only; each match is checked with str.isprintable(). Everything
# outside printable ASCII (and the backslash) is a candidate, so text that is
# plain ASCII costs one C-level scan.
_CANDIDATE = re.compile(r"[^\x20-\x5b\x5d-\x7e]")
_JSON_CANDIDATE = re.compile(r"[^\x00-\x7e]")  # json.dumps already escapes C0 controls and the backslash


def _escape_char(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_unprintable(match: re.Match[str]) -> str:
    char = match.group()
    return _escape_char(char) if char == "\\" or not char.isprintable() else char


def _escape_unprintable_keep_backslash(match: re.Match[str]) -> str:
    char = match.group()
    return char if char == "\\" or char.isprintable() else _escape_char(char)


def terminal_safe(text: object, *, keep_backslash: bool = False) -> str:
    """``text`` as one line a terminal shows literally: controls, format characters, line breaks escaped.

    ``None`` becomes ``""``; other non-strings are converted with ``str``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if text.isprintable() and "\\" not in text:
        return text  # the common case: nothing to escape
    if keep_backslash:
        return _CANDIDATE.sub(_escape_unprintable_keep_backslash, text)
    return _CANDIDATE.sub(_escape_unprintable, text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells characters beyond the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_terminal_safe(document_text: str) -> str:
    """A JSON text (from ``json.dumps(..., ensure_ascii=False)``) with unprintable characters as ``\\uXXXX``.

    The escapes are JSON's own, so a parser reads back exactly the same
    values; only what a terminal shows changes. DEL, C1 controls, bidi and
    zero-width characters, and lone surrogates (from file names that are not
    UTF-8) are the characters json.dumps leaves raw.
    """
    if document_text.isascii() and "\x7f" not in document_text:
        return document_text
    if "\x7f" in document_text:
        document_text = document_text.replace("\x7f", "\\u007f")
    return _JSON_CANDIDATE.sub(_json_escape, document_text)


_ASCII_BYTES = bytes(range(0x80))


def json_bytes_shown_as_is(document: bytes) -> bool:
    """Whether UTF-8 JSON bytes need no escaping for a terminal: no DEL, and every non-ASCII character printable.

    Only the non-ASCII bytes are decoded and checked (deleting the ASCII ones
    keeps each multi-byte character whole): a 40 MB document with a few CJK
    names is checked in a few milliseconds, where a regex over the whole text
    calls back for every such character.
    """
    if b"\x7f" in document:
        return False
    return document.isascii() or document.translate(None, _ASCII_BYTES).decode("utf-8").isprintable()


def json_bytes_terminal_safe(document: bytes) -> bytes:
    """:func:`json_terminal_safe` for UTF-8 JSON bytes (orjson's output, or a streamed piece of it)."""
    if json_bytes_shown_as_is(document):
        return document
    return json_terminal_safe(document.decode("utf-8")).encode("utf-8")


# OWASP "CSV injection": a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> str | int | float:
    """One CSV cell: ``None`` empty, numbers as they are, text neutralised against formula injection."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value  # written by the tool itself (bool is an int: True/False)
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(stream: TextIO, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write ``headers`` and ``rows`` to ``stream`` as CSV (RFC 4180 quoting, ``\\n`` line ends), every cell safe."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(value) for value in row] for row in rows)


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """:func:`write_csv` into a string."""
    buffer = io.StringIO()
    write_csv(buffer, headers, rows)
    return buffer.getvalue()
