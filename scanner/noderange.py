"""xCAT noderange expressions, expanded to a naturally sorted list of names.

The grammar is xCAT's ``noderange(3)``, read as its ``NodeRange.pm`` reads it
(``noderange`` splits and combines, ``expandatom`` reads one item):

* a list ``a,b``; an item prefixed with ``-`` is excluded from the result,
  whatever its place in the list (exclusion wins over inclusion);
* intersection ``kvm@maint`` (binds tighter than ``,``) and parentheses
  ``kvm,-(kvm@maint)``;
* node names, group names (``nodelist.groups``; the ``nodegroup`` table's
  dynamic groups by ``wherevals``; a group defined there with no members
  selects nothing); a node wins over a group of the same name;
* ranges ``node01-node10``, ``node01:node10``, brackets ``f[1-2]n[1-3]``,
  increments ``node10+3`` and ``kvm01.example.com+2``, the number-only
  shorthand ``10-20`` / ``10+3`` / ``10`` (``node10``...);
* regular expressions ``/kvm.*`` matched against whole known names (RE2);
* attribute selection ``vm.host==kvmhost1``, ``groups=~maint``, ``!=``, ``!~``;
* ``^/path/file``: one noderange per line, ``#`` comments.

The deliberate differences from xCAT are listed in README's NODERANGE
section; the main ones: the result is sorted naturally (``n2`` before
``n10``), and a name that is neither a known node nor a group is kept as a
host name (rscan scans hosts that need not be in any database).

The tables behind groups and attribute selection come from the caller (the
inventory), through :class:`NodeTables`: this module reads no database.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from vminv.errors import NodeRangeError
from vminv.scanner.noderange_names import (
    NUMBER_PREFIX,
    Budget,
    NameRange,
    bracket_names,
    increment_names,
    range_names,
)
from vminv.scanner.noderange_select import select_by_criterion, select_by_wherevals
from vminv.scanner.saferegex import compile_pattern

MAX_DEPTH = 32  # parentheses nested deeper are refused before any recursion
MAX_FILE_BYTES = 1 << 20

_NUMBER = re.compile(r"([0-9]+)")
# A name typed literally (not a known node, group or pattern) must look like a
# host name or an address: "node*", "a+b", "-" or "x;y" are mistakes, not hosts.
_HOST_NAME = re.compile(r"[A-Za-z0-9_:][A-Za-z0-9_.:\-]*", re.ASCII)
# The noderange a line of a ^file holds: up to the first colon, space or tab.
_FILE_LINE = re.compile(r"[^:\t ]*")


def natural_key(name: str) -> tuple[tuple[int, int, str, str], ...]:
    """Sort key that orders embedded numbers by value: n2 < n10.

    A number is compared by its length without leading zeros, then its
    digits: the order of its value, without converting 20,000 digits to int.
    """
    key = []
    for index, part in enumerate(_NUMBER.split(name)):
        if index % 2:  # split() puts the numbers at odd places
            digits = part.lstrip("0")
            key.append((0, len(digits), digits, part))
        elif part:
            key.append((1, 0, part, ""))
    return tuple(key)


def natural_sorted(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=natural_key)


@dataclass(frozen=True)
class NodeGroup:
    """A row of xCAT's ``nodegroup`` table that matters to a noderange.

    A static group's members are the nodes whose ``nodelist.groups`` names it
    (xCAT reads no member list here); a dynamic group's are the nodes that
    meet its ``wherevals``.
    """

    name: str
    grouptype: str  # "static" or "dynamic"
    wherevals: str = ""


class NodeTables(Protocol):
    """The inventory's tables as a noderange reads them."""

    def nodes(self) -> Sequence[str]:
        """Every node of ``nodelist``: what attribute selection and dynamic groups choose from."""

    def column(self, table: str, column: str) -> Mapping[str, str]:
        """``{node: value}`` for every node with a row in ``table``; :raises NodeRangeError: no such column"""

    def attribute(self, name: str) -> Mapping[str, str]:
        """``{node: value}`` of a node attribute (``vmhost``, ``groups``...) where it has a value.

        :raises NodeRangeError: no such attribute
        """

    def nodegroups(self) -> Mapping[str, NodeGroup]:
        """The ``nodegroup`` table's rows that are not disabled, by group name."""


