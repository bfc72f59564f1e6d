"""Noderange forms through rscan: files, exclusion, intersection, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from vminv.cli.rscan import cli

REPLAY = Path(__file__).resolve().parent.parent / "fixtures" / "replay"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def scanned_hosts(*args: str) -> list[str]:
    result = run(*args, "--replay", str(REPLAY), "--no-db", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [host["name"] for host in json.loads(result.stdout)["hosts"]]


def test_file_exclusion_and_intersection(tmp_path):
    listing = tmp_path / "hosts"
    listing.write_text("# hosts\nkvmhost1\nkvmhost3: the last\n", encoding="utf-8")
    assert scanned_hosts(f"^{listing}") == ["kvmhost1", "kvmhost3"]
    assert scanned_hosts("kvmhost[1-3],-kvmhost2") == ["kvmhost1", "kvmhost3"]
    assert scanned_hosts(f"kvmhost[1-3]@^{listing},-kvmhost3") == ["kvmhost1"]
    assert scanned_hosts("kvmhost1+1,-(kvmhost1)") == ["kvmhost2"]


def test_refusals_are_one_line_with_the_usage_status(tmp_path):
    cases = {
        "a[1-1000]b[1-1000]c[1-1000]": "would make 1,000,000,000 names, over the cap of 100,000",
        "vm.host==kvmhost1": "selects by attribute, which needs an inventory",
        "/(a)\\1": "patterns are RE2 syntax",
        f"^{tmp_path}/none": "cannot read noderange file",
        "(" * 40 + "a" + ")" * 40: "more than 32 deep",
    }
    for text, fragment in cases.items():
        result = run(text, "--replay", str(REPLAY), "--no-db")
        assert result.exit_code == 2, (text, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (text, result.stderr)
