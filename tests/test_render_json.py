"""render_json: the bytes of escaping the whole text at once, by whichever path it takes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vminv.cli.output import render_json
from vminv.textsafe import json_terminal_safe


def _guests(title: str) -> dict[str, Any]:
    guests = [{"name": f"vm{i}", "title": "虚拟机" if i % 3 else None, "nics": [{"mac": None}]} for i in range(50)]
    guests[17]["title"] = title
    return {"scan": {"id": 3, "noderange": "kvmhost[1-2]"}, "guests": guests, "write": {"new": 50}}


@pytest.mark.parametrize("title", ["größe", "web\u202eexe", "a\x7fb", "a\u200bb", "\x9b31m"],
                         ids=["printable", "bidi", "DEL", "zero-width", "C1"])
def test_same_bytes_as_escaping_the_whole_text(title):
    document = _guests(title)
    expected = json_terminal_safe(json.dumps(document, ensure_ascii=False, indent=2)) + "\n"
    assert render_json(document) == expected.encode("utf-8")
    assert json.loads(render_json(document)) == document
