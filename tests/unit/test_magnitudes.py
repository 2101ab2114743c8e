"""`calculators.validate.check_magnitudes`: the bounds, hand-computed (issue 8).

The guard refuses what would overflow an integer in the kernels; these cases
sit on either side of each bound, so a bound moved or a window computed
wrongly fails here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculators import InvalidInputError
from calculators.timeutil import MINUTE_NS
from calculators.validate import MAX_GRID_ROW, check_magnitudes

T0 = pd.Timestamp("2025-01-01", tz="UTC").value


def check(high, close, *, minutes=(0,), volume=None, row_size=None, lookback=60, low=None):
    times = np.asarray([T0 + m * MINUTE_NS for m in minutes], dtype=np.int64)
    high = np.asarray(high, dtype=float)
    close = np.asarray(close, dtype=float)
    volume = np.ones(len(times)) if volume is None else np.asarray(volume, dtype=float)
    low = None if low is None else np.asarray(low, dtype=float)
    check_magnitudes(times, high, close, volume, row_size, lookback, low=low)


def test_the_row_bound_is_inclusive_with_an_explicit_row_size():
    check([float(MAX_GRID_ROW)], [1.0], row_size=1.0)  # row 2^52 exactly: allowed
    with pytest.raises(InvalidInputError, match=r"candle row 0 .*too large"):
        check([2.0 * MAX_GRID_ROW], [1.0], row_size=1.0)


def test_the_automatic_row_size_is_a_basis_point_power_of_ten():
    # close 100 -> row size 0.01, so the bound is a high of 2^52 * 0.01 = 4.5e13
    check([4.5e13], [100.0])
    with pytest.raises(InvalidInputError, match=r"row of 0\.01"):
        check([4.6e13], [100.0])


def test_the_high_counts_in_every_window_that_holds_it():
    """Bar 0 has a high of 1e12 (its own row size 1e8: fine); bar 1 closes at 1
    (row size 1e-4), so a window holding both spans 1e16 rows > 2^52."""
    high, close = [1e12, 1.0], [1e12, 1.0]
    with pytest.raises(InvalidInputError, match=r"candle row 1 .*1000000000000\.0"):
        check(high, close, minutes=(0, 2), lookback=60)
    check(high, close, minutes=(0, 2), lookback=2)  # window (t - 2 min, t]: bar 1 alone


def test_a_low_below_the_row_size_is_refused_when_given():
    # close 100 -> row size 0.01; a low of 0.005 would sit in row 0 (price 0)
    check([101.0], [100.0], low=[0.01])
    with pytest.raises(InvalidInputError, match="below the profile row"):
        check([101.0], [100.0], low=[0.005])
    check([101.0], [100.0])  # the loaders do not pass lows


def test_subnormal_row_sizes_are_refused():
    check([1e-300], [1e-300])  # row size 1e-304: a normal float
    with pytest.raises(InvalidInputError, match="too small"):
        check([5e-324], [5e-324])
    with pytest.raises(InvalidInputError, match="too small"):
        check([1.0], [1.0], row_size=5e-324)


def test_a_window_reaching_before_1678_is_refused():
    early = pd.Timestamp("1678-01-01", tz="UTC").value
    times = np.array([early + 60 * MINUTE_NS], dtype=np.int64)
    one = np.ones(1)
    check_magnitudes(times, one, one, one, None, 60)
    with pytest.raises(InvalidInputError, match="too early"):
        check_magnitudes(times, one, one, one, None, 61)


def test_a_volume_total_that_overflows_names_the_bar():
    check([1.0] * 3, [1.0] * 3, minutes=(0, 1, 2), volume=[1e308, 1e307, 0.0])
    with pytest.raises(InvalidInputError, match=r"candle row 2 .*overflows"):
        check([1.0] * 3, [1.0] * 3, minutes=(0, 1, 2), volume=[1e308, 1e307, 1e308])
