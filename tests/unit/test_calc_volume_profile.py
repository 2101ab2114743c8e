"""Volume profile: hand-computed cases, the spreads, degenerate windows, known bugs.

Every expected POC/VAH/VAL below is derived in the comments from the rules of
the `calculators.volume_profile` docstring (rows of 1.0: row ``k`` holds
prices ``[k, k + 1)``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from strategies import RULES, SPREADS, frame

from calculators import Params, compute
from calculators.bar_path import path_legs
from calculators.volume_profile import (
    SPREAD_CODES,
    VALUE_AREA_CODES,
    integrate,
    new_buffers,
    value_area,
    window_profile_candles,
)


def profile(
    rows, spread="uniform", rule="pair", pct=70.0, row_size=1.0, buffers=None, opens=None
):
    """``(poc, vah, val, total, hist)`` of candles ``(high, low, close, volume)``;
    ``opens`` default to the closes (only the "path" spread reads the open)."""
    high, low, close, volume = (np.array(c, dtype=np.float64) for c in zip(*rows, strict=True))
    poc, vah, val, total, buffers = window_profile_candles(
        close if opens is None else np.array(opens, dtype=np.float64),
        high,
        low,
        close,
        volume,
        0,
        len(rows) - 1,
        row_size,
        SPREAD_CODES[spread],
        pct,
        VALUE_AREA_CODES[rule],
        new_buffers(4) if buffers is None else buffers,
    )
    return poc, vah, val, total, buffers[2].copy()


def compute_last(rows, **params):
    """compute()'s POC, VAH, VAL of the last bar, candles ``(high, low, close, volume)``
    one minute apart (open = low), all in one 60-minute window; uniform spread
    unless ``params`` say otherwise (the hand cases below work it out)."""
    candles = frame([(lo, h, lo, c, v) for h, lo, c, v in rows])
    out = compute(candles, Params(row_size=1.0, **{"volume_spread": "uniform", **params}))
    last = out.iloc[-1]
    return last["poc"], last["vah"], last["val"]


# --- three candles, uniform spread, both rules ----------------------------------------

# A: low 104, high 106.5 -> rows 104, 105, 106, volume 24 -> 8 per row
# B: low 103, high 105.5 -> rows 103, 104, 105, volume 30 -> 10 per row
# C: low 104, high 106.5 -> rows 104, 105, 106, volume 6  -> 2 per row
# histogram: 103: 10 | 104: 8+10+2 = 20 | 105: 8+10+2 = 20 | 106: 8+2 = 10; total 60
# target 70 % of 60 = 42.
# POC: rows 104 and 105 tie at 20; the range 103..106 has its middle at 104.5, both
# are equally near, so the lower one wins: POC = 104.
TIE_CANDLES = [(106.5, 104.0, 104.5, 24.0), (105.5, 103.0, 103.5, 30.0), (106.5, 104.0, 104.5, 6.0)]


def test_hand_case_single_rule_tie_between_sides_then_trim():
    # single: area {104} = 20.
    #   up 105 (20) vs down 103 (10): up -> {104, 105} = 40 < 42.
    #   up 106 (10) vs down 103 (10): a tie -> both -> {103..106} = 60 >= 42, stop.
    # trim: dropping 103 leaves 50 >= 42, dropping 106 leaves 50 >= 42; equal ends ->
    #   drop the upper: {103..105} = 50.  Then dropping 103 leaves 40 < 42 and dropping
    #   105 leaves 30 < 42: done.  VAL = 103, VAH = 105.
    poc, vah, val, total, _ = profile(TIE_CANDLES, rule="single")
    assert (poc, vah, val, total) == (104.0, 105.0, 103.0, 60.0)
    assert compute_last(TIE_CANDLES, value_area_rule="single") == (104.0, 105.0, 103.0)


def test_hand_case_pair_rule_same_candles():
    # pair: area {104} = 20.
    #   up 105+106 = 30 vs down 103 (the only row left below) = 10: up -> {104..106} = 50
    #   >= 42, stop.
    # trim: 104 is the POC (not dropped); dropping 106 leaves 40 < 42: done.
    # VAL = 104, VAH = 106.
    poc, vah, val, total, _ = profile(TIE_CANDLES, rule="pair")
    assert (poc, vah, val, total) == (104.0, 106.0, 104.0, 60.0)
    assert compute_last(TIE_CANDLES, value_area_rule="pair") == (104.0, 106.0, 104.0)


# A: low 104, high 106.5 -> rows 104..106, volume 30 -> 10 per row
# B: low 104, high 104.5 -> row 104, volume 20
# C: low 103, high 104.5 -> rows 103, 104, volume 20 -> 10 per row
# histogram: 103: 10 | 104: 10+20+10 = 40 | 105: 10 | 106: 10; total 70, target 49.
TRIM_CANDLES = [
    (106.5, 104.0, 104.5, 30.0),
    (104.5, 104.0, 104.5, 20.0),
    (104.5, 103.0, 103.5, 20.0),
]


def test_hand_case_trim_single():
    # single: {104} = 40; up 105 (10) vs down 103 (10): tie -> both -> {103..105} = 60.
    # trim: both ends droppable (50 >= 49) and equal -> drop the upper: {103, 104} = 50;
    #   dropping 103 leaves 40 < 49: done.  VAL = 103, VAH = 104.
    assert profile(TRIM_CANDLES, rule="single")[:3] == (104.0, 104.0, 103.0)
    assert compute_last(TRIM_CANDLES, value_area_rule="single") == (104.0, 104.0, 103.0)


def test_hand_case_trim_pair():
    # pair: {104} = 40; up 105+106 = 20 vs down 103 = 10: up -> {104..106} = 60.
    # trim: 106 (10) can go: 50 >= 49 -> {104, 105}; 105 cannot (40 < 49).
    # VAL = 104, VAH = 105.
    assert profile(TRIM_CANDLES, rule="pair")[:3] == (104.0, 105.0, 104.0)
    assert compute_last(TRIM_CANDLES, value_area_rule="pair") == (104.0, 105.0, 104.0)


# five one-row candles, close spread: rows 100..104 hold 6, 2, 20, 1, 7 (total 36);
# target 70 % of 36 = 25.2; POC = 102 (20).
UNEQUAL_ENDS = [
    (100.5, 100.0, 100.5, 6.0),
    (101.5, 101.0, 101.5, 2.0),
    (102.5, 102.0, 102.5, 20.0),
    (103.5, 103.0, 103.5, 1.0),
    (104.5, 104.0, 104.5, 7.0),
]


def test_hand_case_pair_tie_then_trim_the_smaller_end():
    # pair: {102} = 20; up 103+104 = 8 vs down 100+101 = 8: tie -> both -> {100..104} = 36.
    # trim: dropping 100 (6) leaves 30, dropping 104 (7) leaves 29, both >= 25.2; the
    #   smaller end goes: 100 -> {101..104} = 30.  Then 101 (2) -> 28 >= 25.2 while 104
    #   (7) -> 23 < 25.2: drop 101 -> {102..104} = 28.  102 is the POC; 104 -> 21: done.
    assert profile(UNEQUAL_ENDS, spread="close", rule="pair")[:3] == (102.0, 104.0, 102.0)


def test_hand_case_single_same_histogram():
    # single: {102} = 20; up 103 (1) vs down 101 (2): down -> 22; up 103 (1) vs down 100
    #   (6): down -> {100..102} = 28 >= 25.2.  trim: 100 -> 22 < 25.2; 102 is the POC.
    assert profile(UNEQUAL_ENDS, spread="close", rule="single")[:3] == (102.0, 102.0, 100.0)


# --- the spreads ------------------------------------------------------------------------


def test_spread_close_puts_everything_on_the_close_row():
    # one candle low 100, high 104.5, close 100.5: all 26 on row 100
    _, _, _, total, hist = profile([(104.5, 100.0, 100.5, 26.0)], spread="close")
    assert total == 26.0
    assert list(hist[:5]) == [26.0, 0.0, 0.0, 0.0, 0.0]


def test_spread_uniform_equal_parts():
    # rows 100..104: 26 / 5 = 5.2 each
    _, _, _, _, hist = profile([(104.5, 100.0, 100.5, 26.0)], spread="uniform")
    assert list(hist[:5]) == pytest.approx([5.2] * 5, rel=1e-12)


def test_spread_typical_triangle():
    # typical price (104.5 + 100 + 100.5) / 3 = 101.67 -> peak row 101; d_max = the
    # distance to the farther end = 104 - 101 = 3; weight 1 + 3 - |row - 101|:
    # rows 100..104 -> 3, 4, 3, 2, 1 (sum 13); volume 26 -> 6, 8, 6, 4, 2.
    _, _, _, _, hist = profile([(104.5, 100.0, 100.5, 26.0)], spread="typical")
    assert list(hist[:5]) == pytest.approx([6.0, 8.0, 6.0, 4.0, 2.0], rel=1e-12)


def test_spread_path_low_first():
    # open 101.2 (row 101), high 104.5 (row 104), low 100 (row 100), close 103.2 (row 103):
    # the low is nearer the open (1.2 < 3.3): legs 101 -> 100, 100 -> 104, 104 -> 103,
    # covering 2 + 5 + 2 = 9 rows; volume 27 -> 3 per row per leg:
    # row 100: legs 1, 2 -> 6; row 101: legs 1, 2 -> 6; row 102: leg 2 -> 3;
    # row 103: legs 2, 3 -> 6; row 104: legs 2, 3 -> 6.
    _, _, _, total, hist = profile(
        [(104.5, 100.0, 103.2, 27.0)], spread="path", opens=[101.2]
    )
    assert total == 27.0
    assert list(hist[:5]) == pytest.approx([6.0, 6.0, 3.0, 6.0, 6.0], rel=1e-12)


def test_spread_path_high_first():
    # open 104.2 (row 104) next to the high (row 104), close 100.3 (row 100), low 100:
    # legs 104 -> 104 (1 row), 104 -> 100 (5 rows), 100 -> 100 (1 row): 7 shares of 1;
    # rows 100 and 104 get 2, rows 101..103 get 1.
    _, _, _, _, hist = profile([(104.5, 100.0, 100.3, 7.0)], spread="path", opens=[104.2])
    assert list(hist[:5]) == pytest.approx([2.0, 1.0, 1.0, 1.0, 2.0], rel=1e-12)


def test_spread_path_one_row_bar_puts_everything_on_its_row():
    _, _, _, _, hist = profile([(100.7, 100.1, 100.5, 9.0)], spread="path", opens=[100.2])
    assert hist[0] == pytest.approx(9.0, rel=1e-12)


@pytest.mark.parametrize(
    ("low", "high", "close", "open_", "legs"),
    [
        (0, 4, 3, 1, (0, 4)),  # the low is nearer the open
        (0, 4, 1, 3, (4, 0)),  # the high is nearer the open
        (0, 4, 3, 2, (0, 4)),  # equally near: the extreme farther from the close (0) first
        (0, 4, 1, 2, (4, 0)),  # equally near: the high is farther from the close
        (0, 4, 2, 2, (4, 0)),  # both tie: the high first
        (7, 7, 7, 7, (7, 7)),  # a flat bar
        (1.0, 2.0, 1.25, 1.5, (2.0, 1.0)),  # prices work alike
    ],
)
def test_bar_path_legs(low, high, close, open_, legs):
    assert path_legs(low, high, close, open_) == legs


@pytest.mark.parametrize("spread", SPREADS)
@pytest.mark.parametrize("rule", RULES)
def test_every_spread_and_rule_conserves_volume(spread, rule):
    rows = [(103.0, 100.0, 101.0, 12.0), (101.5, 99.0, 100.0, 7.5), (106.0, 102.0, 105.5, 30.0)]
    poc, vah, val, total, hist = profile(rows, spread=spread, rule=rule, row_size=0.5)
    # rows 99.0 .. 106.0 in halves: 15 rows holding 12 + 7.5 + 30 = 49.5
    assert math.fsum(hist[:15]) == pytest.approx(49.5, rel=1e-12)
    assert total == 49.5
    assert 99.0 <= val <= poc <= vah <= 106.0


# --- degenerate windows (the ``marketprofile`` package crashes on these) -----------------


@pytest.mark.parametrize("spread", SPREADS)
@pytest.mark.parametrize("rule", RULES)
def test_one_row(spread, rule):
    # every price inside row 100 -> POC = VAH = VAL = 100
    rows = [(100.0, 100.0, 100.0, 5.0), (100.9, 100.1, 100.5, 3.0)]
    assert profile(rows, spread, rule)[:4] == (100.0, 100.0, 100.0, 8.0)


@pytest.mark.parametrize("spread", SPREADS)
@pytest.mark.parametrize("rule", RULES)
def test_zero_volume_window_odd_rows(spread, rule):
    # rows 100..104, no volume: POC = the middle row 102, value area = that row
    rows = [(104.5, 100.0, 101.0, 0.0), (103.0, 101.0, 102.0, 0.0)]
    assert profile(rows, spread, rule)[:4] == (102.0, 102.0, 102.0, 0.0)


@pytest.mark.parametrize("rule", RULES)
def test_zero_volume_window_even_rows(rule):
    # rows 100..103: the middle rows 101 and 102 are equally near -> the lower, 101
    rows = [(103.5, 100.0, 101.0, 0.0)]
    assert profile(rows, "uniform", rule)[:4] == (101.0, 101.0, 101.0, 0.0)


@pytest.mark.parametrize("spread", SPREADS)
@pytest.mark.parametrize("rule", RULES)
def test_value_area_100_spans_the_non_empty_rows(spread, rule):
    # volume on rows 100 (5.0) and 103 (1.0) only; two zero-volume candles widen the
    # range to rows 97..107 with empty edges.  VA = lowest..highest row with volume.
    rows = [
        (97.5, 97.0, 97.0, 0.0),
        (100.5, 100.0, 100.0, 5.0),
        (103.5, 103.0, 103.0, 1.0),
        (107.5, 106.0, 107.0, 0.0),
    ]
    assert profile(rows, spread, rule, pct=100.0)[:3] == (100.0, 103.0, 100.0)


@pytest.mark.parametrize("rule", RULES)
def test_poc_at_the_bottom_edge_next_to_an_empty_row(rule):
    # rows 100: 10 | 101: 0 | 102: 3 | 103: 3; total 16, target 11.2.
    # single: {100} = 10; below is the edge (exhausted) -> up 101 (0) -> 10; up 102 -> 13.
    # pair: up 101+102 = 3 -> 13.  trim: 102 -> 10 < 11.2.  VA = 100..102.
    rows = [(100.5, 100.0, 100.0, 10.0), (102.5, 102.0, 102.0, 3.0), (103.5, 103.0, 103.0, 3.0)]
    assert profile(rows, "close", rule)[:3] == (100.0, 102.0, 100.0)


@pytest.mark.parametrize("rule", RULES)
def test_poc_at_the_top_edge_next_to_an_empty_row(rule):
    # the mirror image: rows 100: 3 | 101: 3 | 102: 0 | 103: 10 -> VA = 101..103
    rows = [(100.5, 100.0, 100.0, 3.0), (101.5, 101.0, 101.0, 3.0), (103.5, 103.0, 103.0, 10.0)]
    assert profile(rows, "close", rule)[:3] == (103.0, 103.0, 101.0)


def test_compute_degenerate_windows():
    # the same cases through compute(): a flat zero-volume candle, then one with volume
    candles = frame([(100.0, 100.0, 100.0, 100.0, 0.0), (100.0, 100.0, 100.0, 100.0, 4.0)])
    out = compute(candles, Params(row_size=1.0))
    assert out["poc"].tolist() == [100.0, 100.0]
    assert out["vah"].tolist() == [100.0, 100.0]
    assert out["val"].tolist() == [100.0, 100.0]
    assert out["total_volume"].tolist() == [0.0, 4.0]


# --- regressions: bugs this suite found (fixed in 96dd86e) ---------------------------


def _integrate(hist):
    n = len(hist)
    level, ramp, out = np.zeros(n + 1), np.zeros(n + 1), np.zeros(n + 1)
    for r, v in enumerate(hist):
        level[r] += v
        level[r + 1] -= v
    total = math.fsum(hist)
    return integrate(ramp, level, n, total, out), out[:n], total


def test_poc_holds_the_maximum_within_tolerance_under_chained_near_ties():
    # total = 30, tolerance EQUAL * total = 3e-8.  Rows: 10, 10 - 1.5e-8, 10 + 2.4e-8.
    # Rows within 3e-8 of the maximum (row 2): rows 0 (2.4e-8 below) and 2; row 1 is
    # 3.9e-8 below it, so it is not a tie with the maximum and cannot be the POC.  The
    # documented tie rule among rows 0 and 2 (nearest the middle row 1, both at
    # distance 1, the lower) gives row 0.
    poc, hist, total = _integrate([10.0, 10.0 - 1.5e-8, 10.0 + 2.4e-8])
    assert hist[poc] >= hist.max() - 1e-9 * total
    assert poc == 0


def test_poc_near_tie_within_tolerance_goes_to_the_middle():
    # a near-tie (within EQUAL * total) is a tie: rows 5, 5 + 1e-9, 5 (total 15,
    # tolerance 1.5e-8); the middle row wins even if another is a hair larger
    poc, _, _ = _integrate([5.0 + 1e-9, 5.0, 5.0 + 1e-9])
    assert poc == 1
    # ... but a real difference is not a tie
    poc, _, _ = _integrate([5.0 + 1e-6, 5.0, 5.0])
    assert poc == 0


def test_value_area_kernel_on_a_plain_histogram():
    # hist 1 | 5 | 2 | 0 | 4, total 12, target 8.4, POC row 1 (5).
    # single: up 2 (2) vs down 0 (1): up -> 7; up 3 (0) vs down 0 (1): down -> 8;
    #   below exhausted -> up 3 (0) -> 8; up 4 (4) -> 12.
    # trim: row 0 (1) -> 11 >= 8.4 while row 4 (4) -> 8 < 8.4: drop row 0; row 1 is
    #   the POC; row 4 cannot go: VA = rows 1..4.
    hist = np.array([1.0, 5.0, 2.0, 0.0, 4.0])
    assert value_area(hist, 5, 12.0, 1, 70.0, 1) == (1, 4)


FLAT = 1000.9999989999999  # (3 * FLAT) / 3 rounds up to 1000.999999, the next row's snap


def test_typical_spread_flat_candle_on_a_snap_boundary_does_not_corrupt_next_window():
    # A flat candle at FLAT (row 1000: FLAT / 1.0 is 1.000001e-6 below 1001, outside the
    # 1e-6 snap) then a candle 1000.0 .. 1005.5 (rows 1000..1005) with close 1001.5.
    # With a one-minute lookback, bar 1's window is bar 1 alone, so its row must equal
    # compute() on bar 1 alone: typical price (1005.5 + 1000 + 1001.5) / 3 = 1002.33 ->
    # peak row 1002, d_max = 3, weights rows 1000..1005: 2, 3, 4, 3, 2, 1 (sum 15);
    # volume 15 -> 2, 3, 4, 3, 2, 1: POC = 1002; pair rule, target 10.5:
    # {1002} = 4; up 1003+1004 = 5 vs down 1000+1001 = 5: tie -> {1000..1004} = 14;
    # trim: 1000 (2) -> 12 and 1004 (2) -> 12, equal -> drop upper: {1000..1003} = 12;
    # then 1000 (2) -> 10 < 10.5 and 1003 (3) -> 9: done.  VAL 1000, VAH 1003.
    candles = frame([(FLAT, FLAT, FLAT, FLAT, 10.0), (1001.0, 1005.5, 1000.0, 1001.5, 15.0)])
    p = Params(row_size=1.0, volume_spread="typical", lookback_period=1)
    alone = compute(candles.iloc[1:], p).iloc[0]
    assert (alone["poc"], alone["vah"], alone["val"]) == (1002.0, 1003.0, 1000.0)
    both = compute(candles, p).iloc[1]
    assert (both["poc"], both["vah"], both["val"]) == (1002.0, 1003.0, 1000.0)


def test_typical_spread_flat_candle_alone_is_right():
    # the same flat candle alone: one row, everything on it
    assert profile([(FLAT, FLAT, FLAT, 10.0)], "typical")[:4] == (1000.0, 1000.0, 1000.0, 10.0)
