"""The noderange grammar held against xCAT's own code (issue 8.1), table-driven.

Every expected value below was produced by xCAT's ``perl-xCAT/xCAT/NodeRange.pm``,
run UNMODIFIED under perl 5.36 by ``tests/xcat_oracle/noderange_oracle.pl``
over the tables of ``tests/xcat_oracle/fixture.json``; its output is kept in
``tests/xcat_oracle/expected.json`` (xCAT's code itself is not in this
repository). Each case in the fixture names the function (or man page
passage) its value comes from.

xCAT drops a name it does not know and lists it as missing
(``nodesmissed``); vminv keeps such a name as a host to scan. So our answer
is xCAT's nodes plus its missing names, sorted naturally, except for the
deliberate differences in :data:`DIFFERENCES` (each also in README).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from vminv.errors import NodeRangeError
from vminv.scanner.noderange import NodeGroup, expand_noderange, natural_sorted

ORACLE = Path(__file__).parent / "xcat_oracle"
FIXTURE = json.loads((ORACLE / "fixture.json").read_text(encoding="utf-8"))
XCAT = json.loads((ORACLE / "expected.json").read_text(encoding="utf-8"))


class FixtureTables:
    """The fixture's tables, served as the inventory serves its own (NodeTables)."""

    def nodes(self) -> Sequence[str]:
        return list(FIXTURE["nodelist"])

    def column(self, table: str, column: str) -> Mapping[str, str]:
        if table == "nodelist" and column == "groups":
            return dict(FIXTURE["nodelist"])
        rows = FIXTURE["tables"].get(table)
        if rows is None or not any(column in row for row in rows.values()):
            raise NodeRangeError(f"table {table!r} has no column {column!r}")
        return {node: row.get(column, "") for node, row in rows.items()}

    def attribute(self, name: str) -> Mapping[str, str]:
        raise NodeRangeError(f"no node attribute {name!r}")

    def nodegroups(self) -> Mapping[str, NodeGroup]:
        return {row["groupname"]: NodeGroup(row["groupname"], row["grouptype"]) for row in FIXTURE["nodegroup"]}


def static_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for node, text in FIXTURE["nodelist"].items():
        for group in text.split(","):
            groups.setdefault(group, []).append(node)
    return groups


def ours(text: str) -> list[str]:
    return expand_noderange(
        text, static_groups(), FIXTURE["nodelist"], FixtureTables(), lambda path: (ORACLE / path).read_text()
    )


# noderange -> (our answer: names, or the fragment of our one-line error; why we differ).
DIFFERENCES: dict[str, tuple[list[str] | str, str]] = {
    "x021-x010": ("runs backwards", "xCAT's Perl string range runs x021..x999 (979 names)"),
    "node12-node10": ("runs backwards", "xCAT selects nothing silently"),
    "-(web),web": ("selects nothing", "exclusion applies last, also after parentheses (xCAT removes at once)"),
    "kvm,web@(maint)": (
        ["kvmhost1", "kvmhost2", "kvmhost3", "kvmhost10", "web1"],
        "parentheses only group: '@' binds tighter than ',' with or without them",
    ),
    "web,-^list2.txt": (["web2"], "'-' excludes a ^file's names (xCAT adds them whatever the operator)"),
    "kvm@^list2.txt": (["kvmhost2", "kvmhost3"], "'@' intersects with a ^file's names (xCAT adds them)"),
    "^list1.txt": (
        ["node11", "node13", "node14", "web1"],
        "a file's lines form one list, so '-kvmhost1' on a line excludes (xCAT evaluates each line alone)",
    ),
    "10.0.0.1+1": (["10.0.0.1", "10.0.0.2"], "'+' on an IPv4 address raises its last byte (xCAT: 11.0.0.1)"),
    "vm.nosuch==x": ("has no column 'nosuch'", "an unknown column is an error, not an empty selection"),
    "nosuch==x": ("names no table column", "an unknown attribute is an error, not an empty selection"),
    "kvm)": ("unbalanced parentheses", "a stray ')' is an error (xCAT: a missing node name)"),
    "web1@": ("needs a noderange on each side", "an empty side of '@' is an error (xCAT ignores it)"),
    "@web1": ("needs a noderange on each side", "an empty side of '@' is an error (xCAT: nothing)"),
    "/kvmhost1|web": (["kvmhost1"], "a pattern matches whole names (xCAT: ^kvmhost1|web$ anchors one side each)"),
}

# nodesmissed also lists unknown names of excluded items; those are not hosts to add.
MISSING_FROM_EXCLUSIONS = {"-node17-node32,all"}

CASES = [(text, source) for text, source in FIXTURE["ranges"]]


def test_every_case_has_xcats_answer():
    assert {text for text, _ in CASES} == set(XCAT)
    assert set(DIFFERENCES) <= set(XCAT)


@pytest.mark.parametrize("text,source", CASES, ids=[text for text, _ in CASES])
def test_same_answer_as_xcat(text: str, source: str) -> None:
    xcat = XCAT[text]
    if text in DIFFERENCES:
        expected, _why = DIFFERENCES[text]
    elif "error" in xcat:
        expected = "unbalanced parentheses"  # xCAT: "Unbalanced parentheses in noderange"
    else:
        missing = [] if text in MISSING_FROM_EXCLUSIONS else xcat["missing"]
        expected = natural_sorted(xcat["nodes"] + missing) or "selects nothing"
    if isinstance(expected, str):
        with pytest.raises(NodeRangeError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            ours(text)
    else:
        assert ours(text) == expected, source


def test_differences_are_real():
    """Each listed difference is one: our answer is not xCAT's."""
    for text, (expected, _why) in DIFFERENCES.items():
        xcat = XCAT[text]
        if isinstance(expected, list):
            assert expected != natural_sorted(xcat.get("nodes", []) + xcat.get("missing", [])), text
        else:
            assert "error" not in xcat, text  # xCAT answers these without an error


def test_natural_order_not_xcats_sort():
    """xCAT returns ``sort keys``: node10 before node2. The order here is natural."""
    assert XCAT["10-15,-13"]["nodes"] == ["node10", "node11", "node12", "node14", "node15"]
    assert XCAT["group1@group2"]["nodes"] == ["node3", "node4"]
    assert XCAT["node1-node10,-node3,-node5"]["nodes"][:3] == ["node1", "node10", "node2"]
    assert ours("node1-node10,-node3,-node5")[:3] == ["node1", "node2", "node4"]
