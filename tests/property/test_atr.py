"""ATR of `compute` against a slow pure-Python Wilder reference over wall-clock windows."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import candle_frames

from calculators import Params, compute


def reference_atr(candles, lookback: int, period: int) -> list[float]:
    """For each bar: Wilder's ATR over the bars opened in (t - lookback min, t]."""
    times = list(candles.index)
    high, low, close = (candles[c].tolist() for c in ("high", "low", "close"))
    result = []
    for t in range(len(times)):
        start = times[t] - pd.Timedelta(minutes=lookback)
        window = [i for i in range(t + 1) if times[i] > start]
        ranges = []
        for k, i in enumerate(window):
            if k == 0:
                ranges.append(high[i] - low[i])
            else:
                prev = close[i - 1]
                ranges.append(max(high[i] - low[i], abs(high[i] - prev), abs(low[i] - prev)))
        seed = min(period, len(ranges))
        value = sum(ranges[:seed]) / seed
        for tr in ranges[seed:]:
            value = (value * (period - 1) + tr) / period
        result.append(value)
    return result


@given(
    candles=candle_frames(1, 40),
    lookback=st.sampled_from([1, 2, 5, 20, 60]),
    period=st.sampled_from([1, 2, 3, 14]),
)
def test_atr_matches_reference(candles, lookback, period):
    out = compute(candles, Params(lookback_period=lookback, atr_period=period))
    expected = reference_atr(candles, lookback, period)
    assert out["atr"].tolist() == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert (out["atr"] >= 0).all()
