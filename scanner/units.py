"""libvirt memory units (``<memory unit=...>``) converted to KiB."""

from __future__ import annotations

import re

# libvirt's scaled-integer units (docs: formatdomain.html#memory-allocation).
# A missing unit means KiB. Single letters and *iB are binary, *B are decimal.
# libvirt compares them case-insensitively ("kb" is decimal, "KIB" binary) and
# also takes "byte"; checked against libvirt 9.0's test driver.
_BYTES_PER_UNIT: dict[str, int] = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "kb": 10**3,
    "k": 2**10,
    "kib": 2**10,
    "mb": 10**6,
    "m": 2**20,
    "mib": 2**20,
    "gb": 10**9,
    "g": 2**30,
    "gib": 2**30,
    "tb": 10**12,
    "t": 2**40,
    "tib": 2**40,
    "pb": 10**15,
    "p": 2**50,
    "pib": 2**50,
    "eb": 10**18,
    "e": 2**60,
    "eib": 2**60,
}


_WHOLE_NUMBER = re.compile(r"\+?[0-9]+", re.ASCII)


def _unit_key(unit: str) -> str:
    # libvirt matches units case-insensitively ("Kb" and "kB" are decimal,
    # "K" and "KIB" binary), so lower-casing loses nothing.
    return unit.strip().lower()


def to_kib(value: str | int, unit: str | None) -> int:
    """Convert a libvirt scaled integer to KiB, rounding up partial KiB.

    Raises ValueError naming the unit when it is not one libvirt knows, or
    the value when it is not a whole number libvirt would take.
    """
    text = str(value).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        # int() alone would take "1_000", "-5" or non-ASCII digits; libvirt takes
        # none of those, so neither do we.
        raise ValueError(f"size {text!r} is not a whole number")
    amount = int(text)
    key = _unit_key(unit) if unit else "kib"
    try:
        factor = _BYTES_PER_UNIT[key]
    except KeyError:
        raise ValueError(f"unknown memory unit {unit!r}") from None
    total_bytes = amount * factor
    return -(-total_bytes // 1024)  # ceiling: libvirt rounds up to whole KiB too


def kib_to_mib_text(kib: int) -> str:
    """MiB as the rscan table shows it: an integer when exact, else two decimals."""
    if kib % 1024 == 0:
        return str(kib // 1024)
    return f"{kib / 1024:.2f}"
