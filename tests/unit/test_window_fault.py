"""The per-window magnitude guard of the per-timestamp and streaming paths
(`window_fault`) applies the whole-series guard's rules (`check_magnitudes`):
differential on random extreme candles, then the two paths refuse such a bar
and the streaming calculator is left unchanged."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import frame

from calculators import (
    BacktestATRCalculator,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    InvalidInputError,
    Params,
    StreamingCalculator,
    compute,
)
from calculators.series import window_starts
from calculators.timeutil import MINUTE_NS
from calculators.validate import check_magnitudes, window_fault

PRICES = st.sampled_from([1e-300, 1e-200, 1e-9, 0.5, 3.0, 1e4, 1e12, 1e15, 1e19, 1e100, 1e300])


@given(
    lows=st.lists(PRICES, min_size=1, max_size=12),
    spans=st.lists(st.sampled_from([0.0, 1.0, 10.0]), min_size=12, max_size=12),
    lookback=st.sampled_from([1, 3, 60]),
    row_size=st.sampled_from([None, 1e-310, 1e-8, 1.0]),
)
def test_window_fault_agrees_with_check_magnitudes(lows, spans, lookback, row_size):
    n = len(lows)
    low = np.asarray(lows)
    high = low * (1.0 + np.asarray(spans[:n]))
    close = low.copy()
    volume = np.ones(n)
    times = pd.DatetimeIndex(
        [pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(minutes=k) for k in range(n)]
    ).asi8
    starts = window_starts(times, lookback)
    codes = [
        window_fault(times, high, low, close, volume, int(starts[t]), t, row_size or 0.0,
                     lookback * MINUTE_NS)[0]
        for t in range(n)
    ]  # fmt: skip
    for t in range(n):
        try:
            check_magnitudes(times[: t + 1], high[: t + 1], close[: t + 1], volume[: t + 1],
                             row_size, lookback, low=low[: t + 1])  # fmt: skip
            refused = False
        except InvalidInputError:
            refused = True
        assert refused == any(codes[: t + 1]), (t, codes)


def test_streaming_and_per_timestamp_refuse_an_extreme_bar():
    candles = frame([(10, 12, 9, 11, 5.0), (11, 11, 10, 10, 3.0)])
    extreme = {"ts": pd.Timestamp("2024-03-01 00:02", tz="UTC"), "open": 10.0,
               "high": 1e19, "low": 10.0, "close": 10.0, "volume": 1.0}  # fmt: skip
    stream = StreamingCalculator(Params())
    for ts, row in candles.iterrows():
        stream.update({"ts": ts, **row.to_dict()})
    before = stream.snapshot()
    with pytest.raises(InvalidInputError, match=r"candle 2024-03-01 00:02:00\+00:00: a high"):
        stream.update(extreme)
    assert stream.snapshot() == before
    dicts = [{"ts": ts, **row.to_dict()} for ts, row in candles.iterrows()]
    with pytest.raises(InvalidInputError, match=r"candle row 2 \(2024-03-01 00:02:00\+00:00\)"):
        BacktestOrderFlowCalculator().calculate_flow([*dicts, extreme])
    # the whole-series path refuses the same bar
    whole = pd.concat([candles, pd.DataFrame([extreme]).set_index("ts")])
    with pytest.raises(InvalidInputError):
        compute(whole)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("high", 1e151, re.escape("high 1e+151 is above 1e+150")),
     ("volume", 1e301, re.escape("volume 1e+301 is above 1e+300"))],
)  # fmt: skip
def test_prices_and_volumes_beyond_the_bounds_are_refused_on_every_path(column, value, message):
    """Bounds under which every sum, square and product of the kernels stays
    finite; the same rule on the whole-series, per-timestamp and streaming paths."""
    candles = frame([(10.0, 12.0, 9.0, 11.0, 5.0), (11.0, 11.0, 10.0, 10.0, 3.0)])
    candles.iloc[1, candles.columns.get_loc(column)] = value
    with pytest.raises(InvalidInputError, match=message):
        compute(candles)
    dicts = [{"ts": ts, **row.to_dict()} for ts, row in candles.iterrows()]
    with pytest.raises(InvalidInputError, match=message):
        BacktestOrderFlowCalculator().calculate_flow(dicts)
    stream = StreamingCalculator()
    stream.update(dicts[0])
    with pytest.raises(InvalidInputError, match=message):
        stream.update(dicts[1])


def test_per_timestamp_cache_never_serves_another_parameter_set():
    """Many parameter sets over one candle list (a calibration loop): each
    per-timestamp result equals `compute` with those parameters."""
    candles = frame([(100, 101 + m % 3, 99, 100 + m % 3 - 0.5 * (m % 2), 1.0 + m)
                     for m in range(20)])  # fmt: skip
    dicts = [{"ts": ts, **row.to_dict()} for ts, row in candles.iterrows()]
    for k in range(80):
        params = Params(flow_estimator="bvc_t", bvc_df=0.25 + 0.1 * k)
        got = BacktestOrderFlowCalculator(params).calculate_flow(dicts)["buy_pressure"]
        assert got == compute(candles, params)["buy_pressure"].iloc[-1], k


@pytest.mark.parametrize(
    "call",
    [
        lambda d: BacktestOrderFlowCalculator().calculate_flow(d, lookback_buckets=10**30),
        lambda d: BacktestOrderFlowCalculator().calculate_flow(d, lookback_buckets=2.5),
        lambda d: BacktestATRCalculator().calculate_atr(d, period=-1),
        lambda d: BacktestATRCalculator().calculate_atr(d, period=10**30),
        lambda d: BacktestMarketStateCalculator().calculate_state(
            10.0, d, {"poc": 0.0, "vah": 1.0, "val": 1.0}, {"buy_pressure": 50, "sell_pressure": 50}
        ),
    ],
)
def test_bad_per_timestamp_arguments_are_invalid_input(call):
    candles = frame([(10, 12, 9, 11, 5.0), (11, 11, 10, 10, 3.0)])
    dicts = [{"ts": ts, **row.to_dict()} for ts, row in candles.iterrows()]
    with pytest.raises(InvalidInputError):
        call(dicts)


@pytest.mark.parametrize(
    "ts",
    [
        datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
        pd.Timestamp("1677-09-22 00:30", tz="UTC"),
    ],
)
def test_times_at_the_edge_of_the_range_are_invalid_input(ts):
    candle = {"ts": ts, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0, "volume": 1.0}
    with pytest.raises(InvalidInputError):
        StreamingCalculator().update(candle)
    for calc in (BacktestATRCalculator(), BacktestOrderFlowCalculator()):
        with pytest.raises(InvalidInputError):
            (calc.calculate_atr if hasattr(calc, "calculate_atr") else calc.calculate_flow)(
                [candle]
            )