def read_noderange_file(path: str) -> str:
    """The text of a ``^/path/file`` noderange: a regular file of at most 1 MiB, UTF-8.

    :raises NodeRangeError: the file cannot be read, is not a regular file
        (a FIFO would hang), is too large, or is not UTF-8
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise NodeRangeError(f"cannot read noderange file {path!r}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NodeRangeError(f"noderange file {path!r} is not a regular file")
        data = b""
        while len(data) <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        raise NodeRangeError(f"cannot read noderange file {path!r}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise NodeRangeError(f"noderange file {path!r} is over {MAX_FILE_BYTES:,} bytes", "split it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NodeRangeError(f"noderange file {path!r} is not UTF-8 text") from None


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside brackets and parentheses: a[1,3],(b,c) -> ['a[1,3]', '(b,c)']."""
    parts: list[str] = []
    start = depth = 0
    for index, char in enumerate(text):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _enclosed(text: str) -> bool:
    """``(a,b)``: one pair of parentheses around the whole text (not ``(a)@(b)``)."""
    if not text.startswith("("):
        return False
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index == len(text) - 1
    return False


def _check_parentheses(text: str) -> None:
    """Balanced, and nested at most :data:`MAX_DEPTH` deep (checked before any recursion)."""
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise NodeRangeError(
                    f"noderange nests parentheses more than {MAX_DEPTH} deep", "flatten the expression"
                )
        elif char == ")":
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        raise NodeRangeError("unbalanced parentheses in noderange", "close every '(' with a ')'")


def _literal_host(name: str) -> str:
    if not _HOST_NAME.fullmatch(name) or not any(c.isalnum() for c in name):
        raise NodeRangeError(
            f"{name!r} in the noderange is not a host name, node or group",
            "write a pattern as /regex (e.g. /kvm.*), a range as kvmhost[1-4]",
        )
    return name


