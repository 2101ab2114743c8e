"""Statistics by hand, the JSON form, and the documentation against the code."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtest import STAT_KEYS, TRADE_COLUMNS, BacktestResult, compute_stats
from backtest.stats import max_drawdown_pct, sharpe_ratio
from calculators import Params
from calculators.timeutil import MINUTE_NS

T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")
DOC = Path(__file__).resolve().parents[2] / "docs" / "backtest.md"


def trades_frame(rows) -> pd.DataFrame:
    """Trades from ``(side, pnl, entry minute, exit minute, bars_held)``."""
    frame = pd.DataFrame(
        [
            {
                "entry_time": T0 + pd.Timedelta(minutes=e),
                "exit_time": T0 + pd.Timedelta(minutes=x),
                "side": side,
                "entry_price": 100.0,
                "exit_price": 100.0,
                "quantity": 1.0,
                "reason": "stop",
                "pnl": pnl,
                "return_pct": pnl,
                "commission": 0.0,
                "bars_held": held,
                "signal_time": T0 + pd.Timedelta(minutes=e - 1),
                "entry_reason": "imbalance_up",
                "stop": 90.0,
                "target": 110.0,
            }
            for side, pnl, e, x, held in rows
        ],
        columns=list(TRADE_COLUMNS),
    )
    return frame


def equity_series(values, minutes=None) -> pd.Series:
    minutes = range(len(values)) if minutes is None else minutes
    index = pd.DatetimeIndex([T0 + pd.Timedelta(minutes=m) for m in minutes])
    return pd.Series(values, index=index, dtype=float)


def test_max_drawdown_from_the_running_peak():
    # peaks 100, 110, 110, 120, 120: falls 0, 0, 10 %, 0, 25 %
    assert max_drawdown_pct(np.array([100.0, 110, 99, 120, 90]), 100.0) == pytest.approx(25.0)
    # the initial capital is the first peak
    assert max_drawdown_pct(np.array([90.0, 95]), 100.0) == pytest.approx(10.0)
    assert max_drawdown_pct(np.array([100.0, 101, 102]), 100.0) == 0.0


def test_sharpe_on_a_minute_clock_with_a_gap():
    # bars at minutes 0, 1 and 3 with equity 100, 101, 102: minute 2 repeats
    # 101, so the per-minute returns are 0.01, 0 and 1/101.
    returns = np.array([0.01, 0.0, 1 / 101])
    expected = returns.mean() / returns.std(ddof=1) * math.sqrt(525_600)
    times = np.array([0, 1, 3]) * MINUTE_NS
    assert sharpe_ratio(times, np.array([100.0, 101, 102])) == pytest.approx(expected)
    assert sharpe_ratio(times, np.array([100.0, 100, 100])) is None  # no variation
    assert sharpe_ratio(times[:1], np.array([100.0])) is None


def test_stats_by_hand():
    # three trades: +300 (long, 2 bars, 1 min), -100 (short, 3 bars, 2 min),
    # +50 (long, 1 bar, 0 min); ten bars.
    trades = trades_frame([("long", 300.0, 1, 2, 2), ("short", -100.0, 4, 6, 3), ("long", 50.0, 8, 8, 1)])  # fmt: skip
    equity = equity_series([1000, 1100, 1300, 1300, 1250, 1200, 1200, 1200, 1250, 1250])
    s = compute_stats(trades, equity, 1000.0)
    assert list(s) == list(STAT_KEYS)
    assert s["trade_count"] == 3
    assert s["win_rate"] == pytest.approx(200 / 3)
    assert s["net_pnl"] == pytest.approx(250)
    assert s["final_equity"] == 1250
    assert s["return_pct"] == pytest.approx(25.0)
    assert s["max_drawdown_pct"] == pytest.approx(100 * 100 / 1300)  # 1300 -> 1200
    assert s["profit_factor"] == pytest.approx(350 / 100)
    assert s["avg_holding_minutes"] == pytest.approx(1.0)
    assert s["exposure_pct"] == pytest.approx(60.0)  # 6 of 10 bars
    assert (s["long_count"], s["short_count"]) == (2, 1)


def test_stats_without_trades_or_losses():
    flat = compute_stats(trades_frame([]), equity_series([500.0] * 5), 500.0)
    assert flat["trade_count"] == 0
    assert flat["win_rate"] is None and flat["profit_factor"] is None
    assert flat["avg_holding_minutes"] is None and flat["sharpe"] is None
    assert (flat["net_pnl"], flat["return_pct"], flat["exposure_pct"]) == (0.0, 0.0, 0.0)
    winners = compute_stats(trades_frame([("long", 10.0, 1, 2, 2)]), equity_series([500.0, 505, 510]), 500.0)  # fmt: skip
    assert winners["profit_factor"] == math.inf


def result_of(trades, equity, stats) -> BacktestResult:
    params = Params()
    return BacktestResult(
        trades=trades,
        equity=equity,
        stats=stats,
        params=params.to_dict(),
        symbol="BTCUSDT",
        start=T0,
        end=T0 + pd.Timedelta(minutes=len(equity)),
        params_digest=params.digest(),
    )


def test_json_form():
    trades = trades_frame([("long", 0.1 + 0.2, 1, 2, 2)])
    equity = equity_series([1000.0, 1000.1, 1000.3])
    result = result_of(trades, equity, compute_stats(trades, equity, 1000.0))
    data = json.loads(result.to_json(include_equity=True))
    assert list(data) == ["symbol", "start", "end", "params_digest", "params", "stats", "trades", "equity"]  # fmt: skip
    assert data["start"] == "2024-01-01T00:00:00Z" and data["end"] == "2024-01-01T00:03:00Z"
    assert data["params"] == Params().to_dict()
    assert data["params_digest"] == Params().digest()
    assert list(data["stats"]) == list(STAT_KEYS)
    assert data["stats"]["profit_factor"] is None  # inf in the dict, null in JSON
    assert result.stats["profit_factor"] == math.inf
    (trade,) = data["trades"]
    assert list(trade) == list(TRADE_COLUMNS)
    assert trade["pnl"] == 0.3  # 15 significant digits: the float noise is gone
    assert '"pnl": 0.3,' in result.to_json()
    assert trade["entry_time"] == "2024-01-01T00:01:00Z"
    assert data["equity"][1] == ["2024-01-01T00:01:00Z", 1000.1]
    assert "equity" not in result.to_dict()
    assert "NaN" not in result.to_json() and "Infinity" not in result.to_json()


def test_documentation_lists_every_key_column_and_parameter():
    text = DOC.read_text()
    documented = set(re.findall(r"`([a-z_]+)`", text))
    missing = [k for k in (*STAT_KEYS, *TRADE_COLUMNS) if k not in documented]
    assert not missing, f"docs/backtest.md does not mention {missing}"
    used = [
        "poc_distance_threshold", "momentum_threshold", "cvd_pressure_threshold",
        "lookback_period", "allow_balance_trades", "min_confidence", "min_pressure",
        "stop_atr", "target_atr", "balance_target_atr", "max_holding_minutes",
        "commission_bps", "slippage_bps", "initial_capital", "position_fraction",
    ]  # fmt: skip
    missing = [p for p in used if p not in documented]
    assert not missing, f"docs/backtest.md does not document {missing}"
    defaults = Params()
    for name in used:
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}`")), None)
        assert row is not None, f"no table row for {name}"
        value = getattr(defaults, name)
        shown = str(value).lower() if isinstance(value, bool) else f"{value:g}"
        assert shown in row.replace(",", ""), f"{name}: default {shown} not in {row!r}"
