"""xCAT noderange expressions, expanded to a sorted list of names.

Supported (as in xCAT's ``noderange(3)``): comma lists ``a,b``; dash and
colon ranges ``node01-node10`` / ``node01:node10`` (zero padding kept);
brackets ``kvmhost[1-4]``, ``a[1,3,5]``, several at once ``f[1-2]n[1-3]``;
increments ``node10+3``; regular expressions ``/kvm.*`` (against known names);
exclusion ``all,-node05`` (applied last, whatever the order); group names
(from the inventory's ``nodelist.groups``, passed in by the caller).

Unlike xCAT, the result is sorted naturally (``n2`` before ``n10``), and a name
that is neither a known node nor a group is kept as a host name, since rscan
scans hosts that need not be in any database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from vminv.errors import NodeRangeError

_NUMBER = re.compile(r"(\d+)")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
# A name typed literally (not a known node, group or pattern) must look like a
# host name or an address: "node*", "a+b", "-" or "x;y" are mistakes, not hosts.
_HOST_NAME = re.compile(r"[A-Za-z0-9_:][A-Za-z0-9_.:\-]*", re.ASCII)


def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders embedded numbers by value: n2 < n10."""
    return tuple(
        (0, int(part), part) if part.isdigit() else (1, 0, part)
        for part in _NUMBER.split(name)
        if part != ""
    )


def natural_sorted(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=natural_key)


def _numeric_range(first: str, last: str, atom: str) -> list[str]:
    """Expand ``node01``..``node10``: exactly one numeric field may differ."""
    first_parts = _NUMBER.split(first)
    last_parts = _NUMBER.split(last)
    if len(first_parts) != len(last_parts):
        return []
    if first == last and len(first_parts) > 1:
        return [first]  # node5-node5, n[3-3]: a range of one
    differing = [
        i for i, (a, b) in enumerate(zip(first_parts, last_parts)) if a != b
    ]
    if len(differing) != 1 or not first_parts[differing[0]].isdigit():
        return []
    index = differing[0]
    if not last_parts[index].isdigit():
        return []
    start_text, end_text = first_parts[index], last_parts[index]
    start, end = int(start_text), int(end_text)
    if end < start:
        raise NodeRangeError(f"noderange {atom!r} runs backwards", "write the lower bound first")
    if end - start > 100_000:
        raise NodeRangeError(f"noderange {atom!r} expands to over 100,000 names", "narrow the range")
    width = len(start_text) if start_text.startswith("0") else 0
    prefix = "".join(first_parts[:index])
    suffix = "".join(first_parts[index + 1 :])
    return [f"{prefix}{n:0{width}d}{suffix}" for n in range(start, end + 1)]


def _bracket_values(inner: str, atom: str) -> list[str]:
    values: list[str] = []
    for piece in inner.split(","):
        piece = piece.strip()
        match = re.fullmatch(r"(\d+)[-:](\d+)", piece)
        if match:
            values.extend(_numeric_range(match.group(1), match.group(2), atom))
        elif piece:
            values.append(piece)
        else:
            raise NodeRangeError(f"empty item in brackets of {atom!r}", "write e.g. kvmhost[1-4]")
    return values


def _expand_brackets(atom: str) -> list[str]:
    match = _BRACKET.search(atom)
    if match is None:
        if "[" in atom or "]" in atom:
            raise NodeRangeError(f"unbalanced brackets in noderange {atom!r}", "write e.g. kvmhost[1-4]")
        return [atom]
    head, tail = atom[: match.start()], atom[match.end() :]
    results = []
    for value in _bracket_values(match.group(1), atom):
        results.extend(_expand_brackets(f"{head}{value}{tail}"))
    return results


def _expand_atom(atom: str, groups: Mapping[str, Sequence[str]], known: set[str]) -> list[str]:
    if atom in groups and atom not in known:
        return list(groups[atom])
    if atom in known:
        return [atom]
    if atom.startswith("/"):
        try:
            pattern = re.compile(atom[1:])
        except re.error as exc:
            raise NodeRangeError(f"bad regular expression {atom!r}: {exc}") from None
        candidates = known | {m for members in groups.values() for m in members}
        return [name for name in candidates if pattern.fullmatch(name)]
    if "[" in atom or "]" in atom:
        return [name for value in _expand_brackets(atom) for name in _name_or_group(value, groups, known)]
    plus = re.fullmatch(r"(.*?)(\d+)\+(\d+)", atom)
    if plus:
        prefix, start, count = plus.group(1), plus.group(2), int(plus.group(3))
        expanded = _numeric_range(f"{prefix}{start}", f"{prefix}{int(start) + count:0{len(start)}d}", atom)
        return [name for value in expanded for name in _name_or_group(value, groups, known)]
    for separator in ("-", ":"):
        if separator in atom:
            pieces = atom.split(separator)
            if len(pieces) % 2 == 0:  # odd number of separators: the middle one splits
                middle = len(pieces) // 2
                first, last = separator.join(pieces[:middle]), separator.join(pieces[middle:])
                expanded = _numeric_range(first, last, atom)
                if expanded:
                    return [name for value in expanded for name in _expand_atom(value, groups, known)]
    return [_literal_host(atom)]


def _name_or_group(name: str, groups: Mapping[str, Sequence[str]], known: set[str]) -> list[str]:
    """One generated name (from brackets or an increment): a node, a group, or a host."""
    if name in groups and name not in known:
        return list(groups[name])
    if name in known:
        return [name]
    return [_literal_host(name)]


def _literal_host(name: str) -> str:
    if not _HOST_NAME.fullmatch(name) or not any(c.isalnum() for c in name):
        raise NodeRangeError(
            f"{name!r} in the noderange is not a host name, node or group",
            "write a pattern as /regex (e.g. /kvm.*), a range as kvmhost[1-4]",
        )
    return name


def expand_noderange(
    noderange: str,
    groups: Mapping[str, Sequence[str]] | None = None,
    known_nodes: Iterable[str] = (),
) -> list[str]:
    """Expand ``noderange`` into de-duplicated, naturally sorted names.

    ``groups`` maps a group name to its members; ``known_nodes`` are names
    that must be taken literally (a node named like a range wins over it).
    """
    groups = groups or {}
    known = set(known_nodes)
    text = noderange.strip().strip("'\"")
    if not text:
        raise NodeRangeError("empty noderange", "name at least one host, e.g. kvmhost01 or kvmhost[1-4]")
    # No character check on the whole text: known nodes may be any guest name
    # (vm-größe, 虚拟机1), and every name typed literally is checked on its own.
    included: list[str] = []
    excluded: set[str] = set()
    for raw in _split_top_level(text):
        atom = raw.strip()
        if not atom:
            continue
        if atom.startswith("-") and len(atom) > 1:
            excluded.update(_expand_atom(atom[1:], groups, known))
        else:
            included.extend(_expand_atom(atom, groups, known))
    result = natural_sorted(name for name in included if name not in excluded)
    if not result:
        raise NodeRangeError(f"noderange {noderange!r} selects nothing", "check the names, ranges and groups in it")
    return result


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets: a[1,3],b -> ['a[1,3]', 'b']."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
