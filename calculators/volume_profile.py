"""Volume profile: POC, value area (VAH/VAL) and total volume of one window.

Numba kernels on arrays (no pandas).  The window's volume is laid on an
integer grid of rows (see `calculators.grid`), then:

- POC: the row with the most volume.  Ties (volumes within ``EQUAL`` of the
  window total) go to the row nearest the middle of the profile's range, and
  between two equally near rows to the lower one.
- Value area: starts at the POC and grows, one row (``"single"``) or two rows
  (``"pair"``) at a time, toward the side with more volume; empty rows inside
  the range count as zero, rows beyond the range's edges do not exist (a side
  that reached its edge is exhausted).  Equal sides grow both at once.  The
  growth stops as soon as the area holds ``>= value_area_pct`` of the total.
- Trim: while an end row other than the POC can be dropped and the rest still
  holds the share, the smaller such end is dropped (equal ends: the upper).
  So no row can be dropped from either end without falling below the share.

Degenerate cases: one row -> POC = VAH = VAL; zero total volume -> the POC is
the middle row and the value area is that row; ``value_area_pct = 100`` -> the
value area runs from the lowest to the highest row with volume.

Results are deterministic: the same candles in any order give the same rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from calculators.bar_path import path_legs
from calculators.grid import auto_row_size, price_to_row, row_price

__all__ = [
    "EQUAL",
    "SPREAD_CODES",
    "VALUE_AREA_CODES",
    "bar_rows",
    "integrate",
    "new_buffers",
    "profile_of_rows",
    "spread_candle",
    "value_area",
    "window_profile_candles",
    "window_profile_points",
]

#: Volumes closer than this fraction of the window total count as equal.
EQUAL = 1e-9
SPREAD_CODES = {"close": 0, "uniform": 1, "typical": 2, "path": 3}
VALUE_AREA_CODES = {"single": 1, "pair": 2}
#: A window spanning more rows than this is refused (the row size is too small).
MAX_ROWS = 2_000_000


@njit(cache=True)
def spread_candle(
    ramp: np.ndarray,
    level: np.ndarray,
    low_row: int,
    high_row: int,
    peak_row: int,
    open_row: int,
    volume: float,
    mode: int,
) -> None:
    """Add one candle's ``volume`` to the difference arrays of a profile.

    Rows are relative to the window's lowest row.  After all candles,
    `integrate` turns ``level`` (volume per row, as steps) and ``ramp``
    (volume per row per row, as steps) into the histogram; each candle costs
    O(1) whatever its range.  ``peak_row`` is the close's row (modes 0 and 3)
    or the typical price's row (mode 2); ``open_row`` is used by mode 3 only.

    mode 0 ("close"): all of it on the close's row.  mode 1 ("uniform"): equal
    parts on every row from low to high.  mode 2 ("typical"): a triangle
    peaking at the row of the typical price (high+low+close)/3, weight
    ``1 + d_max - |row - peak|`` where ``d_max`` is the peak's distance to the
    farther end, so every row of the range gets some volume.  mode 3
    ("path"): the bar's likely path at constant speed, open -> nearer extreme
    -> other extreme -> close (`calculators.bar_path.path_legs`); each of the three legs covers
    its rows end to end, and every row of every leg gets the same share
    ``volume / (rows of leg 1 + rows of leg 2 + rows of leg 3)``, so rows the
    path crosses two or three times get two or three shares.
    """
    if mode == 0:
        level[peak_row] += volume
        level[peak_row + 1] -= volume
    elif mode == 1:
        share = volume / (high_row - low_row + 1)
        level[low_row] += share
        level[high_row + 1] -= share
    elif mode == 3:
        first, second = path_legs(low_row, high_row, peak_row, open_row)
        a1, b1 = min(open_row, first), max(open_row, first)
        a3, b3 = min(second, peak_row), max(second, peak_row)
        share = volume / ((b1 - a1 + 1) + (high_row - low_row + 1) + (b3 - a3 + 1))
        level[a1] += share
        level[b1 + 1] -= share
        level[low_row] += share
        level[high_row + 1] -= share
        level[a3] += share
        level[b3 + 1] -= share
    else:
        m = peak_row
        d_max = max(m - low_row, high_row - m)
        left = m - low_row + 1
        right = high_row - m
        weight_sum = left * (1.0 + d_max) - 0.5 * (left - 1) * left
        weight_sum += right * (1.0 + d_max) - 0.5 * right * (right + 1)
        k = volume / weight_sum
        # rows low..m: weight (1 + d_max - m) + row;  rows m+1..high: (1 + d_max + m) - row
        level[low_row] += k * (1.0 + d_max - m)
        level[m + 1] -= k * (1.0 + d_max - m)
        ramp[low_row] += k
        ramp[m + 1] -= k
        level[m + 1] += k * (1.0 + d_max + m)
        level[high_row + 1] -= k * (1.0 + d_max + m)
        ramp[m + 1] -= k
        ramp[high_row + 1] += k


@njit(cache=True)
def integrate(
    ramp: np.ndarray, level: np.ndarray, n: int, total: float, hist: np.ndarray, sloped: bool = True
) -> int:
    """Turn the difference arrays of `spread_candle` into ``hist[0:n]`` and
    return the POC index.  Zeroes ``ramp`` and ``level`` on the way (through
    index ``n``), so they are ready for the next window.  ``sloped`` is False
    when nothing was added to ``ramp`` (every spread but "typical"), which
    skips its prefix sum.

    POC: the row with the most volume; volumes within ``EQUAL * total`` count
    as equal, and among equal rows the one nearest the middle of the range
    wins, the lower one of two equally near.
    """
    a = 0.0
    b = 0.0
    best = -np.inf
    for r in range(n):
        a += level[r]
        level[r] = 0.0
        if sloped:
            b += ramp[r]
            ramp[r] = 0.0
        v = a + b * r
        hist[r] = v
        best = max(best, v)
    # Ties: every row within EQUAL * total of the maximum; the one nearest the
    # middle wins (on ties of distance, the lower: scanning upward keeps the first).
    floor = best - EQUAL * total
    poc = 0
    distance = n + 1
    for r in range(n):
        if hist[r] >= floor and abs(2 * r - (n - 1)) < distance:
            distance = abs(2 * r - (n - 1))
            poc = r
    level[n] = 0.0
    ramp[n] = 0.0
    return poc


@njit(cache=True)
def value_area(
    hist: np.ndarray, n: int, total: float, poc: int, value_area_pct: float, step: int
) -> tuple[int, int]:
    """Value-area bounds ``(low, high)`` as indices of ``hist[0:n]`` (whose
    volumes add up to ``total``), grown from ``poc``.

    ``step`` is 1 (grow one row at a time) or 2 (two rows).  See the module
    docstring for the tie-breaks and the trim.
    """
    eps = EQUAL * total
    target = total * value_area_pct / 100.0 - eps
    lo = poc
    hi = poc
    acc = hist[poc]
    while acc < target:
        up_rows = min(step, n - 1 - hi)
        down_rows = min(step, lo)
        if up_rows == 0 and down_rows == 0:
            break
        up = 0.0
        for r in range(hi + 1, hi + 1 + up_rows):
            up += hist[r]
        down = 0.0
        for r in range(lo - down_rows, lo):
            down += hist[r]
        take_up = up_rows > 0 and (down_rows == 0 or up >= down - eps)
        take_down = down_rows > 0 and (up_rows == 0 or down >= up - eps)
        if take_up:
            hi += up_rows
            acc += up
        if take_down:
            lo -= down_rows
            acc += down
    while lo < hi:
        drop_lo = lo != poc and acc - hist[lo] >= target
        drop_hi = hi != poc and acc - hist[hi] >= target
        if drop_lo and drop_hi:
            if hist[lo] < hist[hi] - eps:
                drop_hi = False
            else:
                drop_lo = False
        if drop_hi:
            acc -= hist[hi]
            hi -= 1
        elif drop_lo:
            acc -= hist[lo]
            lo += 1
        else:
            break
    return lo, hi


@njit(cache=True)
def new_buffers(rows: int) -> np.ndarray:
    """Work space for the window kernels: a zeroed (3, rows + 1) array
    (difference arrays ``level`` and ``ramp``, then the histogram)."""
    return np.zeros((3, rows + 1))


@njit(cache=True)
def _fit(buffers: np.ndarray, rows: int) -> np.ndarray:
    return buffers if buffers.shape[1] >= rows + 1 else np.zeros((3, 2 * rows + 1))


@njit(cache=True)
def window_row_size(close: float, row_size: float) -> float:
    """The row size of a window: ``row_size`` if given (> 0), else the automatic
    rule applied to the window's last close."""
    return row_size if row_size > 0 else auto_row_size(close)


