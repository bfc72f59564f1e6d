"""libvirt memory units (``<memory unit=...>``) converted to KiB."""

from __future__ import annotations

# libvirt's scaled-integer units (docs: formatdomain.html#memory-allocation).
# A missing unit means KiB. Single letters and *iB are binary, *B are decimal.
_BYTES_PER_UNIT: dict[str, int] = {
    "b": 1,
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


def _unit_key(unit: str) -> str:
    # "KB" (decimal) and "k"/"KiB" (binary) differ only by case for the short
    # forms, so keep "B" significant: lower-case everything, but "KB" -> "kb".
    return unit.strip().lower()


def to_kib(value: str | int, unit: str | None) -> int:
    """Convert a libvirt scaled integer to KiB, rounding up partial KiB.

    Raises ValueError naming the unit when it is not one libvirt knows.
    """
    amount = int(str(value).strip())
    if amount < 0:
        raise ValueError(f"negative memory size {amount}")
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
