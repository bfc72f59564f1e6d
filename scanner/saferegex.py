"""Regular expressions from users, matched in linear time (RE2).

Python's ``re`` backtracks: ``/(a+)+`` against a long stored name of ``a``\\ s
runs for hours. RE2 (google-re2) never backtracks, so matching costs time
linear in the name whatever the pattern; it refuses what only a backtracking
engine can do (back-references, look-around), which noderanges do not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from vminv.errors import NodeRangeError

# Larger compiled programs are refused (RE2's own limit; its default is 8 MiB).
_MAX_PROGRAM_BYTES = 8 << 20
MAX_PATTERN_CHARS = 4096


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print each refused pattern to stderr
    options.max_mem = _MAX_PROGRAM_BYTES
    options.never_capture = True  # only yes or no is asked: RE2 may answer with its DFA alone
    return options


@dataclass(frozen=True)
class SafePattern:
    """A compiled pattern; ``text`` is the pattern as the user wrote it."""

    text: str
    _compiled: Any

    def fullmatch(self, name: str) -> bool:
        return self._compiled.fullmatch(name) is not None

    def search(self, value: str) -> bool:
        return self._compiled.search(value) is not None


def compile_pattern(pattern: str, where: str) -> SafePattern:
    """Compile ``pattern`` for RE2.

    :param where: the noderange item it comes from, named in the error
    :raises NodeRangeError: the pattern is too long, malformed, or needs a
        backtracking feature RE2 does not have
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise NodeRangeError(
            f"regular expression in {where!r} is {len(pattern):,} characters, over the limit of {MAX_PATTERN_CHARS:,}",
            "write a shorter pattern",
        )
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        reason = repr(reason)[1:-1]  # RE2 quotes the pattern: keep its line breaks and controls escaped
        raise NodeRangeError(
            f"bad regular expression in {where!r}: {reason}",
            "patterns are RE2 syntax (no back-references or look-around)",
        ) from None
    return SafePattern(pattern, compiled)
