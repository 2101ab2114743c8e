"""The execution model on hand-built candles and signals, P&L worked out by hand.

Every scenario starts at 2024-01-01 00:00 UTC on 1-minute bars; "t1" is the
bar opened at 00:01.  Unless a test says otherwise: capital 10,000, the whole
equity per trade, no slippage, no commission (so quantities are round).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest import EXIT_REASONS, TRADE_COLUMNS, SignalArrays, execute
from calculators import InvalidInputError, Params

T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")
FREE = Params(slippage_bps=0, commission_bps=0, max_holding_minutes=1_000)


def bars(rows, minutes=None) -> pd.DataFrame:
    """Candles from ``(open, high, low, close)`` rows at the given minute offsets."""
    minutes = list(range(len(rows))) if minutes is None else minutes
    index = pd.DatetimeIndex([T0 + pd.Timedelta(minutes=m) for m in minutes])
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index, dtype=float)
    frame["volume"] = 1.0
    return frame


def signals(n, entries) -> SignalArrays:
    """``entries``: {bar: (side, stop, target)} with side +1 long / -1 short."""
    side = np.zeros(n, np.int8)
    reason = np.full(n, -1, np.int8)
    stop = np.full(n, np.nan)
    target = np.full(n, np.nan)
    for i, (s, st, tg) in entries.items():
        side[i], stop[i], target[i] = s, st, tg
        reason[i] = 0 if s > 0 else 1
    return SignalArrays(side, reason, stop, target)


def at(minute: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minute)


def test_entry_at_next_open_with_slippage_and_commission_then_target():
    # Slippage 10 bps and commission 10 bps per side.
    # t0 closes at 100 with a long signal: stop 95, target 105.
    # t1 opens at 100: buy at 100 * 1.001 = 100.1; quantity = 10,000 / 100.1;
    #    entry commission = quantity * 100.1 * 0.001 = 10.0.
    #    t1 (high 102, low 99) touches neither level; close 101.
    # t2 high 106 reaches the target 105: sell at 105 * 0.999 = 104.895;
    #    exit commission = quantity * 104.895 * 0.001.
    # pnl = quantity * (104.895 - 100.1) - 10 - exit commission.
    candles = bars([(100, 100, 100, 100), (100, 102, 99, 101), (101, 106, 100, 104), (104, 104, 104, 104)])  # fmt: skip
    params = FREE.replace(slippage_bps=10, commission_bps=10)
    trades, equity = execute(candles, signals(4, {0: (1, 95, 105)}), params)

    qty = 10_000 / 100.1
    exit_commission = qty * 104.895 * 0.001
    pnl = qty * (104.895 - 100.1) - 10.0 - exit_commission
    assert len(trades) == 1
    t = trades.iloc[0]
    assert t.side == "long" and t.reason == "target"
    assert t.entry_time == at(1) and t.exit_time == at(2) and t.signal_time == at(0)
    assert t.entry_price == pytest.approx(100.1)
    assert t.exit_price == pytest.approx(104.895)
    assert t.quantity == pytest.approx(qty)
    assert t.commission == pytest.approx(10.0 + exit_commission)
    assert t.pnl == pytest.approx(pnl)
    assert t.return_pct == pytest.approx(100 * pnl / 10_000)
    assert t.bars_held == 2
    assert (t.stop, t.target) == (95, 105)
    # Equity at the closes: flat at t0; at t1 the cash lost the entry commission
    # and the position is marked at 101; flat again from t2 on.
    expected = [10_000, 10_000 - 10 + qty * (101 - 100.1), 10_000 + pnl, 10_000 + pnl]
    np.testing.assert_allclose(equity.to_numpy(), expected, rtol=1e-12)
    assert equity.index.equals(candles.index)
    assert list(trades.columns) == list(TRADE_COLUMNS)


def test_commission_on_notional_each_side():
    # Long 100 units at 100 (no slippage), target 105 reached on t2.
    # Commission 10 bps: entry 100 * 100 * 0.001 = 10, exit 100 * 105 * 0.001 = 10.5.
    # pnl = 100 * 5 - 20.5 = 479.5; return on the 10,000 notional = 4.795 %.
    candles = bars([(100, 100, 100, 100), (100, 101, 99, 100), (100, 105, 100, 105)])
    trades, equity = execute(
        candles, signals(3, {0: (1, 90, 105)}), FREE.replace(commission_bps=10)
    )
    t = trades.iloc[0]
    assert t.commission == pytest.approx(20.5)
    assert t.pnl == pytest.approx(479.5)
    assert t.return_pct == pytest.approx(4.795)
    assert equity.iloc[1] == pytest.approx(10_000 - 10)
    assert equity.iloc[-1] == pytest.approx(10_479.5)


@pytest.mark.parametrize(
    ("side", "stop", "target", "bar", "exit_price"),
    [
        # long: t2 reaches both 95 (low 94) and 105 (high 106): the stop counts.
        (1, 95, 105, (100, 106, 94, 100), 95),
        # short: stop 105, target 95, t2 reaches both: exit at the stop 105.
        (-1, 105, 95, (100, 106, 94, 100), 105),
    ],
)
def test_stop_first_when_a_bar_touches_both(side, stop, target, bar, exit_price):
    # Entry at t1's open 100, 100 units; the exit bar touches both levels.
    # pnl = side * 100 * (exit - 100) = -500 either way.
    candles = bars([(100, 100, 100, 100), (100, 101, 99, 100), bar, (100, 100, 100, 100)])
    trades, _ = execute(candles, signals(4, {0: (side, stop, target)}), FREE)
    t = trades.iloc[0]
    assert t.reason == "stop"
    assert t.exit_price == exit_price
    assert t.exit_time == at(2)
    assert t.pnl == pytest.approx(-500)


@pytest.mark.parametrize(
    ("side", "stop", "target", "gap_bar", "reason", "exit_price", "pnl"),
    [
        # long, stop 95: t2 opens at 90, below the stop: exit at 90, not 95.
        (1, 95, 105, (90, 91, 89, 90), "stop", 90, 100 * (90 - 100)),
        # short, stop 105: t2 opens at 110: buy back at 110.
        (-1, 105, 95, (110, 111, 109, 110), "stop", 110, -100 * (110 - 100)),
        # long, target 105: t2 opens at 110, above it: the resting order fills at 110.
        (1, 95, 105, (110, 111, 109, 110), "target", 110, 100 * (110 - 100)),
    ],
)
def test_gap_through_a_level_fills_at_the_open(
    side, stop, target, gap_bar, reason, exit_price, pnl
):
    candles = bars([(100, 100, 100, 100), (100, 101, 99, 100), gap_bar])
    trades, _ = execute(candles, signals(3, {0: (side, stop, target)}), FREE)
    t = trades.iloc[0]
    assert (t.reason, t.exit_price, t.exit_time) == (reason, exit_price, at(2))
    assert t.pnl == pytest.approx(pnl)


def test_gap_on_the_fill_bar_exits_at_the_same_open():
    # Signal at t0's close 102: long, stop 101, target 108.  t1 opens at 100,
    # already below the stop: buy at 100 * 1.001 and sell at 100 * 0.999 on t1.
    candles = bars([(102, 102, 102, 102), (100, 100.5, 99.5, 100), (100, 100, 100, 100)])
    params = FREE.replace(slippage_bps=10)
    trades, _ = execute(candles, signals(3, {0: (1, 101, 108)}), params)
    t = trades.iloc[0]
    assert t.reason == "stop" and t.entry_time == t.exit_time == at(1)
    assert (t.entry_price, t.exit_price) == (pytest.approx(100.1), pytest.approx(99.9))
    assert t.bars_held == 1
    assert t.pnl == pytest.approx(10_000 / 100.1 * (99.9 - 100.1))


def test_time_exit_at_the_open_of_the_first_bar_at_or_after_the_limit():
    # max holding 3 minutes: entry at t1 (00:01), limit 00:04; no level is
    # touched; exit at the open of the 00:04 bar, 104: pnl = 100 * 4.
    rows = [(100, 100, 100, 100), (100, 101, 99, 101), (101, 102, 100, 102), (102, 103, 101, 103), (104, 104, 104, 104), (104, 104, 104, 104)]  # fmt: skip
    trades, _ = execute(
        bars(rows), signals(6, {0: (1, 90, 120)}), FREE.replace(max_holding_minutes=3)
    )
    t = trades.iloc[0]
    assert (t.reason, t.exit_time, t.exit_price) == ("time", at(4), 104)
    assert t.pnl == pytest.approx(400)
    assert t.bars_held == 4


def test_time_exit_across_a_gap_in_the_candles():
    # Bars at 00:00, 00:01, 00:02 and then 00:10 (minutes 3-9 missing).
    # Entry at 00:01, limit 00:04: the first bar at or after it is 00:10.
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 101, 99, 100), (103, 104, 102, 103)]
    candles = bars(rows, minutes=[0, 1, 2, 10])
    trades, _ = execute(
        candles, signals(4, {0: (-1, 120, 80)}), FREE.replace(max_holding_minutes=3)
    )
    t = trades.iloc[0]
    assert (t.reason, t.exit_time, t.exit_price) == ("time", at(10), 103)
    assert t.pnl == pytest.approx(-100 * 3)  # short from 100, bought back at 103


def test_open_position_closes_at_the_last_close_with_reason_end():
    # Long from t1's open 100 (slippage 10 bps: 100.1); the data ends at t2
    # whose close is 103: sell at 103 * 0.999 = 102.897.
    candles = bars([(100, 100, 100, 100), (100, 101, 99, 100), (100, 103, 100, 103)])
    trades, equity = execute(candles, signals(3, {0: (1, 90, 120)}), FREE.replace(slippage_bps=10))
    t = trades.iloc[0]
    qty = 10_000 / 100.1
    assert (t.reason, t.exit_time) == ("end", at(2))
    assert t.exit_price == pytest.approx(102.897)
    assert t.pnl == pytest.approx(qty * (102.897 - 100.1))
    # the last equity includes the exit's slippage: it equals the closed P&L
    assert equity.iloc[-1] == pytest.approx(10_000 + qty * (102.897 - 100.1))


def test_one_position_at_a_time_and_signals_are_not_queued():
    # Signals on t0..t3.  t0's fills at t1 (100); t1 and t2's signals come while
    # it is open and are dropped.  t3 (low 94) stops it out at 95; t3's own
    # signal (decided at t3's close, position flat) fills at t4's open 96.
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 101, 99, 100), (100, 100, 94, 96), (96, 97, 95.5, 96), (96, 96, 96, 96)]  # fmt: skip
    entries = {i: (1, 95, 110) for i in range(4)}
    trades, _ = execute(bars(rows), signals(6, entries), FREE)
    assert list(trades.entry_time) == [at(1), at(4)]
    assert list(trades.signal_time) == [at(0), at(3)]
    assert list(trades.reason) == ["stop", "end"]
    # the second trade, 10,000 - 500 = 9,500 of equity at 96: quantity 9,500 / 96
    assert trades.quantity.iloc[1] == pytest.approx(9_500 / 96)


def test_no_entry_on_the_bar_that_closed_a_position_at_its_open():
    # t0's long fills at t1; t1's signal is dropped (position open at its close).
    # t2 opens through the stop: exit at t2's open.  t2's signal enters at t3.
    rows = [(100, 100, 100, 100), (100, 100, 99, 99), (90, 91, 89, 90), (90, 91, 89, 90), (90, 90, 90, 90)]  # fmt: skip
    entries = {0: (1, 95, 110), 1: (1, 94, 110), 2: (-1, 100, 80)}
    trades, _ = execute(bars(rows), signals(5, entries), FREE)
    assert list(trades.entry_time) == [at(1), at(3)]
    assert list(trades.side) == ["long", "short"]
    assert trades.exit_time.iloc[0] == at(2)


def test_signal_on_the_last_bar_is_dropped():
    trades, equity = execute(bars([(100, 100, 100, 100)] * 3), signals(3, {2: (1, 90, 110)}), FREE)
    assert trades.empty
    assert list(trades.columns) == list(TRADE_COLUMNS)
    assert (equity == 10_000).all()


def test_position_fraction_sizes_on_current_equity():
    # fraction 0.5: first long 5,000 / 100 = 50 units, stopped at 90: -500.
    # second long at t4's open 100 with equity 9,500: 4,750 / 100 = 47.5 units.
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 100, 89, 90), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)]  # fmt: skip
    entries = {0: (1, 90, 120), 3: (1, 90, 120)}
    trades, equity = execute(bars(rows), signals(6, entries), FREE.replace(position_fraction=0.5))
    assert list(trades.quantity) == [pytest.approx(50), pytest.approx(47.5)]
    assert trades.pnl.iloc[0] == pytest.approx(-500)
    assert equity.iloc[3] == pytest.approx(9_500)


def test_short_trade_pnl_with_costs():
    # Short at t1's open 200 with 10 bps slippage: sell at 199.8; quantity
    # 10,000 / 199.8.  Target 190 reached on t2: buy at 190 * 1.001 = 190.19.
    # Commission 5 bps: entry 10,000 * 0.0005 = 5, exit quantity * 190.19 * 0.0005.
    candles = bars([(200, 200, 200, 200), (200, 201, 199, 200), (195, 196, 189, 190)])
    params = FREE.replace(slippage_bps=10, commission_bps=5)
    trades, _ = execute(candles, signals(3, {0: (-1, 210, 190)}), params)
    t = trades.iloc[0]
    qty = 10_000 / 199.8
    assert t.side == "short" and t.reason == "target"
    assert t.exit_price == pytest.approx(190.19)
    assert t.pnl == pytest.approx(qty * (199.8 - 190.19) - 5 - qty * 190.19 * 0.0005)


def test_exit_reasons_are_the_documented_four():
    assert EXIT_REASONS == ("target", "stop", "time", "end")


def test_signal_count_must_match_the_candles():
    with pytest.raises(InvalidInputError):
        execute(bars([(1, 1, 1, 1)] * 3), signals(2, {}), FREE)
