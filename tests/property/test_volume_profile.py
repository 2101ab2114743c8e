"""Properties of the volume profile kernels (`calculators.volume_profile`).

A slow, obvious reference (pure Python: the histogram built row by row, the
POC, the growth and the trim as the module docstring documents them, with
exact rational row numbers) is compared with the kernels on hypothesis
histograms and candles; invariants are checked on the kernel's own histogram.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import RULES, SPREADS, candle_frames, params, tick_paths

from calculators import compute
from calculators.grid import price_to_row
from calculators.volume_profile import (
    EQUAL,
    SPREAD_CODES,
    VALUE_AREA_CODES,
    new_buffers,
    window_profile_candles,
    window_profile_points,
)

PCTS = st.one_of(st.sampled_from([1.0, 50.0, 68.27, 70.0, 99.0, 100.0]), st.integers(1, 100))


# --- the reference -------------------------------------------------------------


def ref_rows(price: float | Fraction, row_size: float) -> int:
    """Exact row of a price: floor(price / row_size) in rational arithmetic."""
    return math.floor(Fraction(price) / Fraction(row_size))


def ref_path_rows(lo: int, hi: int, o: int, c: int) -> list[int]:
    """Every row the bar's path open -> nearer extreme -> other extreme -> close
    covers, leg by leg (a row once per leg that covers it)."""
    if hi - o < o - lo:
        first, second = hi, lo
    elif o - lo < hi - o:
        first, second = lo, hi
    else:  # equally near: the extreme farther from the close first, else the high
        first, second = (lo, hi) if hi - c < c - lo else (hi, lo)
    legs = [(o, first), (first, second), (second, c)]
    return [r for a, b in legs for r in range(min(a, b), max(a, b) + 1)]


def ref_histogram(high, low, close, volume, row_size: float, spread: str, open_=None):
    """``(base_row, [volume of each row])``, built candle by candle, row by row."""
    open_ = close if open_ is None else open_
    lows = [ref_rows(x, row_size) for x in low]
    highs = [ref_rows(x, row_size) for x in high]
    base = min(lows)
    hist = [0.0] * (max(highs) - base + 1)
    for lo, hi, h, lw, c, o, v in zip(lows, highs, high, low, close, open_, volume, strict=True):
        if spread == "path":
            visits = ref_path_rows(lo, hi, ref_rows(o, row_size), ref_rows(c, row_size))
            for r in visits:
                hist[r - base] += v / len(visits)
        elif spread == "close":
            hist[ref_rows(c, row_size) - base] += v
        elif spread == "uniform":
            for r in range(lo, hi + 1):
                hist[r - base] += v / (hi - lo + 1)
        else:  # typical: a triangle peaking at the row of (h + l + c) / 3
            peak = math.floor((Fraction(h) + Fraction(lw) + Fraction(c)) / 3 / Fraction(row_size))
            d_max = max(peak - lo, hi - peak)
            weights = {r: 1 + d_max - abs(r - peak) for r in range(lo, hi + 1)}
            for r, w in weights.items():
                hist[r - base] += v * w / sum(weights.values())
    return base, hist


def ref_profile(hist: list[float], pct: float, step: int) -> tuple[int, int, int]:
    """``(poc, val, vah)`` row indices of a histogram, as documented."""
    n = len(hist)
    total = math.fsum(hist)
    eps = EQUAL * total
    top = max(hist)
    # POC: the most volume; near-ties (within eps of the maximum) go to the row
    # nearest the middle of the range, the lower of two equally near.
    tied = [r for r in range(n) if hist[r] >= top - eps]
    poc = min(tied, key=lambda r: (abs(r - (n - 1) / 2), r))
    target = total * pct / 100.0 - eps
    lo = hi = poc
    while math.fsum(hist[lo : hi + 1]) < target:
        up = list(range(hi + 1, min(n, hi + 1 + step)))
        down = list(range(max(0, lo - step), lo))
        if not up and not down:
            break
        up_volume = math.fsum(hist[r] for r in up)
        down_volume = math.fsum(hist[r] for r in down)
        if not down or (up and up_volume > down_volume + eps):
            hi = up[-1]
        elif not up or down_volume > up_volume + eps:
            lo = down[0]
        else:  # equal sides grow both at once
            hi, lo = up[-1], down[0]
    while True:
        area = math.fsum(hist[lo : hi + 1])
        droppable = [
            end for end in (lo, hi) if end != poc and area - hist[end] >= target and lo < hi
        ]
        if not droppable:
            break
        if len(droppable) == 2 and hist[lo] < hist[hi] - eps:
            lo += 1  # the lower end is the smaller: drop it
        elif len(droppable) == 2 or droppable[0] == hi:
            hi -= 1  # the upper end is smaller, or equal (equal ends: the upper)
        else:
            lo += 1
    return poc, lo, hi


# --- running the kernels ---------------------------------------------------------


def arrays(rows):
    """Columns high, low, close, volume of ``(high, low, close, volume)`` tuples."""
    return [np.array(col, dtype=np.float64) for col in zip(*rows, strict=True)]


def kernel_candles(
    high, low, close, volume, row_size, spread, pct, rule, buffers=None, open_=None
):
    """``(poc, vah, val, total, hist)`` of all the candles (one window); the
    opens (read by the "path" spread only) default to the closes."""
    if buffers is None:
        buffers = new_buffers(4)
    poc, vah, val, total, buffers = window_profile_candles(
        close if open_ is None else open_,
        high,
        low,
        close,
        volume,
        0,
        len(high) - 1,
        row_size,
        SPREAD_CODES[spread],
        pct,
        VALUE_AREA_CODES[rule],
        buffers,
    )
    return poc, vah, val, total, buffers[2].copy()


def kernel_histogram(hist: list[float], pct: float, step: int) -> tuple[int, int, int]:
    """``(poc, val, vah)`` row indices of a histogram, through `window_profile_points`:
    one bar whose row ``r`` holds ``hist[r]`` at price ``100 + r`` (row size 1.0)."""
    n = len(hist)
    point_price = np.arange(100.0, 100.0 + n)
    point_volume = np.array(hist, dtype=np.float64)
    total = float(math.fsum(hist))
    poc, vah, val, _, _ = window_profile_points(
        np.array([0, n], dtype=np.int64),
        point_price,
        point_volume,
        np.array([100.0]),
        np.array([total]),
        0,
        0,
        1.0,
        pct,
        step,
        new_buffers(2),
    )
    return int(poc) - 100, int(val) - 100, int(vah) - 100


quarter_bars = tick_paths(1, 12, max_move=3).map(
    lambda path: [(o * 0.25, h * 0.25, lo * 0.25, c * 0.25) for o, h, lo, c in path]
)
quarter_candles = quarter_bars.map(lambda bars: [bar[1:] for bar in bars])


# --- the reference against the kernels ----------------------------------------------


@given(
    hist=st.lists(st.integers(0, 6).map(float), min_size=1, max_size=30),
    pct=PCTS,
    step=st.sampled_from([1, 2]),
)
def test_histogram_kernel_matches_reference(hist, pct, step):
    # small integer volumes: exact sums and many ties between rows and sides
    assert kernel_histogram(hist, pct, step) == ref_profile(hist, pct, step)


@given(
    hist=st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=30),
    pct=PCTS,
    step=st.sampled_from([1, 2]),
)
def test_histogram_kernel_matches_reference_float_volumes(hist, pct, step):
    assert kernel_histogram(hist, pct, step) == ref_profile(hist, pct, step)


@given(
    data=st.data(),
    candles=quarter_bars,
    row_size=st.sampled_from([0.25, 0.5, 1.0]),
    spread=st.sampled_from(SPREADS),
    rule=st.sampled_from(RULES),
    pct=PCTS,
)
def test_candle_kernel_matches_reference(data, candles, row_size, spread, rule, pct):
    vols = data.draw(st.lists(st.integers(0, 50).map(float), min_size=len(candles)))
    vols = vols[: len(candles)]
    open_, high, low, close = (np.array(c) for c in zip(*candles, strict=True))
    volume = np.array(vols)
    poc, vah, val, total, kernel_hist = kernel_candles(
        high, low, close, volume, row_size, spread, pct, rule, open_=open_
    )
    base, hist = ref_histogram(high, low, close, volume, row_size, spread, open_)
    r_poc, r_val, r_vah = ref_profile(hist, pct, VALUE_AREA_CODES[rule])
    # row prices on a 0.25/0.5/1.0 grid are exact: row * row_size
    assert (poc, vah, val) == (
        (base + r_poc) * row_size,
        (base + r_vah) * row_size,
        (base + r_val) * row_size,
    )
    assert total == sum(vols)
    # the difference arrays integrate to the directly built histogram
    assert kernel_hist[: len(hist)] == pytest.approx(hist, rel=1e-12, abs=1e-9)


# --- invariants on the kernel's own histogram -----------------------------------------


@given(
    candles=candle_frames(1, 25, ticks=(0.01, 0.25, 1.0, 1e-8), gaps=False),
    spread=st.sampled_from(SPREADS),
    rule=st.sampled_from(RULES),
    pct=PCTS,
)
def test_profile_invariants(candles, spread, rule, pct):
    high, low, close, volume = (candles[c].to_numpy() for c in ("high", "low", "close", "volume"))
    row_size = 10.0 ** math.floor(math.log10(close[-1] * 1e-4) + 1e-9)
    poc, vah, val, total, hist = kernel_candles(
        high, low, close, volume, row_size, spread, pct, rule
    )
    base = price_to_row(low.min(), row_size)
    n = price_to_row(high.max(), row_size) - base + 1
    hist = hist[:n]
    i_poc, i_vah, i_val = (price_to_row(p, row_size) - base for p in (poc, vah, val))
    total_volume = math.fsum(volume)
    eps = EQUAL * total_volume
    slack = 1e-12 * total_volume  # float summation noise on top of the documented tolerance

    assert 0 <= i_val <= i_poc <= i_vah < n
    assert val <= poc <= vah
    # total volume conserved: the returned total and the histogram's sum
    assert total == pytest.approx(total_volume, rel=1e-12)
    assert math.fsum(hist) == pytest.approx(total_volume, rel=1e-9, abs=1e-9)
    # the POC holds the maximum
    assert hist[i_poc] >= hist.max() - eps - slack
    # the value area holds the share ...
    target = total_volume * pct / 100.0
    area = math.fsum(hist[i_val : i_vah + 1])
    assert area >= target - eps - slack
    # ... and no end row other than the POC can be dropped without falling below it
    for end in {i_val, i_vah} - {i_poc}:
        assert area - hist[end] < target - eps + slack


@given(
    candles=quarter_candles,
    data=st.data(),
    spread=st.sampled_from(SPREADS),
    rule=st.sampled_from(RULES),
    pct=PCTS,
)
def test_profile_independent_of_candle_order(candles, data, spread, rule, pct):
    n = len(candles)
    vols = data.draw(st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=n, max_size=n))
    order = data.draw(st.permutations(range(n)))
    high, low, close = (np.array(c) for c in zip(*candles, strict=True))
    volume = np.array(vols)
    a = kernel_candles(high, low, close, volume, 0.25, spread, pct, rule)
    b = kernel_candles(
        high[order], low[order], close[order], volume[order], 0.25, spread, pct, rule
    )
    assert a[:3] == b[:3]
    assert a[3] == pytest.approx(b[3], rel=1e-12)


@given(
    candles=quarter_candles,
    data=st.data(),
    k=st.sampled_from([0.5, 2.0, 1024.0, 3.0, 0.1, 7.3, 1e6, 1e-3]),
    spread=st.sampled_from(SPREADS),
    rule=st.sampled_from(RULES),
    pct=PCTS,
)
def test_scaling_volumes_changes_only_the_total(candles, data, k, spread, rule, pct):
    n = len(candles)
    vols = np.array(data.draw(st.lists(st.integers(0, 50).map(float), min_size=n, max_size=n)))
    high, low, close = (np.array(c) for c in zip(*candles, strict=True))
    a = kernel_candles(high, low, close, vols, 1.0, spread, pct, rule)
    b = kernel_candles(high, low, close, vols * k, 1.0, spread, pct, rule)
    assert a[:3] == b[:3]
    assert b[3] == pytest.approx(a[3] * k, rel=1e-12)


@given(
    candles=quarter_candles,
    data=st.data(),
    shift=st.integers(-500, 500),
    row_size=st.sampled_from([0.25, 1.0]),
    spread=st.sampled_from(SPREADS),
    rule=st.sampled_from(RULES),
    pct=PCTS,
)
def test_shifting_prices_by_whole_rows_shifts_the_profile(
    candles, data, shift, row_size, spread, rule, pct
):
    n = len(candles)
    vols = np.array(data.draw(st.lists(st.integers(0, 50).map(float), min_size=n, max_size=n)))
    high, low, close = (np.array(c) for c in zip(*candles, strict=True))
    move = shift * row_size  # prices are multiples of 0.25: every sum below is exact
    a = kernel_candles(high, low, close, vols, row_size, spread, pct, rule)
    b = kernel_candles(high + move, low + move, close + move, vols, row_size, spread, pct, rule)
    assert b[:3] == (a[0] + move, a[1] + move, a[2] + move)
    assert b[3] == a[3]


@given(
    candles=candle_frames(1, 40, ticks=(0.01, 0.25, 1.0)),
    p=params(row_size=True),
)
def test_compute_profile_columns_are_ordered_and_in_range(candles, p):
    out = compute(candles, p)
    assert (out["val"] <= out["poc"]).all()
    assert (out["poc"] <= out["vah"]).all()
    # every row's profile lies within the prices of the candles it may use (the
    # VAL row's lower edge is at most one row below the lowest low)
    lowest = candles["low"].cummin()
    highest = candles["high"].cummax()
    row = p.row_size or 1e-4 * float(highest.max())  # auto rows are <= 1 bp of the close
    assert (out["val"] >= lowest - row).all()
    assert (out["vah"] <= highest).all()
