"""xCAT noderange forms (noderange(3)), expanded by scanner.noderange."""

from __future__ import annotations

import pytest

from vminv.errors import NodeRangeError, UsageError
from vminv.scanner.noderange import expand_noderange, natural_key, natural_sorted

KNOWN = ["kvm1", "kvm2", "kvm10", "kvmhost1", "web01", "node5", "node-a", "vm-größe", "虚拟机1", "rack1-spare"]
GROUPS = {
    "compute": ["kvm1", "kvm2", "kvm10"],
    "all": KNOWN,
    "rack1": ["r1n1", "r1n2"],
    "rack2": ["r2n1"],
    "rack3": ["r3n1"],
    "kvm1": ["shadowed"],  # a node of the same name wins over the group
}


def expand(text: str) -> list[str]:
    return expand_noderange(text, GROUPS, KNOWN)


def nodes(prefix: str, first: int, last: int, width: int = 0) -> list[str]:
    return [f"{prefix}{n:0{width}d}" for n in range(first, last + 1)]


FORMS = [
    ("a,b", ["a", "b"]),
    (" a , b ", ["a", "b"]),
    ("'a,b'", ["a", "b"]),  # quotes kept by a shell script are stripped
    ("a,,b", ["a", "b"]),
    ("node01-node10", nodes("node", 1, 10, 2)),
    ("node01:node10", nodes("node", 1, 10, 2)),
    ("node8-node11", ["node8", "node9", "node10", "node11"]),
    ("kvmhost[1-4]", nodes("kvmhost", 1, 4)),
    ("kvmhost[01:03]", nodes("kvmhost", 1, 3, 2)),
    ("f[1-2]n[1-3]", ["f1n1", "f1n2", "f1n3", "f2n1", "f2n2", "f2n3"]),
    ("node001-node010", nodes("node", 1, 10, 3)),
    ("n[08-11]", ["n08", "n09", "n10", "n11"]),
    ("a[1,3,5]", ["a1", "a3", "a5"]),
    ("a[1,3-4],b", ["a1", "a3", "a4", "b"]),
    ("node10+3", ["node10", "node11", "node12", "node13"]),
    ("node098+3", ["node098", "node099", "node100", "node101"]),
    ("f1n10+2", ["f1n10", "f1n11", "f1n12"]),
    ("rack1-node01-rack1-node03", ["rack1-node01", "rack1-node02", "rack1-node03"]),  # middle dash splits
    ("10.0.0.1-10.0.0.3", ["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
    ("kvm-a", ["kvm-a"]),  # a dash that is not a range
    ("kvm-host-01", ["kvm-host-01"]),  # even number of dashes: a name
    ("host-1", ["host-1"]),
    ("db-a-db-b", ["db-a-db-b"]),  # splits in the middle, but no number differs
    ("fe80::1", ["fe80::1"]),
    ("node1-node1", ["node1"]),  # a range of one
    ("n[3-3,5]", ["n3", "n5"]),
    ("node5+0", ["node5"]),
    ("kvm-kvm", ["kvm-kvm"]),
]


@pytest.mark.parametrize("text,expected", FORMS, ids=[f[0] for f in FORMS])
def test_xcat_forms(text, expected):
    assert expand(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("/kvm.*", ["kvm1", "kvm2", "kvm10", "kvmhost1"]),
        ("/kvm[12]", ["kvm1", "kvm2"]),  # anchored: kvm10 does not match
        ("/r.n1", ["r1n1", "r2n1", "r3n1"]),  # group members count as known names
        ("/vm-.*", ["vm-größe"]),
    ],
)
def test_regex_against_known_nodes(text, expected):
    assert expand(text) == expected


def test_regex_is_not_matched_against_names_typed_elsewhere_in_the_range():
    assert expand("newhost1,/newhost.*") == ["newhost1"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("compute", ["kvm1", "kvm2", "kvm10"]),
        ("compute,web01", ["kvm1", "kvm2", "kvm10", "web01"]),
        ("rack1-rack3", ["r1n1", "r1n2", "r2n1", "r3n1"]),  # a range of group names
        ("rack[2-3]", ["r2n1", "r3n1"]),
        ("rack1+1", ["r1n1", "r1n2", "r2n1"]),
        ("kvm1", ["kvm1"]),  # node wins over group
        ("rack1-spare", ["rack1-spare"]),  # a known node that looks like a range
    ],
)
def test_group_names(text, expected):
    assert expand(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("all,-node5", [n for n in natural_sorted(KNOWN) if n != "node5"]),
        ("-node5,all", [n for n in natural_sorted(KNOWN) if n != "node5"]),  # exclusion applies last
        ("compute,-kvm2", ["kvm1", "kvm10"]),
        ("all,-compute", natural_sorted(set(KNOWN) - {"kvm1", "kvm2", "kvm10"})),
        ("all,-/kvm.*", natural_sorted(n for n in KNOWN if not n.startswith("kvm"))),
        ("node01-node10,-node03-node08", ["node01", "node02", "node09", "node10"]),
        ("kvmhost[1-4],-kvmhost[2-3]", ["kvmhost1", "kvmhost4"]),
        ("all,-vm-größe", natural_sorted(set(KNOWN) - {"vm-größe"})),
    ],
)
def test_exclusion(text, expected):
    assert expand(text) == expected


