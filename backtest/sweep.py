"""Parameter sweeps: many parameter sets backtested on the same candles, grouped.

Most parameters of `calculators.Params` never reach the indicators: the
strategy's rules, the execution costs and the three state thresholds only
change what happens *after* `calculators.compute`.  A sweep therefore

1. groups the combinations by their **calculator parameters** (every field of
   `Params` not in `STRATEGY_ONLY`: ``lookback_period``, the profile and flow
   settings, ``atr_period``, and any knob the calculators gain later);
2. computes each group's indicators **once** (one `calculators.compute` on the
   group's warm-up + traded bars, exactly as `BacktestEngine.run` would);
3. for each combination, in one Numba pass over the traded bars: re-derives
   the market state with the combination's thresholds (the calculators' own
   `calculators.market_state.classify_state`, fed the computed ``poc, vah,
   val, momentum_score`` and ``buy_pressure - sell_pressure``, as the
   calculators' kernel feeds it), the entry signal (`backtest.strategy.bar_signal`,
   the engine's rule) and walks the positions (`backtest.execution.walk_positions`);
4. computes the statistics from the walk's arrays (`backtest.stats.stats_of_arrays`,
   the function behind `compute_stats`).

Every figure equals `BacktestEngine(params).run(...)` of the same combination
bit for bit (``tests/unit/test_backtest_sweep.py`` compares whole tables).

::

    table = sweep(candles, {"poc_distance_threshold": [1.0, 1.5], "lookback_period": [30, 60]})
    table.sort_values("net_pnl").tail()
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from backtest.engine import BacktestEngine, Time, _span, _utc
from backtest.execution import walk_positions
from backtest.stats import STAT_KEYS, clock_positions, stats_of_arrays
from backtest.strategy import bar_signal, rule_settings
from calculators import InvalidInputError, Params, compute, validate_candles
from calculators.market_state import classify_state
from calculators.timeutil import MINUTE_NS

__all__ = [
    "STATE_THRESHOLDS",
    "STRATEGY_ONLY",
    "calculator_key",
    "combinations",
    "group_combinations",
    "restate",
    "sweep",
    "sweep_combinations",
    "sweep_group",
]

#: The thresholds that change only `classify_state` (not the profile or the flow).
STATE_THRESHOLDS = ("poc_distance_threshold", "momentum_threshold", "cvd_pressure_threshold")

#: The fields of `Params` that do not change `calculators.compute`'s profile,
#: flow, momentum or ATR columns: the state thresholds, the strategy's rules and
#: the execution settings.  Every other field is a calculator parameter and
#: splits a sweep into groups; a new `Params` field is a calculator parameter
#: unless it is listed here (the safe default: a wrong entry here would give
#: wrong results, a missing one only a slower sweep).
STRATEGY_ONLY = (*STATE_THRESHOLDS, "allow_balance_trades", *Params.STRATEGY)

#: ``progress(fraction)``: a non-decreasing fraction done, 0.0 to 1.0.
Progress = Callable[[float], None]


def calculator_key(params: Params) -> tuple[tuple[str, Any], ...]:
    """The calculator parameters of ``params`` as a hashable key: two parameter
    sets with the same key get identical `calculators.compute` columns (all but
    ``state, confidence, distance_from_poc_pct``)."""
    return tuple(
        (f.name, getattr(params, f.name)) for f in fields(Params) if f.name not in STRATEGY_ONLY
    )


def combinations(grid: Mapping[str, Sequence[Any]], base: Params | None = None) -> list[Params]:
    """Every combination of ``grid`` (``{name: [values]}``) applied to ``base``,
    in the order of `itertools.product` (the last name varies fastest).  Bad
    names or values raise `InvalidInputError` naming the key."""
    base = base or Params()
    names = list(grid)
    return [
        base.replace(**dict(zip(names, values, strict=True)))
        for values in itertools.product(*grid.values())
    ]


def group_combinations(combos: Sequence[Params]) -> list[list[int]]:
    """Positions of ``combos`` grouped by `calculator_key` (groups in order of
    first appearance, positions increasing within a group)."""
    groups: dict[tuple, list[int]] = {}
    for i, params in enumerate(combos):
        groups.setdefault(calculator_key(params), []).append(i)
    return list(groups.values())


def sweep(
    candles: pd.DataFrame,
    grid: Mapping[str, Sequence[Any]],
    params: Params | Mapping[str, Any] | None = None,
    *,
    symbol: str = "",
    start: Time | None = None,
    end: Time | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Backtest every combination of ``grid`` on ``candles``; one row per
    combination (in `combinations` order): the grid's parameters, then the
    statistics of `backtest.stats.STAT_KEYS`.

    ``params``: the base every combination starts from (a `Params`, a dict for
    `Params.from_dict`, or None for the defaults).  ``start``/``end`` as in
    `BacktestEngine.run` (None: from the first bar with a full warm-up / to
    after the last bar).  Each row equals ``BacktestEngine(combination).run(
    symbol, start, end, candles=candles).stats``.
    """
    base = params if isinstance(params, Params) else Params.from_dict(dict(params or {}))
    if not grid:
        raise InvalidInputError("the grid is empty: give at least one parameter and its values")
    combos = combinations(grid, base)
    rows = sweep_combinations(
        candles, combos, symbol=symbol, start=start, end=end, progress=progress
    )
    table = pd.DataFrame([{name: getattr(p, name) for name in grid} for p in combos])
    return pd.concat([table, pd.DataFrame(rows, columns=list(STAT_KEYS))], axis=1)


