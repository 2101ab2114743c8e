"""Trade-level parity: the same strategy walked twice over the live window,
once on the calculated indicators and once on the live engine's stored rows.

The live tables store no ATR, so both walks use the calculated ATR (stops
and targets are ATR multiples); everything else the strategy reads (state,
confidence, pressures, CVD momentum, POC, VAH, VAL) comes from each side.

Two trades match when they have the same side and their entries are at most
one bar (one minute) apart; each trade is matched at most once, nearest entry
first.  ``match_share`` = matched / (calculated + live - matched): the share
of all distinct trades that both sides took.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtest import BacktestEngine, BacktestResult
from backtest.engine import INDICATOR_COLUMNS
from calculators import Params

__all__ = ["live_walk", "match_trades", "trade_parity"]

_ONE_BAR = pd.Timedelta(minutes=1)


def trade_parity(
    candles: pd.DataFrame,
    calculated: pd.DataFrame,
    live: pd.DataFrame,
    params: Params,
    start: pd.Timestamp,
    end: pd.Timestamp,
    on_live: BacktestResult | None = None,
) -> dict:
    """Walk ``[start, end)`` on both indicator sets; returns the comparison
    (counts, match share, P&L of each side and their difference).

    ``on_live``: the walk on the live rows (`live_walk`) when the caller
    already has it, e.g. to compare many calculated sets with the same ATR.
    """
    engine = BacktestEngine(params)
    on_calc = engine.run_on_indicators(
        candles, calculated[list(INDICATOR_COLUMNS)], start=start, end=end
    )
    if on_live is None:
        on_live = live_walk(candles, calculated, live, params, start, end)
    matched = match_trades(on_calc.trades, on_live.trades)
    n_calc, n_live = len(on_calc.trades), len(on_live.trades)
    union = n_calc + n_live - len(matched)
    pnl_calc = float(on_calc.trades["pnl"].sum())
    pnl_live = float(on_live.trades["pnl"].sum())
    return {
        "calculated_trades": n_calc,
        "live_trades": n_live,
        "matched": len(matched),
        "match_share": len(matched) / union if union else None,
        "only_calculated": n_calc - len(matched),
        "only_live": n_live - len(matched),
        "pnl_calculated": pnl_calc,
        "pnl_live": pnl_live,
        "pnl_difference": pnl_calc - pnl_live,
        "window": {"start": start.isoformat(), "end": end.isoformat()},
    }


def live_walk(
    candles: pd.DataFrame,
    calculated: pd.DataFrame,
    live: pd.DataFrame,
    params: Params,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> BacktestResult:
    """The strategy walked over ``[start, end)`` on the live rows, with the
    calculated ATR (the live tables store none)."""
    live_indicators = live.reindex(calculated.index)
    live_indicators["atr"] = calculated["atr"]
    return BacktestEngine(params).run_on_indicators(
        candles, live_indicators[list(INDICATOR_COLUMNS)], start=start, end=end
    )


def match_trades(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of rows of ``a`` and ``b`` (positions) with the same side and
    entries at most one bar apart, each row used once, nearest pairs first
    (ties: lower ``i``, then lower ``j``)."""
    entries_b = pd.DatetimeIndex(b["entry_time"]).as_unit("ns").asi8
    sides_b = b["side"].to_numpy()
    order = np.argsort(entries_b, kind="stable")
    sorted_b = entries_b[order]
    one_bar = _ONE_BAR.value
    candidates = []
    for i, (side, entry) in enumerate(
        zip(a["side"].to_numpy(), pd.DatetimeIndex(a["entry_time"]).as_unit("ns").asi8, strict=True)
    ):
        lo = np.searchsorted(sorted_b, entry - one_bar, side="left")
        hi = np.searchsorted(sorted_b, entry + one_bar, side="right")
        for j in order[lo:hi]:
            if sides_b[j] == side:
                candidates.append((abs(int(entries_b[j]) - int(entry)), i, int(j)))
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return sorted(pairs)
