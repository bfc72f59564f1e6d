"""Any text as a noderange: names, or one NodeRangeError line; never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_noderange_xcat import FixtureTables, static_groups
from vminv.errors import NodeRangeError
from vminv.scanner.noderange import expand_noderange

GRAMMAR = st.text(alphabet="kvmhost0129-+:,@()[]^/=!~.#*|\\ 'a\n\x1b", max_size=40)


def read_file(path: str) -> str:
    raise NodeRangeError(f"cannot read noderange file {path!r}")


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(GRAMMAR | st.text(max_size=30) | GRAMMAR.map(lambda t: "/" + t) | GRAMMAR.map(lambda t: "vm.host=~a" + t))
def test_noderange_never_raises_anything_else(text):
    try:
        names = expand_noderange(text, static_groups(), ["kvmhost1", "kvmhost2"], FixtureTables(), read_file)
    except NodeRangeError as exc:
        assert "\n" not in str(exc)
    else:
        assert names and len(names) == len(set(names))
