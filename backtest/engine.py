"""`BacktestEngine`: candles in, indicators computed on the fly, trades out.

::

    engine = BacktestEngine({"poc_distance_threshold": 2.5, "allow_balance_trades": True})
    result = engine.run("BTCUSDT", "2022-01-03", "2022-01-10", candles=frame)
    print(result.stats["trade_count"], result.to_json())

The engine knows nothing of databases: candles come from a DataFrame passed to
`BacktestEngine.run` or from an injected ``candle_source(symbol, start, end)``
that returns the 1-minute candles opened in ``[start, end)`` (a DataFrame on a
UTC `DatetimeIndex` with ``open, high, low, close, volume``).

`BacktestEngine.run` trades the bars opened in ``[start, end)``.  It loads
``lookback_period`` minutes more before ``start`` (the warm-up), computes every
indicator once with `calculators.compute` (so the first traded bar's window is
full), drops the warm-up bars and walks the rest
(`backtest.execution.execute`).  Warm-up bars are never traded: a signal on
the last warm-up bar does not fill at the first traded bar.  Missing data is
not an error: a window missing minutes (a gap, or data that starts late) is
just shorter.

`BacktestEngine.run_on_indicators` walks the same way on indicators from
elsewhere (e.g. a live engine's stored rows), to ask "would the backtest have
traded as live did?".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from backtest.execution import execute
from backtest.result import BacktestResult
from backtest.stats import compute_stats
from backtest.strategy import entry_signals, state_codes
from calculators import InvalidInputError, Params, compute, validate_candles
from calculators.timeutil import utc_time

__all__ = ["INDICATOR_COLUMNS", "BacktestEngine", "CandleSource", "Progress"]

#: Columns `BacktestEngine.run_on_indicators` reads from the indicators frame.
INDICATOR_COLUMNS = (
    "state", "confidence", "buy_pressure", "sell_pressure", "cvd_momentum",
    "atr", "poc", "vah", "val",
)  # fmt: skip

#: ``candle_source(symbol, start, end)``: the candles opened in ``[start, end)``.
CandleSource = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
#: ``progress(fraction)``: called with a non-decreasing fraction done, 0.0 to 1.0.
Progress = Callable[[float], None]

Time = str | datetime | pd.Timestamp


class BacktestEngine:
    """A backtest of the strategy of `backtest.strategy` under the execution
    model of `backtest.execution`.

    ``parameters``: a `calculators.Params`, a dict for `Params.from_dict`
    (unknown keys and bad values raise `InvalidInputError`), or None for the
    defaults.  ``candle_source``: where `run` gets candles when none are
    passed.
    """

    def __init__(
        self,
        parameters: Mapping[str, Any] | Params | None = None,
        candle_source: CandleSource | None = None,
    ) -> None:
        if isinstance(parameters, Params):
            self.params = parameters
        else:
            self.params = Params.from_dict(dict(parameters or {}))
        self.candle_source = candle_source

    @property
    def warmup(self) -> pd.Timedelta:
        """The span loaded before ``start``: ``lookback_period`` minutes."""
        return pd.Timedelta(minutes=self.params.lookback_period)

    def run(
        self,
        symbol: str,
        start: Time | None = None,
        end: Time | None = None,
        candles: pd.DataFrame | None = None,
        *,
        progress: Progress | None = None,
    ) -> BacktestResult:
        """Backtest ``symbol`` over the bars opened in ``[start, end)`` (UTC;
        a naive time is read as UTC).

        ``candles``: the data (any span; the warm-up and the traded span are cut
        from it).  Without it the engine's ``candle_source`` is asked for
        ``[start - warm-up, end)``.  With ``candles``, ``start`` may be None (the
        first bar with a full warm-up before it) and ``end`` None (after the last
        bar).  Raises `InvalidInputError` on bad candles or parameters and when
        no bar falls in ``[start, end)``.
        """
        report = progress or _ignore
        report(0.0)
        start_ts, end_ts = _utc(start, "start"), _utc(end, "end")
        if candles is None:
            if self.candle_source is None:
                raise InvalidInputError(
                    "no candles: pass candles= or give the engine a candle_source"
                )
            if start_ts is None or end_ts is None:
                raise InvalidInputError("start and end are required with a candle_source")
            candles = self.candle_source(symbol, start_ts - self.warmup, end_ts)
        window, start_ts = self.window(validate_candles(candles), symbol, start_ts, end_ts)
        report(0.1)
        indicators = compute(window, self.params)
        report(0.8)
        return self._walk(window, indicators, symbol, start_ts, end_ts, _scaled(report, 0.8, 1.0))

    def window(
        self,
        checked: pd.DataFrame,
        symbol: str,
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
    ) -> tuple[pd.DataFrame, pd.Timestamp]:
        """The bars `run` computes on (warm-up included) of the checked candles,
        and the first traded time (``start``, or the first bar + warm-up when
        None).  Raises `InvalidInputError` when no bar falls in ``[start, end)``."""
        if start is None and len(checked):
            start = checked.index[0] + self.warmup
        first = start - self.warmup if start is not None else None
        window = checked.iloc[_span(checked.index, first, end)]
        if not len(window.iloc[_span(window.index, start, end)]):
            raise InvalidInputError(f"no candles of {symbol or 'the symbol'} in [{start}, {end})")
        return window, start

    def run_on_indicators(
        self,
        candles: pd.DataFrame,
        indicators: pd.DataFrame,
        symbol: str = "",
        start: Time | None = None,
        end: Time | None = None,
        progress: Progress | None = None,
    ) -> BacktestResult:
        """Walk ``candles`` with the signals of ``indicators`` over ``[start, end)``
        (None: from the first bar / to after the last).

        ``indicators``: a DataFrame on a UTC `DatetimeIndex` with the columns
        of `INDICATOR_COLUMNS` (``state`` as labels or codes; units as in
        `calculators.compute`).  It is aligned on the candle index: a bar
        without a row, or with NaN/None values, has no signal; rows at times
        without a candle are ignored.  The signal price is the candle's close.
        """
        return self._walk(
            validate_candles(candles), indicators, symbol, _utc(start, "start"), _utc(end, "end"),
            progress or _ignore,
        )  # fmt: skip

    def _walk(
        self,
        checked: pd.DataFrame,
        indicators: pd.DataFrame,
        symbol: str,
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
        report: Progress,
    ) -> BacktestResult:
        report(0.0)
        missing = [c for c in INDICATOR_COLUMNS if c not in indicators.columns]
        if missing:
            raise InvalidInputError(f"indicators lack column(s) {', '.join(missing)}")
        bars = checked.iloc[_span(checked.index, start, end)]
        if bars.empty:
            raise InvalidInputError(f"no candles of {symbol or 'the symbol'} in [{start}, {end})")
        rows = _rows_of(indicators, bars.index)
        signals = entry_signals(
            state_codes(_states_at(indicators["state"], rows)),
            _floats_at(indicators["confidence"], rows),
            _floats_at(indicators["buy_pressure"], rows),
            _floats_at(indicators["sell_pressure"], rows),
            _floats_at(indicators["cvd_momentum"], rows),
            bars["close"].to_numpy(np.float64),
            _floats_at(indicators["atr"], rows),
            params=self.params,
            poc=_floats_at(indicators["poc"], rows),
            vah=_floats_at(indicators["vah"], rows),
            val=_floats_at(indicators["val"], rows),
        )
        report(0.3)
        trades, equity = execute(bars, signals, self.params)
        report(0.9)
        result = BacktestResult(
            trades=trades,
            equity=equity,
            stats=compute_stats(trades, equity, self.params.initial_capital),
            params=self.params.to_dict(),
            symbol=symbol,
            start=start if start is not None else bars.index[0],
            end=end if end is not None else bars.index[-1] + pd.Timedelta(minutes=1),
            params_digest=self.params.digest(),
        )
        report(1.0)
        return result


def _rows_of(indicators: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """For each time of ``index``, the position of its row in ``indicators``
    (-1: none)."""
    own = indicators.index
    if not isinstance(own, pd.DatetimeIndex) or own.tz is None:
        raise InvalidInputError("indicators need a timezone-aware DatetimeIndex")
    ns = own.tz_convert("UTC").as_unit("ns").asi8
    if own.has_duplicates:
        i = int(np.flatnonzero(own.duplicated())[0])
        raise InvalidInputError(f"indicator row {i} ({own[i]}): duplicate time")
    order = np.arange(ns.shape[0]) if own.is_monotonic_increasing else np.argsort(ns, kind="stable")
    wanted = index.as_unit("ns").asi8
    at = np.searchsorted(ns[order], wanted)
    found = at < ns.shape[0]
    found[found] = ns[order[at[found]]] == wanted[found]
    return np.where(found, order[np.minimum(at, ns.shape[0] - 1)], -1)


def _floats_at(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """``column``'s values at positions ``rows`` as float64 (-1 or None: NaN)."""
    try:
        values = column.to_numpy(np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise InvalidInputError(f"indicator column {column.name!r} is not numeric") from None
    return _take(values, rows, np.nan)


def _states_at(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The state labels (object) or codes (float64) at positions ``rows``
    (-1: missing)."""
    values = column.to_numpy()
    if values.dtype.kind in "iuf":
        return _take(values.astype(np.float64), rows, np.nan)
    return _take(values.astype(object), rows, None)


def _take(values: np.ndarray, rows: np.ndarray, fill: Any) -> np.ndarray:
    out = values[np.maximum(rows, 0)] if values.size else np.empty(rows.shape[0], values.dtype)
    out[rows < 0] = fill
    return out


def _utc(value: Time | None, name: str) -> pd.Timestamp | None:
    return None if value is None else utc_time(value, name)


def _span(index: pd.DatetimeIndex, start: pd.Timestamp | None, end: pd.Timestamp | None) -> slice:
    """The positions of the sorted ``index``'s times in ``[start, end)``."""
    lo = 0 if start is None else int(index.searchsorted(start, side="left"))
    hi = len(index) if end is None else int(index.searchsorted(end, side="left"))
    return slice(lo, max(lo, hi))


def _ignore(_fraction: float) -> None:
    return None


def _scaled(report: Progress, low: float, high: float) -> Progress:
    return lambda f: report(low + (high - low) * f)
