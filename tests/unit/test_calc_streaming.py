"""`StreamingCalculator` on the real candle files and on hand-made edge cases.

The reference is `compute` on the same history; equality is bit for bit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from strategies import T0, assert_bit_equal, candle_dicts, frame, read_candles, stream_frame

from calculators import InvalidInputError, Params, StreamingCalculator, compute

FILES = (
    "btcperp-1m-2022-01",
    "xrpeth-1m-2019-10-11",
    "spy-1m-2011-01",  # gappy: sessions and weekends
    "avaxusdt-perp-1m-2023-09",
)
ROWS = 3_000


@pytest.mark.realdata
@pytest.mark.parametrize("name", FILES)
def test_streaming_equals_compute_on_real_data(data_dir, name):
    candles = read_candles(data_dir / f"{name}.csv.gz").iloc[:ROWS]
    # holes of a few minutes and of more than an hour, on top of the file's own gaps
    candles = candles.drop(candles.index[200:230]).drop(candles.index[900:1400:7])
    dicts = candle_dicts(candles)
    for p in (
        Params(),
        Params(lookback_period=30, volume_spread="typical", flow_estimator="tick",
               value_area_rule="single", atr_period=5, cvd_momentum_buckets=90),
        Params(volume_spread="uniform", flow_estimator="bvc_normal", value_area_pct=100.0),
    ):  # fmt: skip
        want = compute(candles, p)
        half = len(dicts) // 2
        calc = StreamingCalculator(p)
        first = stream_frame(calc, dicts[:half], candles.index[:half])
        resumed = StreamingCalculator.restore(json.loads(json.dumps(calc.snapshot())))
        second = stream_frame(resumed, dicts[half:], candles.index[half:])
        assert_bit_equal(pd.concat([first, second]), want)


@pytest.mark.realdata
def test_streaming_with_true_buy_volume_on_real_data(data_dir):
    candles = read_candles(data_dir / "btcperp-1m-2022-01.csv.gz").iloc[:2_000]
    rng = np.random.default_rng(7)
    buy = candles["volume"].to_numpy() * rng.uniform(0, 1, len(candles))
    candles["buy_volume"] = np.where(rng.uniform(size=len(candles)) < 0.3, np.nan, buy)
    want = compute(candles, Params())
    got = stream_frame(StreamingCalculator(), candle_dicts(candles), candles.index)
    assert_bit_equal(got, want)


def candle(minute: int, price: float = 100.0, volume: float = 1.0, **extra) -> dict:
    return {"ts": T0 + pd.Timedelta(minutes=minute), "open": price, "high": price + 1,
            "low": price - 1, "close": price, "volume": volume, **extra}  # fmt: skip


def test_time_forms_are_equivalent():
    ms = int(T0.value // 1_000_000)
    forms = [
        T0,
        T0.to_pydatetime(),
        T0.tz_convert("America/New_York"),
        "2024-03-01T00:00:00+00:00",
        ms,
    ]
    rows = []
    for ts in forms:
        calc = StreamingCalculator()
        rows.append(calc.update({**candle(0), "ts": ts}))
        # the next minute as integer ms: accepted; then the first again, and a repeat
        calc.update({**candle(1), "ts": ms + 60_000})
        with pytest.raises(InvalidInputError, match="out of order"):
            calc.update({**candle(0), "ts": ts})
        with pytest.raises(InvalidInputError, match="duplicate"):
            calc.update({**candle(1), "ts": T0 + pd.Timedelta(minutes=1)})
    assert all(r == rows[0] for r in rows)


def test_an_hour_gap_restarts_the_window():
    calc = StreamingCalculator(Params(lookback_period=60))
    calc.update(candle(0, 100.0, 5.0))
    row = calc.update(candle(60, 200.0, 3.0))  # the bar at minute 0 is out of (0, 60]
    assert row["total_volume"] == 3.0
    assert row["poc"] == 200.0
    assert len(calc.snapshot()["bars"]) == 1


def test_row_size_not_below_a_low_is_refused_and_state_kept():
    calc = StreamingCalculator(Params(row_size=50.0))
    calc.update(candle(0))
    before = calc.snapshot()
    with pytest.raises(InvalidInputError, match="row_size"):
        calc.update(candle(1, price=40.0))
    assert calc.snapshot() == before
    # compute refuses the same history
    with pytest.raises(InvalidInputError, match="row_size"):
        compute(frame([(100, 101, 99, 100, 1), (40, 41, 39, 40, 1)]), Params(row_size=50.0))


def test_too_wide_window_is_refused_and_state_kept():
    p = Params(row_size=1e-4)
    calc = StreamingCalculator(p)
    first = calc.update(candle(0, 1.0, volume=2.0) | {"low": 0.5, "high": 1.5})
    before = calc.snapshot()
    with pytest.raises(InvalidInputError, match="profile rows"):
        calc.update(candle(1, 500.0))  # 0.5 .. 501 in rows of 1e-4: over MAX_ROWS
    assert calc.snapshot() == before
    # and it goes on as if the refused bar never came
    nxt = calc.update(candle(2, 1.0) | {"low": 0.5, "high": 1.5})
    want = compute(frame([(1.0, 1.5, 0.5, 1.0, 2.0), (1.0, 1.5, 0.5, 1.0, 1.0)], minutes=[0, 2]), p)
    assert first["poc"] == want["poc"].iloc[0]
    assert nxt == {**want.iloc[1].to_dict()}


def test_restore_refuses_malformed_snapshots():
    calc = StreamingCalculator()
    calc.update(candle(0))
    good = calc.snapshot()
    for bad in (
        {},
        {**good, "format": "something else"},
        {**good, "params": {"lookback_period": -1}},
        {**good, "bars": [[1, 2, 3]]},
        {**good, "bars": [good["bars"][0], good["bars"][0]]},
        {**good, "bars": [[good["bars"][0][0], 100.0, 99.0, 101.0, 100.0, 1.0, None]]},
    ):
        with pytest.raises(InvalidInputError):
            StreamingCalculator.restore(bad)


def test_long_stream_compacts_and_grows_its_buffers():
    """More bars than the buffers hold, and windows of sub-minute bars larger
    than the initial capacity: still equal to compute."""
    n = 700
    rng = np.random.default_rng(1)
    close = 100 + np.cumsum(rng.normal(0, 0.2, n)).round(2)
    rows = [
        (c, c + 0.5, c - 0.5, c, float(v)) for c, v in zip(close, rng.uniform(0, 9, n), strict=True)
    ]
    # 10-second bars for a while: a 5-minute window holds 30 of them
    seconds = np.cumsum(np.r_[0, np.where(np.arange(1, n) < 400, 10, 60)])
    candles = frame(rows)
    candles.index = pd.DatetimeIndex(T0 + pd.to_timedelta(seconds, unit="s"), name="ts")
    p = Params(lookback_period=5, cvd_momentum_buckets=20)
    want = compute(candles, p)
    assert_bit_equal(
        stream_frame(StreamingCalculator(p), candle_dicts(candles), candles.index), want
    )


def test_not_a_mapping_is_bad_input():
    calc = StreamingCalculator()
    for bad in (None, [1, 2, 3], "candle"):
        with pytest.raises(InvalidInputError, match="mapping"):
            calc.update(bad)
    assert calc.snapshot()["bars"] == []


def test_a_window_wider_than_the_work_arrays():
    """A bar spanning thousands of profile rows: the work arrays grow, the rows stay exact."""
    rows = [(100.0 + i, 100.5 + i, 99.5 + i, 100.0 + i, 1.0 + i) for i in range(0, 200, 3)]
    rows += [(300.0, 1500.0, 250.0, 900.0, 5.0), (900.0, 901.0, 899.0, 900.5, 2.0)]
    candles = frame(rows)
    p = Params(row_size=0.5)
    want = compute(candles, p)
    assert_bit_equal(
        stream_frame(StreamingCalculator(p), candle_dicts(candles), candles.index), want
    )
