"""Properties of the order flow (`calculators.order_flow`) on hypothesis candles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import ESTIMATORS, MINUTE, candle_frames

from calculators import Params, compute
from calculators.order_flow import ESTIMATOR_CODES, buy_fractions, cdf_table


def window_rows(index, t: int, minutes: int) -> range:
    """Rows of the bars opened in ``(ts[t] - minutes, ts[t]]`` (a slow scan)."""
    ns = index.as_unit("ns").asi8
    first = t
    while first > 0 and ns[first - 1] > ns[t] - minutes * MINUTE.value:
        first -= 1
    return range(first, t + 1)


@given(
    candles=candle_frames(1, 25),
    estimator=st.sampled_from(ESTIMATORS),
    lookback=st.sampled_from([1, 3, 10, 60]),
    df=st.sampled_from([0.25, 1.0, 30.0]),
)
def test_flow_identities(candles, estimator, lookback, df):
    p = Params(flow_estimator=estimator, lookback_period=lookback, bvc_df=df)
    out = compute(candles, p)
    volume = candles["volume"].to_numpy()
    buy, sell = out["buy_volume"].to_numpy(), out["sell_volume"].to_numpy()
    assert not np.isnan(
        out[
            [
                "buy_volume",
                "sell_volume",
                "delta",
                "cumulative_delta",
                "buy_pressure",
                "sell_pressure",
                "cvd_momentum",
            ]
        ].to_numpy()
    ).any()
    # buy and sell split the bar's volume
    assert ((buy >= 0) & (buy <= volume) & (sell >= 0)).all()
    np.testing.assert_allclose(buy + sell, volume, rtol=1e-12, atol=0)
    # delta is 2 * buy - volume exactly (one rounding), buy - sell up to rounding
    assert (out["delta"].to_numpy() == 2.0 * buy - volume).all()
    np.testing.assert_allclose(out["delta"].to_numpy(), buy - sell, rtol=0, atol=1e-12 * volume.max())
    assert (np.abs(buy - sell) <= volume * (1 + 1e-12)).all()
    # pressures: percent within 0..100 exactly, summing to 100
    bp, sp = out["buy_pressure"].to_numpy(), out["sell_pressure"].to_numpy()
    assert ((bp >= 0) & (bp <= 100)).all()
    assert ((sp >= 0) & (sp <= 100)).all()
    np.testing.assert_allclose(bp + sp, 100.0, rtol=1e-12)
    cvd, momentum = out["cumulative_delta"].to_numpy(), out["cvd_momentum"].to_numpy()
    for t in range(len(candles)):
        rows = window_rows(candles.index, t, lookback)
        window_volume = math.fsum(volume[rows.start : rows.stop])
        slack = 1e-9 * window_volume + 1e-12
        assert abs(cvd[t]) <= window_volume + slack
        assert abs(momentum[t]) <= window_volume + slack
        if window_volume == 0:
            assert (bp[t], sp[t]) == (50.0, 50.0)
        else:
            # cumulative delta and pressure describe the same window buy volume
            window_buy = (cvd[t] + window_volume) / 2
            assert bp[t] == pytest.approx(100 * window_buy / window_volume, abs=1e-7)


@given(
    candles=candle_frames(1, 25),
    lookback=st.sampled_from([5, 30, 60]),
    buckets=st.sampled_from([1, 2, 5, 15, 90]),
)
def test_cvd_momentum_is_the_sum_of_recent_deltas_clr(candles, lookback, buckets):
    # with "clr" a bar's split depends on the bar alone, so its delta in any window is
    # the `delta` column of its own row: the momentum at t is the sum of the deltas of
    # the window's bars opened in the last N minutes
    p = Params(flow_estimator="clr", lookback_period=lookback, cvd_momentum_buckets=buckets)
    out = compute(candles, p)
    delta = out["delta"].to_numpy()
    for t in range(len(candles)):
        rows = window_rows(candles.index, t, min(lookback, buckets))
        expected = math.fsum(delta[rows.start : rows.stop])
        scale = math.fsum(candles["volume"].to_numpy()[rows.start : rows.stop])
        assert out["cvd_momentum"].iloc[t] == pytest.approx(expected, abs=1e-9 * scale + 1e-12)


@given(
    candles=candle_frames(1, 30),
    estimator=st.sampled_from(ESTIMATORS),
    lookback=st.sampled_from([5, 30, 60]),
    buckets=st.sampled_from([1, 2, 5, 15]),
)
def test_cvd_momentum_is_the_sum_of_recent_deltas_any_estimator(
    candles, estimator, lookback, buckets
):
    # for window-dependent estimators the bar deltas are those estimated inside the
    # window ending at t: v * (2 f - 1) with f from buy_fractions on that window
    p = Params(flow_estimator=estimator, lookback_period=lookback, cvd_momentum_buckets=buckets)
    out = compute(candles, p)
    cols = [candles[c].to_numpy() for c in ("open", "high", "low", "close")]
    volume = candles["volume"].to_numpy()
    table = cdf_table(estimator, p.bvc_df)
    for t in range(len(candles)):
        window = window_rows(candles.index, t, lookback)
        f = np.empty(len(window))
        buy_fractions(*cols, window.start, t, ESTIMATOR_CODES[estimator], table, f)
        recent = window_rows(candles.index, t, buckets)
        deltas = [volume[i] * (2 * f[i - window.start] - 1) for i in window if i in recent]
        scale = math.fsum(volume[window.start : t + 1])
        assert out["cvd_momentum"].iloc[t] == pytest.approx(
            math.fsum(deltas), abs=1e-9 * scale + 1e-12
        )
        # and the last bar's buy volume is v * f of the last bar
        assert out["buy_volume"].iloc[t] == volume[t] * f[-1]


finite_prices = st.floats(1e-6, 1e9, allow_nan=False, allow_infinity=False)


@st.composite
def ohlc_arrays(draw):
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        a, b, c, d = sorted(draw(st.lists(finite_prices, min_size=4, max_size=4)))
        # low a, high d; open and close anywhere inside (or on the edges, or a doji)
        o, cl = draw(st.sampled_from([(b, c), (c, b), (a, d), (d, a), (a, a), (b, b)]))
        if draw(st.booleans()):
            a = d = o = cl  # a doji: high == low
        rows.append((o, d, a, cl))
    return [np.array(col) for col in zip(*rows, strict=True)]


@given(
    arrays=ohlc_arrays(),
    estimator=st.sampled_from(ESTIMATORS),
    df=st.sampled_from([0.25, 1.0, 4.0]),
    data=st.data(),
)
def test_buy_fractions_within_zero_and_one(arrays, estimator, df, data):
    n = len(arrays[0])
    start = data.draw(st.integers(0, n - 1))
    end = data.draw(st.integers(start, n - 1))
    out = np.full(n, np.nan)
    buy_fractions(*arrays, start, end, ESTIMATOR_CODES[estimator], cdf_table(estimator, df), out)
    f = out[: end - start + 1]
    assert np.isfinite(f).all()
    assert ((f >= 0.0) & (f <= 1.0)).all()
    if estimator == "tick":
        assert set(f.tolist()) <= {0.0, 0.5, 1.0}
    if estimator == "clr":
        _, h, lo, c = (a[start : end + 1] for a in arrays)
        doji = h == lo
        assert (f[doji] == 0.5).all()
        keep = ~doji
        np.testing.assert_allclose(f[keep], (c[keep] - lo[keep]) / (h[keep] - lo[keep]), rtol=1e-15)
