"""True aggressor volume in candles (``buy_volume``): exact flow where a bar has
it, the estimator where it is NaN, on the batch and per-timestamp paths.

References are independent of the code under test: hand-computed sums, the
estimate of the same candles without the column, and the trade-exact path
(`compute_from_trades`), whose flow is the true aggressor split by definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import ESTIMATORS, candle_dicts, candle_frames, frame

from calculators import (
    BacktestOrderFlowCalculator,
    InvalidInputError,
    Params,
    candles_from_trades,
    compute,
    compute_from_trades,
)

FLOW = ["buy_volume", "sell_volume", "delta", "cumulative_delta", "buy_pressure",
        "sell_pressure", "cvd_momentum"]  # fmt: skip


@st.composite
def with_buy_volume(draw, share_known=None):
    """Candles with a ``buy_volume`` column: each bar a number in [0, volume] or NaN."""
    candles = draw(candle_frames(1, 30))
    n = len(candles)
    shares = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    known = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    volume = candles["volume"].to_numpy()
    buy = np.minimum(np.asarray(shares) * volume, volume)
    candles["buy_volume"] = np.where(known, buy, np.nan)
    return candles


@given(candles=with_buy_volume(), estimator=st.sampled_from(ESTIMATORS),
       lookback=st.sampled_from([1, 5, 60]))  # fmt: skip
def test_known_bars_exact_unknown_bars_estimated(candles, estimator, lookback):
    p = Params(flow_estimator=estimator, lookback_period=lookback)
    out = compute(candles, p)
    estimated = compute(candles.drop(columns="buy_volume"), p)
    bv = candles["buy_volume"].to_numpy()
    volume = candles["volume"].to_numpy()
    known = ~np.isnan(bv)
    expected_buy = np.where(known, bv, estimated["buy_volume"].to_numpy())
    np.testing.assert_array_equal(out["buy_volume"].to_numpy(), expected_buy)
    # each bar's delta is 2 * buy_volume - volume exactly
    np.testing.assert_array_equal(out["delta"].to_numpy(), 2.0 * expected_buy - volume)
    np.testing.assert_array_equal(out["sell_volume"].to_numpy(), volume - expected_buy)
    # the profile and the ATR do not depend on the flow
    for col in ("poc", "vah", "val", "total_volume", "atr"):
        np.testing.assert_array_equal(out[col].to_numpy(), estimated[col].to_numpy())


@given(candles=with_buy_volume(), lookback=st.sampled_from([1, 5, 60]))
def test_per_timestamp_equals_batch_with_buy_volume(candles, lookback):
    p = Params(lookback_period=lookback, flow_estimator="tick")
    out = compute(candles, p)
    dicts = candle_dicts(candles)
    calc = BacktestOrderFlowCalculator(p)
    for t in range(len(candles)):
        flow = calc.calculate_flow(dicts[: t + 1])
        for key in FLOW:
            assert flow[key] == out[key].iloc[t] or (
                np.isnan(flow[key]) and np.isnan(out[key].iloc[t])
            ), (t, key)


def test_all_nan_column_is_the_estimate():
    candles = frame([(10, 12, 9, 11, 5.0), (11, 11, 10, 10, 3.0), (10, 13, 10, 13, 2.0)])
    plain = compute(candles, Params(flow_estimator="clr"))
    candles["buy_volume"] = np.nan
    pd.testing.assert_frame_equal(compute(candles, Params(flow_estimator="clr")), plain)


def test_hand_computed_window():
    # three bars, one minute apart, lookback 60: everything in one window
    candles = frame([(10, 12, 9, 11, 5.0), (11, 11, 10, 10, 3.0), (10, 13, 10, 13, 2.0)])
    candles["buy_volume"] = [4.0, np.nan, 0.5]
    out = compute(candles, Params(flow_estimator="clr", cvd_momentum_buckets=2))
    # bar 1 (NaN) is estimated by clr: (10 - 10) / (11 - 10) = 0 -> buy 0
    assert out["buy_volume"].tolist() == [4.0, 0.0, 0.5]
    assert out["delta"].tolist() == [3.0, -3.0, -1.0]
    assert out["cumulative_delta"].tolist() == [3.0, 0.0, -1.0]
    # last bar: buy 4.5 of 10 -> 45 %; momentum over 2 buckets: -3 + -1
    assert out["buy_pressure"].iloc[2] == pytest.approx(45.0, abs=1e-12)
    assert out["sell_pressure"].iloc[2] == pytest.approx(55.0, abs=1e-12)
    assert out["cvd_momentum"].iloc[2] == -4.0


def test_candles_from_tape_carry_the_exact_flow():
    """Candles aggregated from a tape, with their ``buy_volume``, give the
    trade-exact order flow of `compute_from_trades` bar for bar."""
    rng = np.random.default_rng(7)
    n = 900
    seconds = np.sort(rng.integers(0, 180 * 60, n))
    price = 100 + np.cumsum(rng.integers(-2, 3, n)) * 0.01
    tape = pd.DataFrame(
        {
            "ts": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
            "price": price,
            "amount": rng.integers(1, 50, n).astype(float) / 4,
            "side": rng.choice(["buy", "sell"], n),
        }
    )
    p = Params(lookback_period=30)
    candles = candles_from_trades(tape)
    exact = compute_from_trades(tape, p)
    from_candles = compute(candles, p)
    pd.testing.assert_frame_equal(from_candles[FLOW], exact[FLOW], check_exact=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1.0, "buy_volume -1.0 is not in [0, volume"),
        (6.0, "buy_volume 6.0 is not in [0, volume 5.0]"),
        (np.inf, "buy_volume inf is not in"),
        ("lots", "buy_volume 'lots' is not a number"),
    ],
)
def test_bad_buy_volume_is_refused_naming_the_row(value, message):
    candles = frame([(10, 12, 9, 11, 2.0), (11, 11, 10, 10, 5.0)])
    candles["buy_volume"] = pd.Series([1.0, value], index=candles.index, dtype=object)
    with pytest.raises(
        InvalidInputError, match=r"candle row 1 \(2024-03-01 00:01:00\+00:00\)"
    ) as err:
        compute(candles)
    assert message in str(err.value)


def test_boolean_buy_volume_is_refused():
    candles = frame([(10, 12, 9, 11, 2.0)])
    candles["buy_volume"] = [True]
    with pytest.raises(InvalidInputError, match="buy_volume is boolean"):
        compute(candles)
