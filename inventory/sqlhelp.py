"""Small SQL helpers shared by the store and the queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

# Below SQLite's default limit of host parameters per statement.
CHUNK = 900


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """``values`` in slices small enough for one ``IN (?, ?, ...)``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
