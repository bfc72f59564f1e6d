"""The test stanza reader agrees with xCAT's readFileInput on 400 random texts.

Expected values: xCAT's DBobjUtils.pm readFileInput run unmodified under perl
5.36 (tests/xcat_oracle/stanza_oracle.pl, made by make_stanza_cases.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.xcat_stanza_reader import read_stanza

CASES = json.loads((Path(__file__).parent / "xcat_oracle" / "stanza_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=range(len(CASES)))
def test_reader_reads_what_xcat_reads(case):
    read = read_stanza(case["text"])
    xcat = case["xcat"]
    assert read.names == xcat["names"]
    assert read.objects == xcat["objects"]
    # Perl autovivifies an empty defaults hash for each objtype it looks up; None is Perl's undef type.
    assert {("" if k is None else k): v for k, v in read.defaults.items()} == {k: v for k, v in xcat["defaults"].items() if v}
