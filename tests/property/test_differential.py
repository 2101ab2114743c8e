"""Differential properties on hypothesis candles: the per-timestamp API equals
`compute`, and `compute_from_trades` on a close-only tape equals `compute` with the
close spread and clr on the aggregated candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from strategies import candle_dicts, candle_frames, params

from calculators import (
    BacktestATRCalculator,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
    candles_from_trades,
    compute,
    compute_from_trades,
)

# explicit row sizes of 1.0 need prices above 1.0: ticks of 0.01 and up, from 1,000 ticks
row_candles = candle_frames(1, 30, ticks=(0.01, 0.25, 1.0))


@given(candles=row_candles, p=params(row_size=True), data=st.data())
def test_per_timestamp_equals_compute(candles, p, data):
    out = compute(candles, p)
    n = len(candles)
    rows = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
    for t in [*rows, n - 1]:
        # the window's first bar, then any number of older bars (they must be ignored)
        start = candles.index.searchsorted(
            candles.index[t] - pd.Timedelta(minutes=p.lookback_period), side="right"
        )
        first = data.draw(st.integers(0, int(start)))
        dicts = candle_dicts(candles.iloc[first : t + 1])
        profile = BacktestVolumeProfileCalculator(p).calculate_profile(dicts)
        flow = BacktestOrderFlowCalculator(p).calculate_flow(dicts)
        state = BacktestMarketStateCalculator(p).calculate_state(
            dicts[-1]["close"], dicts, profile, flow
        )
        atr = BacktestATRCalculator(p).calculate_atr(dicts)
        row = out.iloc[t]
        for key, value in {**profile, **flow, **state, "atr": atr}.items():
            assert value == row[key], (t, key, value, row[key])


@given(candles=candle_frames(1, 30), p=params())
def test_compute_from_close_tape_equals_compute_close_clr(candles, p):
    p = p.replace(volume_spread="close", flow_estimator="clr")
    c = candles[candles["volume"] > 1e-300]  # halves of subnormals would round to 0
    if c.empty:
        return
    half = c["volume"].to_numpy() / 2
    tape = pd.DataFrame(
        {
            "ts": np.concatenate(
                [c.index + pd.Timedelta(seconds=5), c.index + pd.Timedelta(seconds=59)]
            ),
            "price": np.concatenate([c["close"].to_numpy()] * 2),
            "amount": np.concatenate([half, half]),
            "side": ["sell"] * len(c) + ["buy"] * len(c),
        }
    ).sort_values("ts", kind="stable")
    aggregated = candles_from_trades(tape)
    assert (aggregated["high"] == aggregated["low"]).all()
    assert (aggregated["close"] == c["close"]).all()
    exact = compute_from_trades(tape, p)
    from_candles = compute(aggregated[["open", "high", "low", "close", "volume"]], p)
    pd.testing.assert_frame_equal(exact, from_candles, check_exact=True, check_names=False)
