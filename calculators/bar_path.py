"""A bar's likely path: open -> the nearer extreme -> the other extreme -> close.

One definition, used by the ``"path"`` flow estimator (`calculators.order_flow`)
and the ``"path"`` volume spread (`calculators.volume_profile`), on prices or
on profile rows alike.
"""

from __future__ import annotations

from numba import njit

__all__ = ["path_legs"]


@njit(cache=True)
def path_legs(low, high, close, open_):
    """``(first, second)``: the extremes (``low`` or ``high``) the bar visits
    first and second.

    The one nearer the open comes first.  When both are equally near, the one
    farther from the close comes first (so the last leg, to the close, is the
    shorter one); when that ties too, the high comes first.  Works on prices
    or on integer rows.
    """
    up = high - open_
    down = open_ - low
    if up < down:
        return high, low
    if down < up:
        return low, high
    if high - close < close - low:
        return low, high
    return high, low
