"""The configuration example in README's "Running on a schedule" is a file vminv accepts."""

from __future__ import annotations

import re
from pathlib import Path

from vminv.runner.config import parse_config, resolve_profile

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_parses_and_resolves():
    section = README.read_text(encoding="utf-8").split("## Running on a schedule", 1)[1]
    (example,) = re.findall(r"```toml\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    config = parse_config(example, "README.md")
    prod = resolve_profile(config, "prod")
    assert prod.write == "w" and prod.follow_moves and prod.engine is not None and prod.engine.write == "u"
    assert prod.reports is not None and prod.retention is not None and prod.retention.days == 90
    assert prod.health.fail_on == "high" and prod.health.thresholds["cpu_overcommit"] == 4.0
    lab = resolve_profile(config, "lab")
    assert lab.write is None and lab.retention is not None and lab.retention.scans == 48 and lab.engine is None
