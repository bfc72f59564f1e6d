"""Selecting nodes by attribute values (pure): ``vm.host==kvmhost1``, dynamic groups.

Two xCAT syntaxes, each read as xCAT reads it:

* a noderange item ``table.column<op>value`` (NodeRange.pm ``nodesbycriteria``),
  with the short names ``groups``/``tags`` (nodelist.groups) and ``mgt``
  (nodehm.mgt);
* a dynamic group's ``wherevals``, ``attr<op>value`` pairs joined by ``::``
  naming node attributes (DBobjUtils.pm ``getGroupMembers``, Utils.pm
  ``parse_selection_string`` and ``selection_string_match``).

The operators are ``==`` (or ``=``), ``!=``, ``=~`` and ``!~``; a regular
expression may be written between slashes and matches anywhere in the value
(RE2, linear time). A node without a row in the table matches no operator,
not even ``!=``, as in xCAT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vminv.errors import NodeRangeError
from vminv.scanner.saferegex import SafePattern, compile_pattern

# nodesbycriteria's %shortnames.
SHORT_NAMES = {"groups": ("nodelist", "groups"), "tags": ("nodelist", "groups"), "mgt": ("nodehm", "mgt")}


def _first_equals_is(text: str, operator: str) -> bool:
    """Perl's ``/^[^=]*OP/`` for an OP holding ``=``: the first ``=`` in ``text`` belongs to OP."""
    at = text.find("=") - operator.index("=")
    return at >= 0 and text.startswith(operator, at)


# nodesbycriteria tries the operators in this order (its patterns, as tests
# that run in linear time); the item is split at the first occurrence.
_CRITERION_OPERATORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("!=", lambda t: _first_equals_is(t, "!=")),
    ("=~", lambda t: _first_equals_is(t, "=~")),
    ("==", lambda t: "==" in t),
    ("=", lambda t: "=" in t),
    ("!~", lambda t: "!~" in t),
)
# parse_selection_string's order differs: == before =~, and a lone = must be
# followed by a value holding no other =.
_WHERE_OPERATORS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("==", lambda t: _first_equals_is(t, "==")),
    ("=~", lambda t: _first_equals_is(t, "=~")),
    ("!=", lambda t: _first_equals_is(t, "!=")),
    ("!~", lambda t: "!~" in t),
    ("=", lambda t: t.count("=") == 1 and not t.endswith("=")),
)


@dataclass(frozen=True)
class Condition:
    """One ``name<op>value`` test; ``op`` is ``==``, ``!=``, ``=~`` or ``!~`` (``=`` is read as ``==``)."""

    name: str
    op: str
    value: str
    pattern: SafePattern | None = None

    def matches(self, value: str) -> bool:
        if self.op == "==":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self.pattern is not None
        found = self.pattern.search(value)
        return found if self.op == "=~" else not found


def _condition(text: str, operators: tuple[tuple[str, Callable[[str], bool]], ...], where: str) -> Condition | None:
    for op, applies in operators:
        if applies(text):
            name, value = text.split(op, 1)
            op = "==" if op == "=" else op
            if op in ("=~", "!~"):
                value = value.removeprefix("/").removesuffix("/")  # xCAT strips one slash at each end
                return Condition(name, op, value, compile_pattern(value, where))
            return Condition(name, op, value)
    return None


def parse_criterion(text: str) -> tuple[tuple[str, str], Condition]:
    """``vm.host==kvmhost1`` as ``(("vm", "host"), condition)``.

    :raises NodeRangeError: no operator, or the name is neither ``table.column``
        nor a short name (xCAT selects nothing then, silently)
    """
    condition = _condition(text, _CRITERION_OPERATORS, text)
    if condition is None:
        raise NodeRangeError(f"no operator in {text!r}", "write table.column==value, !=, =~ or !~")
    if condition.name in SHORT_NAMES:
        return SHORT_NAMES[condition.name], condition
    table, dot, column = condition.name.partition(".")
    if not dot or not table or not column:
        raise NodeRangeError(
            f"{condition.name!r} in {text!r} names no table column",
            f"write table.column (e.g. vm.host==kvmhost1) or one of {', '.join(sorted(SHORT_NAMES))}",
        )
    return (table, column), condition


def parse_wherevals(group: str, wherevals: str) -> list[Condition]:
    """A dynamic group's ``wherevals``; a later test of the same attribute replaces an earlier one, as in xCAT.

    :raises NodeRangeError: a pair has no operator (xCAT's "incorrect attr*val pair")
    """
    conditions: dict[str, Condition] = {}
    for pair in wherevals.split("::"):
        condition = _condition(pair, _WHERE_OPERATORS, pair)
        if condition is None:
            raise NodeRangeError(
                f"dynamic group {group!r} has an incorrect attr*val pair {pair!r} in wherevals",
                "write e.g. vmhost==kvmhost1::groups=~maint",
            )
        conditions[condition.name] = condition
    return list(conditions.values())


def select_by_criterion(text: str, values: Callable[[str, str], Mapping[str, str]]) -> list[str]:
    """The nodes whose ``table.column`` meets the criterion ``text``.

    :param values: ``(table, column) -> {node: value}`` for every node with a
        row in that table; raises :class:`NodeRangeError` for an unknown column
    """
    (table, column), condition = parse_criterion(text)
    return [node for node, value in values(table, column).items() if condition.matches(value)]


def select_by_wherevals(
    group: str, wherevals: str, attribute: Callable[[str], Mapping[str, str]], nodes: list[str]
) -> list[str]:
    """The members of a dynamic group: the ``nodes`` meeting every test of ``wherevals``.

    :param attribute: node attribute name -> ``{node: value}`` for the nodes
        that have a value (the attribute ``node`` is the node's own name)
    """
    selected = nodes
    for condition in parse_wherevals(group, wherevals):
        have = {node: node for node in nodes} if condition.name == "node" else attribute(condition.name)
        selected = [node for node in selected if node in have and condition.matches(have[node])]
    return selected