def sweep_combinations(
    candles: pd.DataFrame,
    combos: Sequence[Params],
    *,
    symbol: str = "",
    start: Time | None = None,
    end: Time | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """The statistics (`STAT_KEYS`) of each of ``combos``, in their order,
    computing the indicators once per group of `group_combinations`."""
    report = progress or (lambda _fraction: None)
    checked = validate_candles(candles)
    rows: list[dict[str, Any] | None] = [None] * len(combos)
    done = 0
    report(0.0)
    for positions in group_combinations(combos):
        stats = sweep_group(checked, [combos[i] for i in positions], symbol, start, end)
        for i, row in zip(positions, stats, strict=True):
            rows[i] = row
        done += len(positions)
        report(done / len(combos))
    return rows  # type: ignore[return-value]


def sweep_group(
    candles: pd.DataFrame,
    combos: Sequence[Params],
    symbol: str = "",
    start: Time | None = None,
    end: Time | None = None,
) -> list[dict[str, Any]]:
    """The statistics of ``combos``, which must share their calculator
    parameters (`calculator_key`), on ``candles``: one `calculators.compute`,
    then one Numba pass per combination."""
    if not combos:
        return []
    key = calculator_key(combos[0])
    if any(calculator_key(p) != key for p in combos):
        raise InvalidInputError("sweep_group: the combinations differ in calculator parameters")
    checked = validate_candles(candles)
    engine = BacktestEngine(combos[0])
    end_ts = _utc(end, "end")
    window, start_ts = engine.window(checked, symbol, _utc(start, "start"), end_ts)
    indicators = compute(window, combos[0])
    traded = _span(window.index, start_ts, end_ts)
    bars = window.iloc[traded]
    cols = {
        name: np.ascontiguousarray(indicators[name].to_numpy(np.float64)[traded])
        for name in ("poc", "vah", "val", "momentum_score", "buy_pressure", "sell_pressure",
                     "cvd_momentum", "atr")
    }  # fmt: skip
    prices = [np.ascontiguousarray(bars[c].to_numpy(np.float64)) for c in ("open", "high", "low", "close")]  # fmt: skip
    index = bars.index
    times = np.ascontiguousarray(index.as_unit("ns").asi8)
    clock = clock_positions(times)
    out = []
    for params in combos:
        walked = _walk_combination(
            times, *prices,
            cols["poc"], cols["vah"], cols["val"], cols["momentum_score"],
            cols["buy_pressure"], cols["sell_pressure"], cols["cvd_momentum"], cols["atr"],
            *(getattr(params, name) for name in STATE_THRESHOLDS),
            *rule_settings(params),
            params.max_holding_minutes * MINUTE_NS,
            params.slippage_bps / 1e4,
            params.commission_bps / 1e4,
            params.initial_capital,
            params.position_fraction,
        )  # fmt: skip
        _signal_i, entry_i, exit_i, side, _epx, _xpx, _qty, _reason, pnl, _comm, equity = walked
        held = (index[exit_i] - index[entry_i]).total_seconds().to_numpy() / 60.0
        out.append(
            stats_of_arrays(
                pnl,
                side,
                held,
                (exit_i - entry_i + 1).astype(np.int64),
                equity,
                clock,
                params.initial_capital,
            )
        )
    return out


def restate(indicators: pd.DataFrame, close: Any, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """The ``(state codes, confidence)`` that `calculators.compute` gives with
    ``params``'s thresholds, from ``indicators`` computed with any thresholds
    (the same calculator parameters) and the bars' ``close``.  Codes index
    `calculators.STATES`; confidence in points (NaN where there is no POC)."""
    cols = [
        np.ascontiguousarray(indicators[c].to_numpy(np.float64))
        for c in ("poc", "vah", "val", "momentum_score", "buy_pressure", "sell_pressure")
    ]
    return _states(
        np.ascontiguousarray(np.asarray(close, np.float64)), *cols,
        *(getattr(params, name) for name in STATE_THRESHOLDS),
    )  # fmt: skip


@njit(cache=True)
def _bar_state(
    close, poc, vah, val, momentum, buy_pressure, sell_pressure,
    poc_threshold, momentum_threshold, cvd_threshold,
):  # fmt: skip
    """One bar's ``(state code, confidence)`` exactly as the calculators'
    kernel derives it: `classify_state` on ``buy_pressure - sell_pressure``;
    BALANCE with NaN confidence where there is no POC."""
    if np.isnan(poc):
        return 0, np.nan
    code, confidence, _distance = classify_state(
        close, poc, vah, val, momentum, buy_pressure - sell_pressure,
        poc_threshold, momentum_threshold, cvd_threshold,
    )  # fmt: skip
    return code, confidence


@njit(cache=True)
def _states(close, poc, vah, val, momentum, buy_pressure, sell_pressure, poc_t, mom_t, cvd_t):
    n = close.shape[0]
    codes = np.empty(n, np.int64)
    confidence = np.empty(n)
    for i in range(n):
        codes[i], confidence[i] = _bar_state(
            close[i], poc[i], vah[i], val[i], momentum[i], buy_pressure[i], sell_pressure[i],
            poc_t, mom_t, cvd_t,
        )  # fmt: skip
    return codes, confidence


@njit(cache=True)
def _walk_combination(
    times, open_, high, low, close,
    poc, vah, val, momentum, buy_pressure, sell_pressure, cvd_momentum, atr,
    poc_threshold, momentum_threshold, cvd_threshold,
    min_confidence, min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance,
    max_hold_ns, slippage, commission, capital, fraction,
):  # fmt: skip
    """One combination over the traded bars: its states (as the calculators'
    kernel derives them: BALANCE with NaN confidence where there is no POC),
    its entry signals, then `walk_positions` (whose tuple it returns)."""
    n = close.shape[0]
    side = np.zeros(n, np.int8)
    stop = np.full(n, np.nan)
    target = np.full(n, np.nan)
    for i in range(n):
        code, confidence = _bar_state(
            close[i], poc[i], vah[i], val[i], momentum[i], buy_pressure[i], sell_pressure[i],
            poc_threshold, momentum_threshold, cvd_threshold,
        )  # fmt: skip
        s, _r, st, tg = bar_signal(
            code, confidence, buy_pressure[i], sell_pressure[i], cvd_momentum[i], close[i],
            atr[i], poc[i], vah[i], val[i],
            min_confidence, min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance,
        )  # fmt: skip
        if s != 0:
            side[i] = s
            stop[i] = st
            target[i] = tg
    return walk_positions(
        times, open_, high, low, close, side, stop, target,
        max_hold_ns, slippage, commission, capital, fraction,
    )  # fmt: skip
