"""ATR (`calculators.atr`): Wilder's recursion over the lookback window, by hand."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import candle_dicts, frame

from calculators import BacktestATRCalculator, Params, compute
from calculators.atr import window_atr

# (open, high, low, close, volume), one minute apart
BARS = [
    (9.0, 10.0, 8.0, 9.0, 1.0),  # TR = high - low = 2 (the first bar has no previous)
    (9.0, 11.0, 9.0, 10.5, 1.0),  # prev 9:    max(2, |11 - 9| = 2, |9 - 9| = 0) = 2
    (10.5, 12.0, 10.0, 11.0, 1.0),  # prev 10.5: max(2, 1.5, 0.5) = 2
    (11.0, 11.5, 10.5, 11.0, 1.0),  # prev 11:   max(1, 0.5, 0.5) = 1
    (13.0, 14.0, 12.0, 13.0, 1.0),  # prev 11:   max(2, |14 - 11| = 3, 1) = 3 (a gap up)
]


def atr(rows, start, end, period):
    h, lo, c = (np.array([r[i] for r in rows]) for i in (1, 2, 3))
    return window_atr(h, lo, c, start, end, period)


def test_wilder_hand_case():
    # period 3: seed = mean(2, 2, 2) = 2; bar 3: (2 * 2 + 1) / 3 = 5/3;
    # bar 4: (5/3 * 2 + 3) / 3 = (10/3 + 9/3) / 3 = 19/9 = 2.111
    assert atr(BARS, 0, 4, 3) == pytest.approx(19 / 9, rel=1e-15)
    assert atr(BARS, 0, 3, 3) == pytest.approx(5 / 3, rel=1e-15)
    out = compute(frame(BARS), Params(atr_period=3))
    assert out["atr"].iloc[4] == pytest.approx(19 / 9, rel=1e-15)
    assert out["atr"].iloc[3] == pytest.approx(5 / 3, rel=1e-15)


def test_period_1_is_the_last_true_range():
    # atr = (atr * 0 + tr) / 1: the last bar's true range, 3
    assert atr(BARS, 0, 4, 1) == 3.0


def test_short_window_is_the_plain_mean():
    # 5 bars <= period 14: mean(2, 2, 2, 1, 3) = 2
    assert atr(BARS, 0, 4, 14) == 2.0
    assert compute(frame(BARS), Params())["atr"].tolist() == [2.0, 2.0, 2.0, 1.75, 2.0]


def test_first_bar_of_the_window_ignores_the_bar_before():
    # a 3-minute lookback at bar 4: window = bars 2, 3, 4.  Bar 2 is the window's first:
    # TR = 12 - 10 = 2 (not max(2, |12 - 10.5|, ...) against bar 1's close), then 1, 3.
    # period 14: mean(2, 1, 3) = 2; period 2: seed mean(2, 1) = 1.5, then
    # (1.5 * 1 + 3) / 2 = 2.25
    assert atr(BARS, 2, 4, 14) == 2.0
    assert atr(BARS, 2, 4, 2) == 2.25
    out = compute(frame(BARS), Params(lookback_period=3, atr_period=2))
    assert out["atr"].iloc[4] == 2.25
    # a bar that gaps away from the previous window's close: bar 4 alone (1-minute
    # window) has TR = high - low = 2, not 3
    assert compute(frame(BARS), Params(lookback_period=1))["atr"].iloc[4] == 2.0


def test_window_by_wall_clock_with_a_gap():
    # bars at minutes 0, 1 and 5; a 5-minute lookback at minute 5 holds (0, 5] -> bars
    # at 1 and 5 only.  TRs: bar at 1 first -> 11 - 9 = 2; bar at 5 vs 10.5:
    # max(2, 1.5, 0.5) = 2 -> mean 2.  With a 6-minute lookback all three: TRs 2, 2, 2.
    rows = BARS[:3]
    candles = frame(rows, [0, 1, 5])
    assert compute(candles, Params(lookback_period=5))["atr"].iloc[2] == 2.0
    # change bar 0 so that it would matter if it were in the window: TR 10 instead of 2
    rows = [(9.0, 18.0, 8.0, 9.0, 1.0), *BARS[1:3]]
    candles = frame(rows, [0, 1, 5])
    assert compute(candles, Params(lookback_period=5))["atr"].iloc[2] == 2.0
    # bar 1 vs prev close 9 (bar 0 in the window): max(2, 2, 0) = 2; mean(10, 2, 2)
    assert compute(candles, Params(lookback_period=6))["atr"].iloc[2] == pytest.approx(14 / 3)


def test_per_timestamp_period_argument():
    calc = BacktestATRCalculator()
    dicts = candle_dicts(frame(BARS))
    assert calc.calculate_atr(dicts, period=3) == pytest.approx(19 / 9, rel=1e-15)
    assert calc.calculate_atr(dicts) == 2.0  # period 14: the plain mean
