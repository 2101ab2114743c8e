"""The whole-series kernel reuses each bar's rows while the row size stays the
same; prices that cross a power of ten flip the automatic row size (9.99 ->
1e-4, 10.01 -> 1e-3), so its rows must be recomputed for the window each time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calculators import BacktestVolumeProfileCalculator, Params, compute


def test_row_size_flips_give_the_same_profile_as_the_per_timestamp_api():
    rng = np.random.default_rng(3)
    n = 400
    close = 10.0 + np.cumsum(rng.normal(0, 0.004, n)).clip(-0.05, 0.05)
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + rng.uniform(0, 0.003, n)
    low = np.minimum(open_, close) - rng.uniform(0, 0.003, n)
    index = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC").as_unit("ns")
    candles = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": rng.uniform(1, 9, n)},
        index=index,
    )
    assert (close < 10).any() and (close >= 10).any()  # the automatic row size does flip
    for spread in ("close", "uniform", "typical"):
        params = Params(volume_spread=spread, lookback_period=30)
        batch = compute(candles, params)
        calc = BacktestVolumeProfileCalculator(params)
        records = [dict(ts=t, **row) for t, row in zip(index, candles.to_dict("records"), strict=True)]
        for i in range(0, n, 7):
            got = calc.calculate_profile(records[: i + 1])
            assert (got["poc"], got["vah"], got["val"]) == tuple(batch.iloc[i][["poc", "vah", "val"]])
