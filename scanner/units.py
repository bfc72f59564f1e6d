"""libvirt memory units (``<memory unit=...>``) converted to KiB, and the ranges libvirt's
integers can take.

Every integer the scanner accepts from a host (domain XML, capabilities, node
info, a replay's ``host.json``) is bounded here, by what libvirt itself can
hold: a value beyond that did not come from libvirt, and unbounded it would
overflow SQLite's 64-bit INTEGER when the scan is recorded.
"""

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
_SIGNED_NUMBER = re.compile(r"[-+]?[0-9]+", re.ASCII)

# libvirt keeps counts (vCPUs, sockets, cores, threads, CPUs) in C ``unsigned int``,
# domain ids in ``int``, and memory as at most LLONG_MAX bytes (virMemoryMaxValue),
# i.e. 2**53 KiB once rounded up to whole KiB.
COUNT_MAX = 2**32 - 1
DOMAIN_ID_MAX = 2**31 - 1
MEMORY_KIB_MAX = 2**53
PORT_MAX = 65535
# More digits than any bounded value has: refused before int() spends time on them.
_MAX_DIGITS = 24


def shown_value(text: str) -> str:
    """``text`` quoted for a one-line message, cut short when long."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def bounded_int(value: str | int, what: str, maximum: int, minimum: int = 0) -> int:
    """A whole number from ``value`` (ASCII digits, as libvirt writes them) within bounds.

    Raises ValueError naming ``what`` and the allowed range.
    """
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        # The usual case, as libvirt writes it: plain ASCII digits. The rules below give the same.
        number = int(value)
        if minimum <= number <= maximum:
            return number
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{what} is not an integer: {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        # int() alone would take "1_000" or non-ASCII digits; libvirt writes neither.
        if not _SIGNED_NUMBER.fullmatch(text):
            raise ValueError(f"{what} is not an integer: {shown_value(text)}")
        if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
            raise ValueError(f"{what} {shown_value(text)} is out of range ({minimum} to {maximum})")
        value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError(f"{what} {shown_value(str(value))} is out of range ({minimum} to {maximum})")
    return value


def _unit_key(unit: str) -> str:
    # libvirt matches units case-insensitively ("Kb" and "kB" are decimal,
    # "K" and "KIB" binary), so lower-casing loses nothing.
    return unit.strip().lower()


def to_kib(value: str | int, unit: str | None) -> int:
    """Convert a libvirt scaled integer to KiB, rounding up partial KiB.

    Raises ValueError naming the unit when it is not one libvirt knows, or
    the value when it is not a whole number libvirt would take.
    """
    if unit == "KiB" and type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        # What libvirt writes for every size: KiB digits. The rules below give the same.
        amount = int(value)
        if amount <= MEMORY_KIB_MAX:
            return amount
    text = value if type(value) is str and value.isascii() and value.isdigit() else str(value).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        # int() alone would take "1_000", "-5" or non-ASCII digits; libvirt takes
        # none of those, so neither do we.
        raise ValueError(f"size {shown_value(text)} is not a whole number")
    if len(text.lstrip("+").lstrip("0")) > _MAX_DIGITS:
        raise ValueError(f"size {shown_value(text)} is out of range (at most {MEMORY_KIB_MAX} KiB)")
    amount = int(text)
    key = _unit_key(unit) if unit else "kib"
    try:
        factor = _BYTES_PER_UNIT[key]
    except KeyError:
        raise ValueError(f"unknown memory unit {unit!r}") from None
    total_bytes = amount * factor
    kib = -(-total_bytes // 1024)  # ceiling: libvirt rounds up to whole KiB too
    if kib > MEMORY_KIB_MAX:
        raise ValueError(f"size {shown_value(text)} {unit or 'KiB'} is out of range (at most {MEMORY_KIB_MAX} KiB)")
    return kib


def kib_to_mib_text(kib: int) -> str:
    """MiB as the rscan table shows it: an integer when exact, else two decimals."""
    if kib % 1024 == 0:
        return str(kib // 1024)
    return f"{kib / 1024:.2f}"


_BINARY_UNITS = (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def bytes_text(size: int) -> str:
    """A size for people, exact: ``20 GiB`` when a whole number of a binary unit, else
    ``20.01 GiB (21485322240 bytes)``, so two sizes that differ never read the same."""
    for unit, factor in _BINARY_UNITS:
        if size >= factor:
            if size % factor == 0:
                return f"{size // factor} {unit}"
            return f"{size / factor:.2f} {unit} ({size} bytes)"
    return f"{size} bytes"


# libvirt reads a MAC as six parts of one or two hex digits joined by ':'
# (virMacAddrParse) and prints each part as two lower-case digits; a domain
# XML libvirt wrote always has that form.
_MAC = re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}", re.ASCII)
_CANONICAL_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}", re.ASCII)
MAC_RULE = "six hex pairs joined by ':', as libvirt writes it"


def canonical_mac(text: str) -> str:
    """``text`` as libvirt prints a MAC address (``52:54:00:0a:00:01``).

    Raises ValueError quoting the value when it is no MAC address libvirt would read.
    """
    if _CANONICAL_MAC.fullmatch(text):  # as libvirt writes it: nothing to change
        return text
    stripped = text.strip(" \t\r\n")
    if not _MAC.fullmatch(stripped):
        raise ValueError(f"{shown_value(text)} is not a MAC address ({MAC_RULE})")
    return ":".join(f"{int(part, 16):02x}" for part in stripped.split(":"))


def is_canonical_mac(text: str) -> bool:
    """Whether ``text`` is a MAC address exactly as :func:`canonical_mac` writes it."""
    return _CANONICAL_MAC.fullmatch(text) is not None