@njit(cache=True)
def bar_rows(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    first: int,
    last: int,
    row_size: float,
    spread: int,
    rows: np.ndarray,
) -> None:
    """Whole rows of bars ``first..last`` on a grid of ``row_size``, into
    ``rows[:, 0 : last - first + 1]``: the low's row, the high's row, the
    row the spread peaks on (the close's for "close" and "path", the typical
    price's for "typical", clamped to the bar's rows: float rounding of (h + l
    + c) / 3 can step outside them; unused for "uniform") and the open's row
    (used by "path" only; else the low's row)."""
    for i in range(first, last + 1):
        k = i - first
        low_row = price_to_row(low[i], row_size)
        high_row = price_to_row(high[i], row_size)
        peak = low_row
        open_row = low_row
        if spread == 0 or spread == 3:
            peak = price_to_row(close[i], row_size)
        elif spread == 2:
            peak = price_to_row((high[i] + low[i] + close[i]) / 3.0, row_size)
        if spread == 3:
            open_row = min(max(price_to_row(open_[i], row_size), low_row), high_row)
        rows[0, k] = low_row
        rows[1, k] = high_row
        rows[2, k] = min(max(peak, low_row), high_row)
        rows[3, k] = open_row


@njit(cache=True)
def window_profile_candles(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    start: int,
    end: int,
    row_size: float,
    spread: int,
    value_area_pct: float,
    step: int,
    buffers: np.ndarray,
) -> tuple[float, float, float, float, np.ndarray]:
    """Profile of candles ``start..end`` (inclusive) on whole rows.

    Returns ``(poc, vah, val, total_volume, buffers)``: prices of the rows
    (`calculators.grid.row_price`), the total in the candles' volume unit.
    ``buffers`` (from `new_buffers`, all zero) is work space, returned grown if
    it was too small.  NaN prices flag a window spanning more than
    ``MAX_ROWS`` rows.
    """
    rs = window_row_size(close[end], row_size)
    rows = np.empty((4, end - start + 1), np.int64)
    bar_rows(open_, high, low, close, start, end, rs, spread, rows)
    return profile_of_rows(rows, 0, volume, start, end, rs, spread, value_area_pct, step, buffers)


