"""The per-timestamp API's cache of checked candles never returns stale bars.

The three calls of one timestamp, and the next timestamp's overlapping list,
reuse the bars checked before.  Whatever the caller does between calls (mutate
a dict in place, pass another list, slide the window, send a bad candle), each
call must equal `compute` on the candles as they are at that call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import candle_dicts, candle_frames, params

from calculators import (
    BacktestATRCalculator,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
    InvalidInputError,
    compute,
)
from calculators.per_timestamp import candles_to_frame


def minute_dicts(n: int) -> list[dict]:
    """``n`` gap-free candles of a small zigzag, as the API takes them."""
    t0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")
    out = []
    for i in range(n):
        close = 100.0 + (i % 3) - (i % 2) * 0.5
        out.append({"ts": t0 + pd.Timedelta(minutes=i), "open": 100.0, "high": close + 1.0,
                    "low": min(close, 100.0) - 1.0, "close": close, "volume": 1.0 + i})  # fmt: skip
    return out


def row_of(dicts, p) -> dict:
    profile = BacktestVolumeProfileCalculator(p).calculate_profile(dicts)
    flow = BacktestOrderFlowCalculator(p).calculate_flow(dicts)
    state = BacktestMarketStateCalculator(p).calculate_state(
        dicts[-1]["close"], dicts, profile, flow
    )
    return {**profile, **flow, **state, "atr": BacktestATRCalculator(p).calculate_atr(dicts)}


def expected(dicts, p) -> dict:
    """`compute`'s last row on the candles as the dicts hold them now (through
    the pandas conversion, not the cache)."""
    return compute(candles_to_frame(dicts), p).iloc[-1].to_dict()


def assert_same(got: dict, want: dict) -> None:
    for key, value in got.items():
        assert value == want[key] or (value != value and want[key] != want[key]), key


@given(candles=candle_frames(2, 30), p=params(), data=st.data())
def test_any_sequence_of_calls_equals_compute(candles, p, data):
    dicts = candle_dicts(candles)
    n = len(dicts)
    for _ in range(data.draw(st.integers(1, 6))):
        action = data.draw(st.sampled_from(["slide", "mutate", "copy", "same"]))
        if action == "mutate":  # change a bar in place, keeping it valid
            d = dicts[data.draw(st.integers(0, n - 1))]
            d["volume"] = d["volume"] * 2 + 1.0
            d["close"] = d["low"] if d["close"] != d["low"] else d["high"]
        t = data.draw(st.integers(0, n - 1))
        first = data.draw(st.integers(0, t))
        window = dicts[first : t + 1]
        if action == "copy":  # equal values in new dict objects
            window = [dict(d) for d in window]
        assert_same(row_of(window, p), expected(window, p))


def test_mutating_a_dict_of_the_same_list_is_seen():
    dicts = minute_dicts(5)
    vp = BacktestVolumeProfileCalculator()
    before = vp.calculate_profile(dicts)
    dicts[0]["volume"] = dicts[0]["volume"] + 1000.0
    after = vp.calculate_profile(dicts)
    assert after["total_volume"] == before["total_volume"] + 1000.0


def test_a_mutated_time_is_seen_by_every_call():
    dicts = [
        {"ts": pd.Timestamp("2024-01-01 00:00", tz="UTC") + pd.Timedelta(minutes=i),
         "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0 + i / 10, "volume": 1.0}
        for i in range(10)
    ]  # fmt: skip
    of = BacktestOrderFlowCalculator({"lookback_period": 5})
    assert (
        of.calculate_flow(dicts[:6])["buy_volume"] == expected(dicts[:6], of.params)["buy_volume"]
    )
    # the window's last bar moves an hour later: the window now holds that bar only
    dicts[5]["ts"] = dicts[5]["ts"] + pd.Timedelta(hours=1)
    flow = of.calculate_flow(dicts[:6])
    assert flow["cumulative_delta"] == expected(dicts[:6], of.params)["cumulative_delta"]
    assert flow["buy_pressure"] == expected([dicts[5]], of.params)["buy_pressure"]


def test_bad_candle_after_good_windows_is_refused_like_a_fresh_list():
    dicts = minute_dicts(8)
    vp = BacktestVolumeProfileCalculator()
    for t in range(1, 7):
        vp.calculate_profile(dicts[: t + 1])  # the cache follows the slide
    bad = [*dicts[:7], {**dicts[7], "ts": dicts[3]["ts"]}]  # time goes back
    with pytest.raises(InvalidInputError) as cached:
        vp.calculate_profile(bad)
    with pytest.raises(InvalidInputError) as fresh:
        candles_to_frame(bad)
    assert str(cached.value) == str(fresh.value)
    negative = [*dicts[:7], {**dicts[7], "volume": -1.0}]
    with pytest.raises(InvalidInputError, match="volume"):
        vp.calculate_profile(negative)


def test_values_that_pandas_accepts_still_work():
    """Numeric strings and numpy scalars: the quick checks pass them to pandas."""
    dicts = minute_dicts(4)
    odd = [{**d, "open": str(d["open"]), "volume": np.float32(d["volume"])} for d in dicts]
    want = expected(odd, BacktestVolumeProfileCalculator().params)
    got = BacktestVolumeProfileCalculator().calculate_profile(odd)
    assert got["poc"] == want["poc"]
