"""A parity run: for each symbol, calculate on the fly, compare with the stored
live rows, and collect the report data (a plain dict, rendered elsewhere).

The warm-up rule: bar ``t`` is compared only when the symbol's candles start
at least ``lookback_period - 1`` minutes before it (``t >= first candle +
lookback - 1 min``), so its window is full; earlier bars are counted apart
(``warmup_minutes``), never as divergences.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calculators import OUTPUT_COLUMNS, compute
from calculators.timeutil import MINUTE_NS
from calculators.validate import BUY_VOLUME
from parity.common.trades import TradeWalks, trade_parity, trade_walks
from parity.db.connect import connect
from parity.execution import Progress, Task, executor, run_tasks
from parity.harness.compare import Comparison, compare
from parity.harness.config import HarnessConfig
from parity.harness.episodes import episode_details
from parity.harness.source import SymbolData, load_symbol

__all__ = [
    "SymbolResult",
    "compare_stored",
    "compare_symbol",
    "reproduce_command",
    "run_symbols",
    "self_check",
    "true_flow",
]

_MINUTE = pd.Timedelta(minutes=1)


@dataclass(frozen=True)
class SymbolResult:
    """One symbol's summary (JSON-ready dict), divergence records, and the
    per-minute series the HTML report plots (``series``: close, live_/calc_
    poc, vah, val, state, cumulative_delta, and their errors), the longest
    divergence episodes explained (`parity.harness.episodes`) and both
    trade walks (``trades``; None without live rows)."""

    summary: dict
    divergences: pd.DataFrame
    series: pd.DataFrame
    episodes: list[dict] = field(default_factory=list)
    trades: TradeWalks | None = None


def run_symbols(
    dsn: str,
    config: HarnessConfig,
    symbols: list[str],
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    jobs: int = 1,
    config_path: str | None = None,
    *,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[SymbolResult]:
    """Compare every symbol, one task per symbol (`parity.execution`: here,
    in ``jobs`` processes, or on the Dask cluster at ``scheduler``)."""
    tasks = [
        Task(compare_stored, (config, s, start, end, config_path), s, dsn=dsn) for s in symbols
    ]
    with executor(jobs, scheduler) as ex:
        return run_tasks(tasks, ex, progress)


def compare_stored(
    dsn: str,
    config: HarnessConfig,
    symbol: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    config_path: str | None,
) -> SymbolResult:
    """One symbol's task: read its candles and live rows from ``dsn`` (read
    only) and compare them."""
    conn = connect(dsn)
    try:
        data = load_symbol(conn, config, symbol, start, end)
    finally:
        conn.close()
    return compare_symbol(data, config, config_path)


def calculated(data: SymbolData, config: HarnessConfig) -> pd.DataFrame:
    """The calculators' output over the symbol's window (warm-up bars included)."""
    frame = compute(data.candles, config.params)
    return frame.loc[(frame.index >= data.start) & (frame.index < data.end)]


def compared_bars(data: SymbolData, config: HarnessConfig, calc: pd.DataFrame) -> pd.DatetimeIndex:
    """Bars of the window whose lookback window is full (see the module docstring)."""
    full_from = data.first_candle + (config.params.lookback_period - 1) * _MINUTE
    return calc.index[calc.index >= full_from]


def true_flow(candles: pd.DataFrame, bars: pd.DatetimeIndex) -> dict:
    """How many of the compared ``bars`` had a true aggressor-buy volume in their
    candle (``buy_volume`` not NaN): ``{"share": 0..1 or None, "bars": count}``."""
    if BUY_VOLUME in candles.columns:
        known = int(candles[BUY_VOLUME].reindex(bars).notna().sum())
    else:
        known = 0
    return {"share": known / len(bars) if len(bars) else None, "bars": known}


def compare_symbol(
    data: SymbolData, config: HarnessConfig, config_path: str | None = None
) -> SymbolResult:
    """Calculate, compare and summarise one symbol."""
    calc = calculated(data, config)
    bars = compared_bars(data, config, calc)
    live = data.live
    in_window = live.index[(live.index >= data.start) & (live.index < data.end)]
    without_candle = in_window.difference(calc.index)
    live_compared = live.loc[live.index.intersection(bars)]
    result = compare(
        live_compared,
        calc.loc[bars],
        symbol=data.symbol,
        tick_size=data.tick_size,
        tolerance=config.tolerance,
        ignore=config.ignore,
    )
    coverage = {
        table: float(live_compared[cols[0]].notna().sum() / len(bars)) if len(bars) else None
        for table, cols in _TABLE_PROBES.items()
        if cols[0] in live_compared
    }
    covered_all = live_compared.reindex(bars)[
        [c[0] for c in _TABLE_PROBES.values() if c[0] in live_compared]
    ]
    share = float(covered_all.notna().all(axis=1).mean()) if len(bars) else None
    metrics = dict(result.metrics)
    metrics["coverage"] = {"share": share, "per_table": coverage, "bars": len(bars)}
    metrics["true_flow"] = true_flow(data.candles, bars)
    summary = {
        "symbol": data.symbol,
        "tick_size": data.tick_size,
        "window": {
            "start": data.start.isoformat(),
            "end": data.end.isoformat(),
            "minutes": int((data.end - data.start) / _MINUTE),
        },
        "candles_in_window": len(calc),
        "warmup_minutes": len(calc) - len(bars),
        "compared_minutes": len(bars),
        "live_rows": {
            "written": data.rows_written,
            "duplicates": data.duplicates,
            "without_candle": len(without_candle),
            "minutes_without_live_row": int(len(bars) - covered_all.notna().all(axis=1).sum()),
        },
        "metrics": metrics,
    }
    walks = None
    if len(bars) and not live_compared.empty:
        walks = trade_walks(data.candles, calc, data.live, config.params, bars[0], data.end)
        summary["trades"] = trade_parity(
            data.candles, calc, data.live, config.params, bars[0], data.end, walks=walks
        )
    divergences = _annotate(result, data, config, config_path)
    series = pd.DataFrame({"close": data.candles["close"].reindex(bars)}, index=bars)
    for column in ("poc", "vah", "val", "state", "cumulative_delta", "buy_pressure", "confidence"):
        if column in live_compared:
            series[f"live_{column}"] = live_compared[column].reindex(bars)
            series[f"calc_{column}"] = calc.loc[bars, column]
    details = episode_details(data.candles, calc, live_compared, metrics, config.params)
    return SymbolResult(summary, divergences, series, episodes=details, trades=walks)


_TABLE_PROBES = {
    "volume_profile": ("poc",),
    "order_flow": ("buy_pressure",),
    "market_state": ("state",),
}


def _annotate(
    result: Comparison, data: SymbolData, config: HarnessConfig, config_path: str | None
) -> pd.DataFrame:
    """Add what reproduces each divergent minute: the symbol, the parameters'
    hash, a fingerprint of the candle window and the command."""
    frame = result.divergences.copy()
    if frame.empty:
        return frame
    frame.insert(0, "symbol", data.symbol)
    frame["params_hash"] = config.params.digest()
    minutes = pd.DatetimeIndex(frame["minute"].unique())
    prints = window_fingerprints(data.candles, minutes, config.params.lookback_period)
    fingerprints = dict(zip(minutes, prints, strict=True))
    frame["window_fingerprint"] = frame["minute"].map(fingerprints)
    frame["reproduce"] = [reproduce_command(data.symbol, m, config_path) for m in frame["minute"]]
    return frame


def reproduce_command(symbol: str, minute: pd.Timestamp, config_path: str | None) -> str:
    """The shell command that re-runs parity on the one bar opened at ``minute``
    (UTC) of ``symbol``, with ``--config config_path`` when given; every
    argument is shell-quoted (``shlex.quote``), so a path with spaces or shell
    syntax stays one argument and runs nothing."""
    parts = ["parity", "run", "--symbol", symbol, "--start", minute.isoformat()]
    parts += ["--end", (minute + _MINUTE).isoformat()]
    if config_path:
        parts += ["--config", config_path]
    return " ".join(shlex.quote(p) for p in parts)


def window_fingerprints(
    candles: pd.DataFrame, minutes: pd.DatetimeIndex, lookback: int
) -> list[str]:
    """For each minute, SHA-256 (16 hex digits) of the candles of its lookback
    window: their open times (ns) and ``open, high, low, close, volume`` (and
    ``buy_volume`` when the candles have it) as float64."""
    times = candles.index.asi8
    columns = ["open", "high", "low", "close", "volume"]
    columns += [BUY_VOLUME] if BUY_VOLUME in candles.columns else []
    values = np.ascontiguousarray(candles[columns].to_numpy(np.float64))
    ends = np.searchsorted(times, minutes.asi8, side="right")
    starts = np.searchsorted(times, minutes.asi8 - lookback * MINUTE_NS, side="right")
    prints = []
    for first, last in zip(starts, ends, strict=True):
        digest = hashlib.sha256(times[first:last].tobytes())
        digest.update(values[first:last].tobytes())
        prints.append(digest.hexdigest()[:16])
    return prints


def self_check(data: SymbolData, config: HarnessConfig) -> dict[str, bool]:
    """Compare the live rows with themselves and the calculators with
    themselves; both must be perfect (every metric matches on every minute).
    Returns ``{"live_vs_live": ok, "calculated_vs_calculated": ok}``."""
    calc = calculated(data, config)
    bars = compared_bars(data, config, calc)
    live = data.live.loc[data.live.index.intersection(bars)]
    calc = calc.loc[bars, [c for c in OUTPUT_COLUMNS if c in calc]]
    checks = {}
    for name, frame in (("live_vs_live", live), ("calculated_vs_calculated", calc)):
        result = compare(
            frame,
            frame.copy(),
            symbol=data.symbol,
            tick_size=data.tick_size,
            tolerance=dict.fromkeys(config.tolerance, 0.0),
        )
        checks[name] = result.divergences.empty and all(
            m.get("match_rate") in (1.0, None) for m in result.metrics.values() if "match_rate" in m
        )
    return checks
