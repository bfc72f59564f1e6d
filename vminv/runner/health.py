"""How serious each reconciliation finding is, and whether a run fails on them (pure).

The defaults follow what an operator has to do about each kind: a VM the
engine runs that no host has (``missing``) or runs twice (``duplicate_active``)
needs someone now; a guest on the wrong host or in the wrong state is a
warning; a shut-off copy left behind is information. A profile's
``[health] severity`` table changes any of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from vminv.runner.config import SEVERITIES

DEFAULT_SEVERITY: dict[str, str | None] = {
    "duplicate_active": "critical",
    "missing": "error",
    "wrong_host": "warning",
    "state_mismatch": "warning",
    "unmanaged": "warning",
    "drift": "warning",
    "not_covered": "warning",
    "stale_definition": "info",
    "ok": None,  # not a finding to act on
}


def severity_of(kind: str, overrides: Mapping[str, str]) -> str | None:
    if kind in overrides:
        return overrides[kind]
    return DEFAULT_SEVERITY.get(kind, "warning")


def count_findings(kinds: Iterable[str], overrides: Mapping[str, str]) -> Counter[tuple[str, str]]:
    """``{(severity, kind): count}`` of the findings that have a severity."""
    counts: Counter[tuple[str, str]] = Counter()
    for kind in kinds:
        severity = severity_of(kind, overrides)
        if severity is not None:
            counts[(severity, kind)] += 1
    return counts


def at_or_above(counts: Mapping[tuple[str, str], int], fail_on: str) -> int:
    """How many findings are at least as serious as ``fail_on`` (``never``: none)."""
    if fail_on not in SEVERITIES:
        return 0
    floor = SEVERITIES.index(fail_on)
    return sum(n for (severity, _), n in counts.items() if SEVERITIES.index(severity) >= floor)
