"""The execution model: entry signals and candles in, trades and equity out.

`execute` walks the bars once in a Numba kernel (`walk_positions`), one
position at a time, with these rules (costs and sizes from
`calculators.Params`):

- **Fill**: a signal on bar ``t`` (decided at ``t``'s close) fills at the open
  of the next bar of the data, ``t + 1``, however far away it is; the last
  bar's signal is dropped.  Every fill pays ``slippage_bps`` of its price
  against the trader: a buy fills at ``price * (1 + slippage_bps / 1e4)``, a
  sell at ``price * (1 - slippage_bps / 1e4)``.
- **Size**: ``quantity = position_fraction * equity / entry fill price``, with
  ``equity`` the account's (flat) equity at the fill; no entry when it is
  ``<= 0``.
- **Commission**: ``commission_bps / 1e4`` of the notional (``quantity *
  fill price``) on each side, entry and exit.
- **Exits**, checked on every bar from the fill bar on, in this order (a long;
  a short mirrors it):

  1. the bar opens at or beyond the stop (``open <= stop``): exit at the open,
     the worse price (reason ``"stop"``);
  2. the bar opens at or beyond the target (``open >= target``): exit at the
     open, as a resting limit order would (``"target"``);
  3. the bar opens at or after ``entry_time + max_holding_minutes``: exit at
     the open (``"time"``);
  4. the bar's low reaches the stop: exit at the stop (``"stop"``); when the
     bar also reaches the target, the stop counts (the bar's path is unknown;
     the worse case is assumed);
  5. the bar's high reaches the target: exit at the target (``"target"``);
  6. the last bar of the data: exit at its close (``"end"``).

- **One position at a time**: a signal counts only when no position is open
  at its bar's close.  Signals while a position is open are dropped, not
  queued.  A position closed during bar ``t`` (or at its open) leaves bar
  ``t``'s own signal free to enter at ``t + 1``'s open, so an entry never
  fills on the bar that closed the previous position.
- **Equity**, at each bar's close: cash (initial capital plus closed trades'
  P&L, minus the open trade's entry commission) plus the open position's
  unrealised P&L at the close.

Times: a trade's ``entry_time`` is the open time of its fill bar,
``exit_time`` the open time of the bar it exits in (an intrabar stop or target
is stamped with its bar's time; an ``"end"`` exit with the last bar's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from backtest.strategy import REASONS, SignalArrays
from calculators import InvalidInputError, Params
from calculators.timeutil import MINUTE_NS

__all__ = ["EXIT_REASONS", "TRADE_COLUMNS", "execute", "walk_positions"]

#: Exit reasons; the kernel's reason codes index this tuple.
EXIT_REASONS = ("target", "stop", "time", "end")
_TARGET, _STOP, _TIME, _END = range(4)

#: Columns of the trades DataFrame, in order.
TRADE_COLUMNS = (
    "entry_time", "exit_time", "side", "entry_price", "exit_price", "quantity",
    "reason", "pnl", "return_pct", "commission", "bars_held",
    "signal_time", "entry_reason", "stop", "target",
)  # fmt: skip


def execute(
    candles: pd.DataFrame, signals: SignalArrays, params: Params
) -> tuple[pd.DataFrame, pd.Series]:
    """Walk ``candles`` (checked, on a UTC index; only the bars to trade) with
    one signal per bar; return ``(trades, equity)``: the trades DataFrame with
    `TRADE_COLUMNS` and the equity Series on the candle index (quote currency,
    at each bar's close)."""
    n = len(candles)
    if signals.side.shape != (n,):
        raise InvalidInputError(f"{signals.side.shape[0]} signals for {n} candles")
    index = candles.index
    arrays = [np.ascontiguousarray(candles[c].to_numpy(np.float64)) for c in ("open", "high", "low", "close")]  # fmt: skip
    out = walk_positions(
        np.ascontiguousarray(index.as_unit("ns").asi8),
        *arrays,
        np.ascontiguousarray(signals.side, dtype=np.int8),
        np.ascontiguousarray(signals.stop, dtype=np.float64),
        np.ascontiguousarray(signals.target, dtype=np.float64),
        params.max_holding_minutes * MINUTE_NS,
        params.slippage_bps / 1e4,
        params.commission_bps / 1e4,
        params.initial_capital,
        params.position_fraction,
    )
    (signal_i, entry_i, exit_i, side, entry_px, exit_px, qty, reason, pnl, commission, equity) = out
    trades = pd.DataFrame(
        {
            "entry_time": index[entry_i],
            "exit_time": index[exit_i],
            "side": np.where(side > 0, "long", "short").astype(object),
            "entry_price": entry_px,
            "exit_price": exit_px,
            "quantity": qty,
            "reason": np.asarray(EXIT_REASONS, dtype=object)[reason],
            "pnl": pnl,
            "return_pct": 100.0 * pnl / (qty * entry_px),
            "commission": commission,
            "bars_held": (exit_i - entry_i + 1).astype(np.int64),
            "signal_time": index[signal_i],
            "entry_reason": np.asarray(REASONS, dtype=object)[signals.reason[signal_i]],
            "stop": signals.stop[signal_i],
            "target": signals.target[signal_i],
        },
        columns=list(TRADE_COLUMNS),
    )
    return trades, pd.Series(equity, index=index, name="equity")


@njit(cache=True)
def walk_positions(
    times, open_, high, low, close, side, stop, target,
    max_hold_ns, slippage, commission, capital, fraction,
):  # fmt: skip
    """The position walk of the module docstring over bars ``0..n-1``.

    ``times`` int64 ns; prices float64; ``side`` int8 (+1/-1/0) and ``stop``,
    ``target`` (price levels) per signal bar; ``slippage`` and ``commission``
    fractions (bps / 1e4).  Returns ``(signal_i, entry_i, exit_i, side,
    entry_price, exit_price, quantity, reason, pnl, commission, equity)``:
    per-trade arrays (bar indices, fill prices, reason codes into
    `EXIT_REASONS`, net P&L, both sides' commission) and the equity at each
    bar's close.
    """
    n = close.shape[0]
    t_signal = np.empty(n, np.int64)
    t_entry = np.empty(n, np.int64)
    t_exit = np.empty(n, np.int64)
    t_side = np.empty(n, np.int8)
    t_entry_px = np.empty(n)
    t_exit_px = np.empty(n)
    t_qty = np.empty(n)
    t_reason = np.empty(n, np.int8)
    t_pnl = np.empty(n)
    t_comm = np.empty(n)
    equity = np.empty(n)

    cash = capital
    k = 0
    pending = -1
    pos = 0
    qty = 0.0
    entry_px = 0.0
    entry_comm = 0.0
    st = 0.0
    tg = 0.0
    deadline = 0
    for i in range(n):
        if pending >= 0:
            s = side[pending]
            px = open_[i] * (1.0 + slippage * s)
            if cash > 0.0:
                pos = s
                qty = fraction * cash / px
                entry_px = px
                entry_comm = qty * px * commission
                cash -= entry_comm
                st = stop[pending]
                tg = target[pending]
                deadline = times[i] + max_hold_ns
                t_signal[k] = pending
                t_entry[k] = i
            pending = -1
        if pos != 0:
            o = open_[i]
            reason = -1
            raw = 0.0
            if pos > 0:
                if o <= st:
                    raw, reason = o, _STOP
                elif o >= tg:
                    raw, reason = o, _TARGET
                elif times[i] >= deadline:
                    raw, reason = o, _TIME
                elif low[i] <= st:
                    raw, reason = st, _STOP
                elif high[i] >= tg:
                    raw, reason = tg, _TARGET
            else:
                if o >= st:
                    raw, reason = o, _STOP
                elif o <= tg:
                    raw, reason = o, _TARGET
                elif times[i] >= deadline:
                    raw, reason = o, _TIME
                elif high[i] >= st:
                    raw, reason = st, _STOP
                elif low[i] <= tg:
                    raw, reason = tg, _TARGET
            if reason < 0 and i == n - 1:
                raw, reason = close[i], _END
            if reason >= 0:
                px = raw * (1.0 - slippage * pos)
                exit_comm = qty * px * commission
                gross = pos * qty * (px - entry_px)
                cash += gross - exit_comm
                t_exit[k] = i
                t_side[k] = pos
                t_entry_px[k] = entry_px
                t_exit_px[k] = px
                t_qty[k] = qty
                t_reason[k] = reason
                t_pnl[k] = gross - entry_comm - exit_comm
                t_comm[k] = entry_comm + exit_comm
                k += 1
                pos = 0
        if pos != 0:
            equity[i] = cash + pos * qty * (close[i] - entry_px)
        else:
            equity[i] = cash
            if side[i] != 0 and i + 1 < n:
                pending = i
    return (
        t_signal[:k], t_entry[:k], t_exit[:k], t_side[:k], t_entry_px[:k], t_exit_px[:k],
        t_qty[:k], t_reason[:k], t_pnl[:k], t_comm[:k], equity,
    )  # fmt: skip
