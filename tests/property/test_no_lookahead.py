"""No look-ahead: a row of `compute` depends on bars up to its own only."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from strategies import candle_frames, params, tick_paths, volumes

from calculators import compute

row_candles = candle_frames(2, 40, ticks=(0.01, 0.25, 1.0))


@given(candles=row_candles, p=params(row_size=True), data=st.data())
def test_prefix_equals_restriction(candles, p, data):
    full = compute(candles, p)
    n = len(candles)
    for k in data.draw(st.lists(st.integers(1, n), min_size=1, max_size=4, unique=True)):
        pd.testing.assert_frame_equal(compute(candles.iloc[:k], p), full.iloc[:k], check_exact=True)


@given(candles=row_candles, p=params(row_size=True), data=st.data())
def test_changing_later_candles_changes_no_earlier_row(candles, p, data):
    n = len(candles)
    t = data.draw(st.integers(0, n - 2))
    later = n - 1 - t
    # new later bars: another price path (same tick and level), other volumes, and
    # possibly more or fewer of them
    tick = 0.01 if candles["low"].min() < 1000 * 0.25 else 0.25
    path = data.draw(tick_paths(later, later + 5))
    level = round(candles["close"].iloc[t] / tick)
    rows = [
        (
            (o - path[0][0] + level) * tick,
            (h - path[0][0] + level) * tick,
            (lo - path[0][0] + level) * tick,
            (c - path[0][0] + level) * tick,
            data.draw(volumes),
        )
        for o, h, lo, c in path
    ]
    minutes = [1 + k for k in range(len(rows))]
    tail = pd.DataFrame(
        rows,
        columns=["open", "high", "low", "close", "volume"],
        index=(candles.index[t] + pd.to_timedelta(minutes, unit="min")).rename("ts"),
    )
    if tail["low"].min() <= (p.row_size or 0):
        return  # an explicit row size must stay below every low
    changed = pd.concat([candles.iloc[: t + 1], tail])
    before = compute(candles, p).iloc[: t + 1]
    after = compute(changed, p).iloc[: t + 1]
    pd.testing.assert_frame_equal(after, before, check_exact=True)
