"""Names a noderange item generates: ranges, brackets and increments (pure).

Each form is read as xCAT's ``NodeRange.pm`` ``expandatom`` reads it, and
counted before anything is generated, so that no expression can make more
than :data:`MAX_GENERATED` names in all (``a[1-1000]b[1-1000]c[1-1000]``
would make a billion).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from vminv.errors import NodeRangeError

MAX_GENERATED = 100_000
# xCAT's prefix for the number-only shorthand (10-20 is node10..node20).
NUMBER_PREFIX = "node"
_MAX_DIGITS = 18  # a range's bounds; longer numbers are no host numbering

_NUMBER = re.compile(r"([0-9]+)")
_DIGITS = re.compile(r"[0-9]+")
_IPV4 = re.compile(r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)([0-9]{1,3})")


class Budget:
    """How many names one noderange may still generate."""

    def __init__(self, cap: int = MAX_GENERATED) -> None:
        self.cap = cap
        self.used = 0

    def take(self, count: int, atom: str) -> None:
        """:raises NodeRangeError: ``count`` more names would pass the cap"""
        if count > self.cap - self.used:
            already = f" after {self.used:,} already" if self.used else ""
            raise NodeRangeError(
                f"noderange item {atom!r} would make {count:,} names{already}, over the cap of {self.cap:,}",
                "narrow the ranges",
            )
        self.used += count


@dataclass(frozen=True)
class NumberRange:
    """``start``..``end`` printed with ``width`` digits (zero padding kept, as xCAT does)."""

    start: int
    end: int
    width: int

    def __len__(self) -> int:
        return self.end - self.start + 1

    def __iter__(self) -> Iterator[str]:
        return (f"{n:0{self.width}d}" for n in range(self.start, self.end + 1))


def number_range(first: str, last: str, atom: str) -> NumberRange:
    """The numbers ``first``..``last``; a leading zero in ``first`` fixes the width.

    xCAT lets Perl's string range run on when ``last`` is below ``first``
    (``x021-x010`` makes x021..x999, 979 names); that is an error here.
    """
    if max(len(first), len(last)) > _MAX_DIGITS:
        raise NodeRangeError(f"a number in noderange {atom!r} has over {_MAX_DIGITS} digits", "write a shorter range")
    start, end = int(first), int(last)
    if end < start:
        raise NodeRangeError(f"noderange {atom!r} runs backwards", "write the lower bound first")
    width = len(first) if first.startswith("0") else 0
    return NumberRange(start, end, width)


@dataclass(frozen=True)
class NameRange:
    """Names ``prefix + number + suffix`` for the numbers of ``numbers``."""

    prefix: str
    numbers: NumberRange | None  # None: the one name ``prefix + suffix``
    suffix: str = ""

    def __len__(self) -> int:
        return 1 if self.numbers is None else len(self.numbers)

    def __iter__(self) -> Iterator[str]:
        if self.numbers is None:
            return iter([self.prefix + self.suffix])
        return (f"{self.prefix}{n}{self.suffix}" for n in self.numbers)


def name_range(first: str, last: str, atom: str) -> NameRange | None:
    """``node01``..``node10``: one numeric field differs, the rest is equal; else None."""
    first_parts, last_parts = _NUMBER.split(first), _NUMBER.split(last)
    if first == last:
        # node1-node1 is node1, as in xCAT; kvm-kvm (no number) stays a name.
        return NameRange(first, None) if len(first_parts) > 1 else None
    if len(first_parts) != len(last_parts):
        return None
    for index, (a, b) in enumerate(zip(first_parts, last_parts)):
        if a == b:
            continue
        if not (_DIGITS.fullmatch(a) and _DIGITS.fullmatch(b)):
            return None
        if first_parts[index + 1 :] != last_parts[index + 1 :]:
            return None
        return NameRange("".join(first_parts[:index]), number_range(a, b, atom), "".join(first_parts[index + 1 :]))
    return None


def split_range(atom: str) -> tuple[str, str] | None:
    """The two ends of a ``-`` or ``:`` range, split as expandatom splits them.

    With ``:`` the two sides of the one colon; with dashes the middle one of an
    odd number (``rack1-n01-rack1-n03``); an even number is no range.
    """
    if ":" in atom:
        pieces = atom.split(":")
        return (pieces[0], pieces[1]) if len(pieces) == 2 else None  # fe80::1 is an address
    count = atom.count("-")
    if count % 2 == 0 or atom.startswith("-"):
        return None
    pieces = atom.split("-")
    middle = count // 2 + 1
    return "-".join(pieces[:middle]), "-".join(pieces[middle:])


def range_names(atom: str) -> NameRange | None:
    """``node01-node10`` / ``node01:node10`` as a :class:`NameRange`, or None when it is no range."""
    ends = split_range(atom)
    return name_range(ends[0], ends[1], atom) if ends else None


def _split_increment(front: str) -> tuple[str, str, str] | None:
    """expandatom's ``/^(.*?)(\\d+)(\\..+)?$/`` in linear time: the first run of
    digits followed by the end or by ``.`` and more (``kvm01`` ``.example.com``)."""
    for run in _DIGITS.finditer(front):
        end = run.end()
        if end == len(front) or (front[end] == "." and end + 1 < len(front)):
            return front[: run.start()], run.group(), front[end:]
    return None


def increment_names(atom: str) -> NameRange | None:
    """``node10+3`` (node10..node13), ``kvm01.example.com+2``, ``10+3`` (node10..node13).

    As in expandatom, the number raised is the last one before an optional
    ``.domain``. An IPv4 address raises its last byte (xCAT raises the first:
    ``10.0.0.1+1`` is 10.0.0.1, 11.0.0.1 there).
    """
    front, plus, increment = atom.partition("+")
    parts = _split_increment(front)
    if not plus or parts is None or not _DIGITS.fullmatch(increment) or len(increment) > _MAX_DIGITS:
        return None
    prefix, start, domain = parts
    count = int(increment)
    address = _IPV4.fullmatch(f"{prefix}{start}{domain}")
    if address is not None:
        prefix, start, domain = address.group(1), address.group(2), ""
        if int(start) + count > 255:
            raise NodeRangeError(f"noderange {atom!r} runs past {prefix}255", "lower the increment")
    elif not prefix and not domain:
        prefix = NUMBER_PREFIX
    end = f"{int(start) + count:0{len(start)}d}"
    return NameRange(prefix, number_range(start, end, atom), domain)


def _bracket_values(inner: str, atom: str) -> list[NameRange]:
    values = []
    for piece in inner.split(","):
        piece = piece.strip()
        if not piece:
            raise NodeRangeError(f"empty item in brackets of {atom!r}", "write e.g. kvmhost[1-4]")
        separators = piece.count("-") + piece.count(":")
        if separators == 0:
            values.append(NameRange(piece, None))
            continue
        first, _, last = piece.replace(":", "-").partition("-")
        found = name_range(first, last, atom) if separators == 1 else None
        if found is None:
            raise NodeRangeError(f"bad item {piece!r} in brackets of {atom!r}", "write numbers, e.g. kvmhost[1-4,7]")
        values.append(found)
    return values


def bracket_names(atom: str, budget: Budget) -> list[str]:
    """``f[1-2]n[1-3]``: every combination of the brackets' values, in order.

    Counted before it is expanded. A bracket inside a bracket is refused, so
    that no depth of nesting can recurse.
    """
    texts: list[str] = []  # literal text, then a bracket's inner text, alternately
    rest = atom
    while "[" in rest or "]" in rest:
        open_at = rest.find("[")
        close_at = rest.find("]")
        if open_at < 0 or close_at < open_at:
            raise NodeRangeError(f"unbalanced brackets in noderange {atom!r}", "write e.g. kvmhost[1-4]")
        if "[" in rest[open_at + 1 : close_at]:
            raise NodeRangeError(f"brackets inside brackets in noderange {atom!r}", "write e.g. f[1-2]n[1-3]")
        texts += [rest[:open_at], rest[open_at + 1 : close_at]]
        rest = rest[close_at + 1 :]
    literals = texts[0::2] + [rest]
    choices = [_bracket_values(inner, atom) for inner in texts[1::2]]
    count = math.prod(sum(len(value) for value in values) for values in choices)
    budget.take(count, atom)
    expanded = [[name for value in values for name in value] for values in choices]
    names = []
    for combination in itertools.product(*expanded):
        parts = [literals[0]]
        for value, literal in zip(combination, literals[1:]):
            parts += [value, literal]
        names.append("".join(parts))
    return names