@njit(cache=True)
def profile_of_rows(
    rows: np.ndarray,
    offset: int,
    volume: np.ndarray,
    start: int,
    end: int,
    row_size: float,
    spread: int,
    value_area_pct: float,
    step: int,
    buffers: np.ndarray,
) -> tuple[float, float, float, float, np.ndarray]:
    """`window_profile_candles` from the bars' rows (`bar_rows`), where bar
    ``i``'s rows are ``rows[:, i - start + offset]``."""
    m = end - start + 1
    total = 0.0
    base = rows[0, offset]
    top = rows[1, offset]
    for k in range(offset, offset + m):
        base = min(base, rows[0, k])
        top = max(top, rows[1, k])
        total += volume[start + k - offset]
    n = top - base + 1
    if n > MAX_ROWS:
        return np.nan, np.nan, np.nan, total, buffers
    buffers = _fit(buffers, n)
    for k in range(offset, offset + m):
        spread_candle(
            buffers[0], buffers[1], rows[0, k] - base, rows[1, k] - base, rows[2, k] - base,
            rows[3, k] - base, volume[start + k - offset], spread,
        )  # fmt: skip
    poc = integrate(buffers[0], buffers[1], n, total, buffers[2], spread == 2)
    lo, hi = value_area(buffers[2], n, total, poc, value_area_pct, step)
    return (
        row_price(base + poc, row_size),
        row_price(base + hi, row_size),
        row_price(base + lo, row_size),
        total,
        buffers,
    )


@njit(cache=True)
def window_profile_points(
    point_start: np.ndarray,
    point_price: np.ndarray,
    point_volume: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    start: int,
    end: int,
    row_size: float,
    value_area_pct: float,
    step: int,
    buffers: np.ndarray,
) -> tuple[float, float, float, float, np.ndarray]:
    """Like `window_profile_candles`, from exact (price, volume) points.

    Bar ``i`` owns points ``point_start[i]:point_start[i + 1]`` (the volume
    traded at each price in that minute, from the trade tape).
    """
    rs = window_row_size(close[end], row_size)
    first = point_start[start]
    last = point_start[end + 1]
    rows = np.empty(last - first, np.int64)
    for k in range(first, last):
        rows[k - first] = price_to_row(point_price[k], rs)
    total = 0.0
    for i in range(start, end + 1):
        total += volume[i]
    base = rows.min()
    n = rows.max() - base + 1
    if n > MAX_ROWS:
        return np.nan, np.nan, np.nan, total, buffers
    buffers = _fit(buffers, n)
    level = buffers[1]
    for k in range(first, last):
        r = rows[k - first] - base
        level[r] += point_volume[k]
        level[r + 1] -= point_volume[k]
    poc = integrate(buffers[0], level, n, total, buffers[2], False)
    lo, hi = value_area(buffers[2], n, total, poc, value_area_pct, step)
    return (
        row_price(base + poc, rs),
        row_price(base + hi, rs),
        row_price(base + lo, rs),
        total,
        buffers,
    )