class _Expander:
    def __init__(
        self,
        groups: Mapping[str, Sequence[str]],
        known: set[str],
        tables: NodeTables | None,
        read_file: Callable[[str], str] | None,
    ) -> None:
        self.groups = groups
        self.known = known
        self.tables = tables
        self.read_file = read_file
        self.nodegroups = tables.nodegroups() if tables is not None else {}
        self.budget = Budget()

    def expand_list(self, text: str) -> set[str]:
        """``a,-b,c``: the union of the items less the excluded ones."""
        included: set[str] = set()
        excluded: set[str] = set()
        for raw in _split(text, ","):
            item = raw.strip()
            if not item:
                continue  # "a,,b" and a trailing comma, as in xCAT
            target = included
            if item.startswith("-") and len(item) > 1:
                target, item = excluded, item[1:].strip()
            target.update(self.expand_term(item))
        return included - excluded

    def expand_term(self, text: str) -> set[str]:
        """``kvm@maint@rack1``: the intersection."""
        parts = [part.strip() for part in _split(text, "@")]
        if len(parts) > 1 and not all(parts):
            raise NodeRangeError(f"'@' in {text!r} needs a noderange on each side", "write e.g. kvm@maint")
        result = self.expand_primary(parts[0])
        for part in parts[1:]:
            result &= self.expand_primary(part)
        return result

    def expand_primary(self, text: str) -> set[str]:
        if _enclosed(text):
            return self.expand_list(text[1:-1])
        if text.startswith("^"):
            return self.expand_file(text[1:])
        return set(self.expand_atom(text))

    def expand_file(self, path: str) -> set[str]:
        """``^/path``: each line's noderange (up to a colon, space or tab), lines starting ``#`` or ``^`` skipped.

        The lines form one list, as if in parentheses: ``-node5`` on a line
        excludes node5 from the file's names.
        """
        if self.read_file is None:
            raise NodeRangeError(f"noderange file ^{path} cannot be read here", "list the names instead")
        if not path:
            raise NodeRangeError("'^' names no file", "write ^/path/to/file")
        entries = []
        for line in self.read_file(path).splitlines():
            if line.startswith(("#", "^")):
                continue  # xCAT skips both: a file cannot include another
            entry = _FILE_LINE.match(line)
            if entry and entry.group():
                entries.append(entry.group())
        text = ",".join(entries)
        _check_parentheses(text)
        return self.expand_list(text)

    def group_members(self, name: str) -> list[str] | None:
        """A dynamic group, a static group, a defined group with no members (``[]``), or None."""
        defined = self.nodegroups.get(name)
        if defined is not None and defined.grouptype == "dynamic":
            assert self.tables is not None
            return select_by_wherevals(name, defined.wherevals, self.tables.attribute, list(self.tables.nodes()))
        if name in self.groups:
            return list(self.groups[name])
        return [] if defined is not None else None

    def expand_atom(self, atom: str) -> list[str]:
        """One item, tried in expandatom's order."""
        if atom in self.known:
            return [atom]
        members = self.group_members(atom)
        if members is not None:
            return members
        if atom.startswith("/"):
            return self.match_pattern(atom)
        if "=" in atom or "~" in atom:
            if self.tables is None:
                raise NodeRangeError(
                    f"{atom!r} selects by attribute, which needs an inventory",
                    "write one with rscan -w first, and leave out --no-db",
                )
            return select_by_criterion(atom, self.tables.column)
        if "(" in atom or ")" in atom:
            raise NodeRangeError(f"parentheses in {atom!r} must enclose whole items", "write e.g. kvm,-(kvm@maint)")
        if atom.isdigit() and atom.isascii():
            return self.expand_atom(NUMBER_PREFIX + atom)
        if "[" in atom or "]" in atom:
            return self.generated(bracket_names(atom, self.budget))
        for form in (increment_names, range_names):
            names = form(atom)
            if names is not None:
                return self.generated(self.counted(names, atom))
        return [_literal_host(atom)]

    def counted(self, names: NameRange, atom: str) -> list[str]:
        self.budget.take(len(names), atom)
        return list(names)

    def generated(self, names: list[str]) -> list[str]:
        """Names made by a range: each a node, a group, a number (``node`` + it) or a host."""
        result = []
        for name in names:
            if name.isdigit() and name.isascii():
                name = NUMBER_PREFIX + name
            if name in self.known:
                result.append(name)
                continue
            members = self.group_members(name)
            result.extend(members if members is not None else [_literal_host(name)])
        return result

    def match_pattern(self, atom: str) -> list[str]:
        """``/regex``: the known names it matches whole (RE2: linear time, whatever the pattern)."""
        pattern = compile_pattern(atom[1:], atom)
        candidates = set(self.known)
        candidates.update(member for members in self.groups.values() for member in members)
        if self.tables is not None:
            candidates.update(self.tables.nodes())
        return [name for name in candidates if pattern.fullmatch(name)]


def expand_noderange(
    noderange: str,
    groups: Mapping[str, Sequence[str]] | None = None,
    known_nodes: Iterable[str] = (),
    tables: NodeTables | None = None,
    read_file: Callable[[str], str] | None = None,
) -> list[str]:
    """Expand ``noderange`` into de-duplicated, naturally sorted names.

    :param groups: static groups, group name -> members (``nodelist.groups``)
    :param known_nodes: names taken literally (a node named like a range wins over it)
    :param tables: the inventory's tables, for the ``nodegroup`` table and
        attribute selection; without them those forms are errors
    :param read_file: reads a ``^/path`` file (e.g. :func:`read_noderange_file`);
        without it ``^`` is an error
    :raises NodeRangeError: a malformed item, a range over the cap, or a
        noderange that selects nothing
    """
    text = noderange.strip().strip("'\"")
    if not text:
        raise NodeRangeError("empty noderange", "name at least one host, e.g. kvmhost01 or kvmhost[1-4]")
    _check_parentheses(text)
    # No character check on the whole text: known nodes may be any guest name
    # (vm-größe, 虚拟机1), and every name typed literally is checked on its own.
    expander = _Expander(groups or {}, set(known_nodes), tables, read_file)
    result = natural_sorted(expander.expand_list(text))
    if not result:
        raise NodeRangeError(f"noderange {noderange!r} selects nothing", "check the names, ranges and groups in it")
    return result
