"""Durations given by a user (timeouts, waits): one check for every command and library.

``float("nan")`` compares false with everything, so range checks written as
``value <= 0`` let it through; ``inf`` passes ``> 0`` and then breaks the
socket and sleep calls underneath. Both are refused here, once.
"""

from __future__ import annotations

import math

from vminv.errors import UsageError

MAX_SECONDS = 86400.0  # a day: longer is a typo, and some socket timeouts overflow far beyond


def check_seconds(value: float, what: str, *, low: float = 0.0, high: float = MAX_SECONDS,
                  zero_ok: bool = False) -> float:
    """``value`` when it is a finite number of seconds in range, else a one-line error.

    :param what: the option or field, for the message (``--timeout``).
    :param low: the smallest value allowed (itself allowed only with ``zero_ok``
        when it is 0).
    :raises UsageError: NaN, infinite, out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"{what} must be a number of seconds, not {value!r}", f"give e.g. {what} 30")
    too_low = value < low or (value == low == 0 and not zero_ok)
    if too_low or value > high:
        span = f"from {low:g} to {high:g}" if (zero_ok or low > 0) else f"more than 0 and at most {high:g}"
        raise UsageError(f"{what} must be {span} seconds, not {value:g}")
    return float(value)
