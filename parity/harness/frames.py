"""Parity without a database: compare two DataFrames (for notebooks and scripts).

`compare_frames` runs exactly what ``parity run`` runs for one symbol (the
same `parity.harness.runner.compare_symbol`, gate and report), on 1-minute
candles and live rows held in memory.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from parity.errors import ParityError
from parity.harness.align import align_rows
from parity.harness.config import HarnessConfig, load_config
from parity.harness.gate import evaluate
from parity.harness.report import build_report, render_summary_html, write_report
from parity.harness.runner import SymbolResult, compare_symbol
from parity.harness.source import SymbolData

__all__ = ["FramesComparison", "compare_frames"]

_MINUTE = pd.Timedelta(minutes=1)
_PROBES = {"volume_profile": "poc", "order_flow": "buy_pressure", "market_state": "state"}


@dataclass(frozen=True)
class FramesComparison:
    """The outcome of `compare_frames`: the ``parity.json`` document
    (``report``) and the symbol's full result (``result``)."""

    report: dict
    result: SymbolResult

    @property
    def summary(self) -> dict:
        """The symbol's summary: window, counts and every metric's statistics."""
        return self.report["symbols"][self.result.summary["symbol"]]

    @property
    def divergences(self) -> pd.DataFrame:
        """One row per (minute, metric) outside its tolerance."""
        return self.result.divergences

    @property
    def passed(self) -> bool:
        """True when every gate threshold of the configuration holds."""
        return self.report["verdict"] == "pass"

    def write_report(self, path: str | Path) -> Path:
        """Write the report directory (``report.html``, ``parity.json``, ...) atomically."""
        return write_report(path, self.report, [self.result])

    def _repr_html_(self) -> str:
        """Jupyter's view: the overview, the gate and every statistic (no plots:
        `write_report` makes the interactive page)."""
        return render_summary_html(self.report, [self.result])

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<FramesComparison {html.escape(s['symbol'])}: {self.report['verdict']}, "
            f"{s['compared_minutes']} minutes compared, {len(self.divergences)} divergences>"
        )


def compare_frames(
    candles: pd.DataFrame,
    live_rows: pd.DataFrame,
    config: HarnessConfig | str | Path | None = None,
    *,
    symbol: str = "SYMBOL",
    tick_size: float | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> FramesComparison:
    """Compare live rows with the calculators run on ``candles``.

    - ``candles``: 1-minute candles, UTC `DatetimeIndex` of bar open times,
      columns ``open, high, low, close, volume`` (as `calculators.compute`);
      include the lookback before ``start`` or the first bars count as warm-up.
    - ``live_rows``: the live engine's figures in this project's column names
      and units (any of ``poc, vah, val, buy_pressure, sell_pressure,
      cumulative_delta, state, confidence, ...``), either indexed by bar open
      time (UTC) or with a ``ts`` column of write times (aligned like the
      database rows: ``[alignment] bar_offset_minutes``; first row per bar wins).
    - ``config``: a `HarnessConfig`, a ``parity.toml`` path, or None (defaults).
    - ``tick_size``: the price tick (POC errors are in ticks); default: the
      smallest step between the candles' distinct prices.
    - ``start``/``end``: the window (end exclusive); default: the live rows' span.

    Raises `ParityError` on unusable input.
    """
    if not isinstance(config, HarnessConfig):
        config = load_config(config)
    live = _live_by_bar(live_rows, config)
    if not isinstance(candles.index, pd.DatetimeIndex) or candles.index.tz is None or candles.empty:
        raise ParityError("candles need a non-empty UTC DatetimeIndex of bar open times")
    if live.empty:
        raise ParityError("no live rows to compare")
    start = pd.Timestamp(start) if start is not None else max(live.index[0], candles.index[0])
    end = pd.Timestamp(end) if end is not None else min(live.index[-1], candles.index[-1]) + _MINUTE
    if start >= end:
        raise ParityError("the live rows and the candles do not overlap")
    candles = candles.sort_index()
    live = live.loc[(live.index >= start) & (live.index < end)]
    if "buy_volume" in live and "sell_volume" in live and "delta" not in live:
        live = live.assign(delta=live["buy_volume"] - live["sell_volume"])
    data = SymbolData(
        symbol=symbol,
        tick_size=float(tick_size) if tick_size else infer_tick_size(candles),
        start=start,
        end=end,
        first_candle=candles.index[0],
        candles=candles.loc[candles.index < end],
        live=live,
        rows_written={t: int(live[c].notna().sum()) for t, c in _PROBES.items() if c in live},
        duplicates=dict.fromkeys((t for t, c in _PROBES.items() if c in live), 0),
    )
    result = compare_symbol(data, config)
    run = {
        "database": "(in-memory frames)",
        "config": config.source,
        "params": config.params.to_dict(),
        "params_hash": config.params.digest(),
        "symbols": [symbol],
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    verdicts = evaluate({symbol: result.summary}, config.checks)
    return FramesComparison(build_report([result], verdicts, run), result)


def _live_by_bar(rows: pd.DataFrame, config: HarnessConfig) -> pd.DataFrame:
    if "ts" in rows.columns:
        rows = rows.assign(ts=pd.to_datetime(rows["ts"], utc=True))
        return align_rows(rows, config.bar_offset_minutes).rows.sort_index()
    if not isinstance(rows.index, pd.DatetimeIndex) or rows.index.tz is None:
        raise ParityError("live rows need a UTC DatetimeIndex of bar open times or a 'ts' column")
    rows = rows.sort_index()
    return rows.loc[~rows.index.duplicated(keep="first")]


def infer_tick_size(candles: pd.DataFrame) -> float:
    """The smallest positive step between the candles' distinct prices
    (rounded to 12 significant decimals), 1.0 when there is none."""
    prices = np.unique(candles[["open", "high", "low", "close"]].to_numpy(np.float64).ravel())
    steps = np.diff(prices)
    steps = steps[steps > 1e-12 * max(1.0, float(np.abs(prices).max(initial=0.0)))]
    return float(f"{steps.min():.12g}") if steps.size else 1.0
