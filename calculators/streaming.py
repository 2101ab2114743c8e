"""Streaming path: one candle in, that bar's indicators out, for a live engine.

`StreamingCalculator` keeps the bars of the current lookback window in
arrays (a window's worth of slack after them, compacted when full: amortised
O(1) bookkeeping per bar) and computes each new bar's row with
`calculators.series.bar_row`, the very function `compute` runs for every bar.
The window pointers advance exactly as `compute`'s ``searchsorted`` finds them,
so every value equals `compute` on the same history bit for bit:

    >>> import json
    >>> calc = StreamingCalculator(Params(volume_spread="close", flow_estimator="clr"))
    >>> row = calc.update({"ts": "2025-01-01T00:00Z", "open": 100.0, "high": 101.0,
    ...                    "low": 99.0, "close": 100.5, "volume": 5.0})
    >>> row["poc"], row["total_volume"], row["delta"], row["state"]
    (100.5, 5.0, 2.5, 'BALANCE')
    >>> saved = json.dumps(calc.snapshot())       # on shutdown; restore on start
    >>> calc = StreamingCalculator.restore(json.loads(saved))
    >>> row = calc.update({"ts": "2025-01-01T00:01Z", "open": 100.5, "high": 101.5,
    ...                    "low": 100.0, "close": 101.0, "volume": 3.0, "buy_volume": 2.0})
    >>> row["total_volume"], row["delta"], row["cumulative_delta"]
    (8.0, 1.0, 3.5)

(clr puts 75 % of the first bar's volume on the buy side, its close being
three quarters up its range: delta ``2 * 3.75 - 5``; the second bar carries its
true buy volume: delta ``2 * 2 - 3``.)

Why not add and remove each bar's volume from a running histogram: float sums
depend on their order, so a histogram kept by add/remove drifts away from the
histogram of the window's bars summed afresh (what `compute` and the
per-timestamp API compute); POC ties and value-area edges would then differ.
What is reused is exact: each bar's grid rows (a pure function of the bar and
the row size) are computed once and kept while the row size stays the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit

from calculators.errors import InvalidInputError
from calculators.market_state import STATES
from calculators.params import Params
from calculators.records import candle_values
from calculators.series import GRID_ROWS, OUTPUT_COLUMNS, WIDTH, Knobs, bar_row, kernel_knobs
from calculators.timeutil import MINUTE_NS
from calculators.validate import raise_window_fault, window_fault
from calculators.volume_profile import MAX_ROWS, new_buffers

__all__ = ["StreamingCalculator"]

SNAPSHOT_FORMAT = "calculators.StreamingCalculator/1"
_STATE_COL = OUTPUT_COLUMNS.index("state")
_SLACK = 64


@njit(cache=True)
def _step(
    bars, times, rows, pointers, cached, ts, o, h, lo, c, v, b, window_ns, momentum_ns, work,
    knob_values, out,
):  # fmt: skip
    """Put the candle at ``pointers[0]`` and compute its row into ``out``.

    ``bars`` rows: open, high, low, close, volume, buy_volume.  ``pointers``:
    bars held, first bar of the last window, first bar of the last CVD-momentum
    span (never below the window's first bar).  ``cached[0]``: the row size of
    the cached grid rows (-1 = none).  Commits only when the row is valid;
    returns 0, or (nothing committed) -1 for a window wider than ``MAX_ROWS``
    or the `calculators.validate.window_fault` code of an extreme window,
    then the time (ns) of the bar to blame, then the sizes the work arrays ``work`` need (larger than theirs when this
    window needed more: returning arrays would cost more than the update).
    """
    knobs = Knobs(*knob_values)
    t = pointers[0]
    times[t] = ts
    bars[0, t] = o
    bars[1, t] = h
    bars[2, t] = lo
    bars[3, t] = c
    bars[4, t] = v
    bars[5, t] = b
    s = pointers[1]
    while s < t and times[s] <= ts - window_ns:  # bounded: ts - window_ns may wrap
        s += 1
    m = pointers[2]
    while m < t and times[m] <= ts - momentum_ns:
        m += 1
    fault, blamed = window_fault(
        times, bars[1], bars[2], bars[3], bars[4], s, t, knobs.row_size, window_ns
    )
    if fault:
        return fault, times[blamed], work[0].shape[1], work[1].shape[0]
    rs, buffers, scratch = bar_row(
        bars[0], bars[1], bars[2], bars[3], bars[4], bars[5], s, t, max(m, s), rows, 0,
        cached[0], work[0], work[1], knobs, out,
    )  # fmt: skip
    if np.isnan(out[0]):
        cached[0] = -1.0  # rows s..t may hold another grid now
        return -1, ts, buffers.shape[1], scratch.shape[0]
    cached[0] = rs
    pointers[0] = t + 1
    pointers[1] = s
    pointers[2] = m
    return 0, ts, buffers.shape[1], scratch.shape[0]


class StreamingCalculator:
    """Every indicator of `calculators.compute`, one bar at a time.

    ``params``: a `Params` or a mapping of its fields (default `Params()`).
    Feed bars in time order with `update`; `snapshot` / `restore` carry the
    state across a restart.  Not thread-safe: one instance per stream.
    """

    def __init__(self, params: Params | Mapping[str, Any] | None = None) -> None:
        if params is None:
            params = Params()
        elif not isinstance(params, Params):
            params = Params.from_dict(dict(params))
        self.params = params
        self._knobs = tuple(kernel_knobs(params))
        self._row_size = params.row_size
        self._window_ns = params.lookback_period * MINUTE_NS
        self._momentum_ns = params.cvd_momentum_buckets * MINUTE_NS
        self._allocate(2 * params.lookback_period + _SLACK)
        self._pointers = np.zeros(3, np.int64)
        self._cached = np.full(1, -1.0)
        self._work = (new_buffers(256), np.empty(256))
        self._out = np.empty(WIDTH)
        self._held = 0
        self._last_ns: int | None = None

    def _allocate(self, capacity: int) -> None:
        self._bars = np.empty((6, capacity))
        self._times = np.empty(capacity, np.int64)
        self._rows = np.empty((GRID_ROWS, capacity), np.int64)

    def update(self, candle: Mapping[str, Any]) -> dict[str, Any]:
        """Add the next bar and return its row: the keys of `OUTPUT_COLUMNS`
        with the values `compute` gives that bar on the whole history fed so
        far (``state`` as its label; units as in `compute`).

        ``candle``: ``ts`` (or ``timestamp``: timezone-aware datetime, ISO
        string with offset, or integer ms), ``open, high, low, close, volume``
        and optionally ``buy_volume`` (None/NaN = unknown).  Raises
        `InvalidInputError` for a bad candle, a time not after the previous
        bar's, a low not above an explicit ``row_size``, or a window wider than
        the profile allows; the calculator is then unchanged.
        """
        if not isinstance(candle, Mapping):
            raise InvalidInputError(f"a candle must be a mapping, not {type(candle).__name__}")
        key = "ts" if "ts" in candle else "timestamp"
        ts, o, h, lo, c, v, b = candle_values(candle, key)
        if self._last_ns is not None and ts <= self._last_ns:
            what = (
                "duplicate" if ts == self._last_ns else "out of order (earlier than the previous)"
            )
            raise InvalidInputError(f"candle {candle[key]!r}: {what} time")
        if self._row_size is not None and self._row_size >= lo:
            raise InvalidInputError(
                f"parameter 'row_size' = {self._row_size!r} is not below the candle's low {lo!r}"
            )
        if self._held == self._times.shape[0]:
            self._make_room()
        fault, blamed_ns, levels, scratch = _step(
            self._bars, self._times, self._rows, self._pointers, self._cached, ts, o, h, lo, c, v,
            b, self._window_ns, self._momentum_ns, self._work, self._knobs, self._out,
        )  # fmt: skip
        if levels != self._work[0].shape[1] or scratch != self._work[1].shape[0]:
            # zeroed like the kernel's own grown buffers after use (`integrate` zeroes them)
            self._work = (np.zeros((3, levels)), np.empty(scratch))
        if fault == -1:
            raise InvalidInputError(
                f"the window spans more than {MAX_ROWS:,} profile rows; use a larger 'row_size'"
            )
        raise_window_fault(fault, blamed_ns)
        self._held += 1
        self._last_ns = ts
        row = dict(zip(OUTPUT_COLUMNS, self._out.tolist(), strict=True))
        row["state"] = STATES[int(row["state"])]
        return row

    def _make_room(self) -> None:
        """Drop the bars before the last window (no later window reaches
        them); grow the arrays if the window fills more than half of them."""
        first = int(self._pointers[1])
        keep = self._held - first
        bars, times, rows = self._bars, self._times, self._rows
        if 2 * keep > times.shape[0]:
            self._allocate(2 * times.shape[0])
        self._bars[:, :keep] = bars[:, first : self._held]
        self._times[:keep] = times[first : self._held]
        self._rows[:, :keep] = rows[:, first : self._held]
        self._pointers[:] = (keep, 0, max(int(self._pointers[2]) - first, 0))
        self._held = keep

    def snapshot(self) -> dict[str, Any]:
        """The state as plain data (dicts, lists, ints, floats, None): picklable
        and JSON-serialisable.  Holds the parameters and the bars of the last
        window (``[ts_ns, open, high, low, close, volume, buy_volume or
        None]``), all a later bar can depend on."""
        first = int(self._pointers[1])
        bars = self._bars[:, first : self._held].T.tolist()
        times = self._times[first : self._held].tolist()
        return {
            "format": SNAPSHOT_FORMAT,
            "params": self.params.to_dict(),
            "bars": [
                [ts, *row[:5], None if math.isnan(row[5]) else row[5]]
                for ts, row in zip(times, bars, strict=True)
            ],
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> StreamingCalculator:
        """A calculator in the state `snapshot` saved: its next `update` gives
        what the saved calculator's would have.  Raises `InvalidInputError`
        for a malformed snapshot."""
        try:
            if snapshot["format"] != SNAPSHOT_FORMAT:
                raise InvalidInputError(f"not a {SNAPSHOT_FORMAT} snapshot: {snapshot['format']!r}")
            calc = cls(Params.from_dict(snapshot["params"]))
            held = list(snapshot["bars"])
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"malformed StreamingCalculator snapshot: {exc}") from None
        if len(held) > calc._times.shape[0]:
            calc._allocate(2 * len(held))
        last = None
        for i, bar in enumerate(held):
            try:
                ts, o, h, lo, c, v, b = bar
                ts = int(ts)  # ns; candle_values would read an integer as ms
                fields = {"ts": 0, "open": o, "high": h, "low": lo, "close": c, "volume": v}
                values = candle_values({**fields, "buy_volume": b})
            except (TypeError, ValueError, OverflowError):
                raise InvalidInputError(f"malformed snapshot bar {i}: {bar!r}") from None
            if not -(2**63) <= ts < 2**63:
                raise InvalidInputError(f"snapshot bar {i}: time {ts!r} ns is out of range")
            if last is not None and ts <= last:
                raise InvalidInputError(f"snapshot bar {i}: times not increasing")
            last = ts
            calc._times[i] = ts
            calc._bars[:, i] = values[1:]
        calc._held = len(held)
        calc._pointers[:] = (len(held), 0, 0)
        calc._last_ns = last
        return calc
