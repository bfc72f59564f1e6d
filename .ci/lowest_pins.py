"""Print pip constraints pinning every direct dependency (runtime and the test extra) to its lower bound.

pip has no "lowest" resolver; pinning each ``name>=X`` of pyproject.toml to
``name==X`` makes pip install exactly the oldest versions we claim to
support, so a false lower bound fails CI (see .ci/lowest-deps).
A dependency without a lower bound is an error: every bound must be stated.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
pins: dict[str, str] = {}
for requirement in requirements:
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(,.*)?", requirement.strip())
    if match is None:
        sys.exit(f"lowest_pins: {requirement!r} has no '>=' lower bound")
    name = match.group(1).lower()
    if name in pins and pins[name] != match.group(3):
        sys.exit(f"lowest_pins: {name} has two lower bounds ({pins[name]}, {match.group(3)})")
    pins[name] = match.group(3)
for name, version in sorted(pins.items()):
    print(f"{name}=={version}")
