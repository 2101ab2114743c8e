"""Time helpers shared by every layer: `MINUTE_NS` and `utc_time`.

The bottom of the project (imports nothing of it but `calculators.errors`),
so ``backtest``, the world builders of ``fixtures/`` and ``parity`` use these
instead of their own copies.
"""

from __future__ import annotations

import pandas as pd

from calculators.errors import InvalidInputError

__all__ = ["MINUTE_NS", "utc_time"]

#: One minute in nanoseconds (the unit of a UTC `DatetimeIndex`'s int64 values).
MINUTE_NS = 60_000_000_000


def utc_time(value: object, name: str = "time") -> pd.Timestamp:
    """``value`` as a UTC `pandas.Timestamp` with nanosecond unit.

    A naive time is taken as UTC; an aware one is converted.  Anything that is
    not a time raises `InvalidInputError` naming ``name`` and ``value``.

    >>> utc_time("2025-01-01T01:00+01:00")
    Timestamp('2025-01-01 00:00:00+0000', tz='UTC')
    >>> utc_time("2025-01-01").value % MINUTE_NS
    0
    >>> utc_time("soon", "start")
    Traceback (most recent call last):
    ...
    calculators.errors.InvalidInputError: start 'soon' is not a time: ...
    """
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} {value!r} is not a time: {exc}") from None
    if t is pd.NaT:
        raise InvalidInputError(f"{name} {value!r} is not a time")
    try:
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        return t.as_unit("ns")
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        raise InvalidInputError(
            f"{name} {value!r} is outside 1677-09-22 .. 2262-04-11 (nanoseconds since 1970)"
        ) from None
