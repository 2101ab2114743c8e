"""Divergence episodes, explained: for the longest runs of divergent minutes,
what both sides saw on the run's first minute (report data, JSON-ready).

For each episode: the candle window the calculators read, the calculated
volume profile (volume at price, `calculators.volume_profile.volume_at_price`)
next to the live engine's stored POC / VAH / VAL (the live tables store no
volume at price), the order-flow figures of both sides, and which state rule
(`calculators.market_state.state_rule`) each side's inputs fire — so a
reader sees *why* the states differ (e.g. live was inside its value area,
rule 1, while the calculated close sat above the calculated VAH, rule 2).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from calculators import Params
from calculators.market_state import RULES, state_rule
from calculators.timeutil import MINUTE_NS
from calculators.volume_profile import SPREAD_CODES, VALUE_AREA_CODES, volume_at_price

__all__ = ["FLOW_FIGURES", "STATE_INPUTS", "episode_details", "longest_episodes"]

#: The order-flow figures shown side by side (this project's column names).
FLOW_FIGURES = (
    "buy_pressure", "sell_pressure", "cumulative_delta", "cvd_momentum", "delta",
    "buy_volume", "sell_volume", "total_volume",
)  # fmt: skip
#: The market-state inputs and outputs shown side by side.
STATE_INPUTS = ("state", "confidence", "distance_from_poc_pct", "momentum_score")


def longest_episodes(metrics: Mapping[str, Mapping], limit: int = 5) -> list[dict]:
    """The ``limit`` longest divergence runs over every metric, longest first
    (ties: earlier first, then by metric name); one per first minute."""
    runs = [
        {"metric": name, "first": run["first"], "minutes": run["minutes"]}
        for name, stats in metrics.items()
        for run in (stats.get("episodes") or {}).get("runs", [])
    ]
    runs.sort(key=lambda r: (-r["minutes"], r["first"], r["metric"]))
    chosen, seen = [], set()
    for run in runs:
        if run["first"] not in seen:
            seen.add(run["first"])
            chosen.append(run)
        if len(chosen) == limit:
            break
    return chosen


def episode_details(
    candles: pd.DataFrame,
    calculated: pd.DataFrame,
    live: pd.DataFrame,
    metrics: Mapping[str, Mapping],
    params: Params,
    limit: int = 5,
) -> list[dict]:
    """The drill-down of each of the `longest_episodes`: see the module docstring.

    ``candles`` cover the lookback before the window; ``calculated`` and
    ``live`` are indexed by bar open time (UTC) with this project's columns.
    """
    details = []
    times = candles.index.as_unit("ns").asi8
    for run in longest_episodes(metrics, limit):
        minute = pd.Timestamp(run["first"])
        last = int(np.searchsorted(times, minute.value, side="right"))
        first = int(
            np.searchsorted(times, minute.value - params.lookback_period * MINUTE_NS, side="right")
        )
        window = candles.iloc[first:last]
        calc_row = calculated.loc[minute] if minute in calculated.index else None
        live_row = live.loc[minute] if minute in live.index else None
        details.append(
            {
                **run,
                "candles": {
                    "time": [t.isoformat() for t in window.index],
                    **{
                        c: window[c].astype(float).tolist()
                        for c in ("open", "high", "low", "close", "volume")
                    },
                },
                "profile": _profile(window, params),
                "live_profile": _pick(live_row, ("poc", "vah", "val", "total_volume")),
                "flow": {
                    "live": _pick(live_row, FLOW_FIGURES),
                    "calculated": _pick(calc_row, FLOW_FIGURES),
                },
                "state": {
                    "live": _state(live_row, window, params),
                    "calculated": _state(calc_row, window, params),
                },
            }
        )
    return details


def _profile(window: pd.DataFrame, params: Params) -> dict:
    if window.empty:
        return {"price": [], "volume": [], "poc": None, "vah": None, "val": None}
    prices, volumes, poc, vah, val = volume_at_price(
        window["open"].to_numpy(),
        window["high"].to_numpy(), window["low"].to_numpy(), window["close"].to_numpy(),
        window["volume"].to_numpy(), params.row_size or 0.0, SPREAD_CODES[params.volume_spread],
        params.value_area_pct, VALUE_AREA_CODES[params.value_area_rule],
    )  # fmt: skip
    return {
        "price": prices.tolist(),
        "volume": volumes.tolist(),
        "poc": poc,
        "vah": vah,
        "val": val,
    }


def _value(row, column: str):
    if row is None or column not in row.index:
        return None
    value = row[column]
    if isinstance(value, str):
        return value
    return float(value) if value is not None and pd.notna(value) else None


def _pick(row, columns) -> dict:
    return {c: _value(row, c) for c in columns}


def _state(row, window: pd.DataFrame, params: Params) -> dict:
    """The side's state figures and the rule its own inputs fire (the close
    is the candle's: both sides classify the same bar)."""
    figures = _pick(row, (*STATE_INPUTS, "poc", "vah", "val", "buy_pressure", "sell_pressure"))
    price = float(window["close"].iloc[-1]) if not window.empty else None
    inputs = (price, figures["poc"], figures["vah"], figures["val"], figures["momentum_score"])
    pressure = (
        figures["buy_pressure"] - figures["sell_pressure"]
        if figures["buy_pressure"] is not None and figures["sell_pressure"] is not None
        else None
    )
    rule = None
    if all(v is not None for v in inputs) and pressure is not None and figures["poc"]:
        rule = int(
            state_rule(
                *inputs,
                pressure,
                params.poc_distance_threshold,
                params.momentum_threshold,
                params.cvd_pressure_threshold,
            )
        )
    figures.update(
        close=price,
        cvd_pressure=pressure,
        rule=rule,
        rule_text=RULES.get(rule, "not enough inputs stored to tell"),
    )
    return figures
