"""Where a key sits in a TOML text: ``tomllib`` gives values, never line numbers.

Good enough for error messages: table headers (``[a.b]``, ``[[a]]``), plain,
quoted and dotted keys. A key inside an inline table (``engine = {url = 1}``)
is reported at the line of the key that holds the inline table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*\[\[?(?P<path>[^\[\]]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*'))*)\s*=""")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"([^"\n]*)"|'([^'\n]*)'""")


def _split(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _PART.finditer(dotted):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        parts.append(quoted if quoted is not None else match.group(0))
    return tuple(parts)


def _paths(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(line number, full key path) of every header and key line, in order."""
    found: list[tuple[int, tuple[str, ...]]] = []
    table: tuple[str, ...] = ()
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        # Skip the inside of multi-line strings: their lines are no keys.
        quotes = line.count('"""') + line.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        header = _HEADER.match(line)
        if header:
            table = _split(header.group("path"))
            found.append((number, table))
        else:
            key = _KEY.match(line)
            if key:
                found.append((number, table + _split(key.group("key"))))
        in_multiline = quotes % 2 == 1
    return found


def key_line(text: str, path: Sequence[str]) -> int | None:
    """The line of ``path`` (e.g. ``("profiles", "prod", "timeout")``) in ``text``.

    The exact key when it is there; else the line of its closest enclosing
    key or table (an inline table, or a header written as a dotted key).
    """
    wanted = tuple(path)
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, found in _paths(text):
        if found == wanted:
            return number
        length = len(found)
        if length < len(wanted) and wanted[:length] == found and (best is None or length > best[0]):
            best = (length, number)
    return best[1] if best else None
