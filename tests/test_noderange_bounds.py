"""Noderanges cannot exhaust memory, the stack or the CPU (issue 7.7)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vminv.errors import NodeRangeError
from vminv.scanner.noderange import MAX_DEPTH, expand_noderange
from vminv.scanner.noderange_names import MAX_GENERATED


def one_line_error(text: str, **kwargs: object) -> str:
    with pytest.raises(NodeRangeError) as caught:
        expand_noderange(text, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_product_of_brackets_is_counted_before_expanding():
    message = one_line_error("a[1-1000]b[1-1000]c[1-1000]")
    assert "would make 1,000,000,000 names" in message
    assert f"over the cap of {MAX_GENERATED:,}" in message


def test_the_cap_holds_for_the_whole_noderange_not_each_item():
    message = one_line_error("a[1-60000],b[1-60000]")
    assert "'b[1-60000]' would make 60,000 names after 60,000 already" in message
    for text in ("n1-n60000,m1-m60000", "n1+60000,m1+60000", "n[1-300]x[1-300],m[1-300]y[1-300]"):
        assert "over the cap" in one_line_error(text)


def test_a_range_just_under_the_cap_expands():
    assert len(expand_noderange(f"n[1-{MAX_GENERATED}]")) == MAX_GENERATED


def test_deeply_nested_brackets_are_one_line_not_a_recursion_error():
    assert "brackets inside brackets" in one_line_error("a" + "[" * 20_000 + "1" + "]" * 20_000)


def test_many_brackets_in_a_row_do_not_recurse():
    assert expand_noderange("a" + "[1]" * 20_000) == ["a" + "1" * 20_000]


def test_deeply_nested_parentheses_are_refused_before_recursing():
    message = one_line_error("(" * 20_000 + "a" + ")" * 20_000)
    assert f"more than {MAX_DEPTH} deep" in message
    nested = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert expand_noderange(nested) == ["a"]


# Run in a child so that a backtracking engine shows as a hang the parent can
# end, not as a suite that never returns. RE2 answers in milliseconds.
_CATASTROPHIC = """
from vminv.scanner.noderange import expand_noderange
names = ["a" * 40 + "b", "a" * 100_000 + "b", "aaa"]
for pattern in ("/(a+)+", "/(a|aa)+", "/(a*)*c"):
    result = expand_noderange(pattern + ",aaa", known_nodes=names)
    assert result == ["aaa"], result
print("ok")
"""


def test_regex_matching_takes_linear_time_on_stored_names():
    try:
        done = subprocess.run([sys.executable, "-c", _CATASTROPHIC], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("a regex noderange backtracked: still matching after 120 s")
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


@pytest.mark.parametrize("pattern", [r"/(a)\1", "/(?=a)a", "/(?<!b)a"])
def test_backtracking_only_features_are_refused_in_one_line(pattern):
    assert "patterns are RE2 syntax" in one_line_error(pattern, known_nodes=["aa"])


def test_attribute_regexes_are_linear_too():
    class Tables:
        def nodes(self):
            return ["n1"]

        def column(self, table, column):
            return {"n1": "a" * 50_000 + "b"}

        def attribute(self, name):
            return {}

        def nodegroups(self):
            return {}

    assert "RE2" in one_line_error(r"vm.host=~(a)\1", tables=Tables())
    assert expand_noderange("vm.host=~^(a+)+$,x", tables=Tables()) == ["x"]


def test_overlong_patterns_are_refused():
    assert "over the limit" in one_line_error("/" + "a" * 5000)


def test_a_bad_pattern_with_a_line_break_stays_one_line():
    message = one_line_error("/[\na\x1b", known_nodes=["a"])
    assert "\\n" in message and "\x1b" not in message