def test_deduplicated_and_sorted_naturally():
    assert expand("n10,n2,n1,n2,n[1-2]") == ["n1", "n2", "n10"]
    assert expand("compute,kvm1,kvm[1-2]") == ["kvm1", "kvm2", "kvm10"]


def test_natural_key_orders_numbers_by_value():
    names = ["kvmhost10", "kvmhost9", "kvmhost1", "b", "a10", "a9", "10", "9"]
    assert sorted(names, key=natural_key) == ["9", "10", "a9", "a10", "b", "kvmhost1", "kvmhost9", "kvmhost10"]


def test_non_ascii_known_nodes_are_taken_as_they_are():
    assert expand("虚拟机1,vm-größe") == ["vm-größe", "虚拟机1"]


def test_without_groups_or_known_nodes():
    assert expand_noderange("kvmhost[1-2],web01") == ["kvmhost1", "kvmhost2", "web01"]
    assert expand_noderange("kvmhost1", None) == ["kvmhost1"]


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "empty noderange"),
        ("   ", "empty noderange"),
        ("''", "empty noderange"),
        ("node10-node01", "runs backwards"),
        ("node10:node01", "runs backwards"),
        ("n[5-1]", "runs backwards"),
        ("kvmhost[1-4", "unbalanced brackets"),
        ("kvmhost1-4]", "unbalanced brackets"),
        ("a]b[", "unbalanced brackets"),
        ("kvmhost[1-4]]", "unbalanced brackets"),
        ("n[]", "empty item in brackets"),
        ("n[1,,2]", "empty item in brackets"),
        ("-node5", "selects nothing"),
        ("/nomatch.*", "selects nothing"),
        (",", "selects nothing"),
        ("/[", "bad regular expression"),
        ("node1-node200000", "would make 200,000 names, over the cap of 100,000"),
        ("node*", "not a host name"),  # a shell glob, not a pattern
        ("a+b", "not a host name"),
        ("-", "not a host name"),
        ("a,b;rm -rf /", "not a host name"),
        ("a@b", "selects nothing"),  # the intersection of two unrelated hosts
        ("all,-node*", "not a host name"),
        ("größe", "not a host name"),  # not known, and not a DNS name
    ],
)
def test_errors_are_node_range_errors(text, fragment):
    with pytest.raises(NodeRangeError) as caught:
        expand(text)
    assert isinstance(caught.value, UsageError)  # the CLI maps it to the usage exit code
    message = str(caught.value)
    assert fragment in message and "\n" not in message


def test_file_lines_may_end_in_crlf():
    text = "node01\r\n# a comment\r\nnode02: a note\r\n"
    assert expand_noderange("^hosts", read_file=lambda path: text) == ["node01", "node02"]


def test_files_and_attributes_need_what_reads_them():
    with pytest.raises(NodeRangeError, match=r"noderange file \^hosts cannot be read here"):
        expand_noderange("^hosts")
    with pytest.raises(NodeRangeError, match="selects by attribute, which needs an inventory"):
        expand_noderange("vm.host==kvmhost1")
