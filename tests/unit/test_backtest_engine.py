"""`BacktestEngine`: hand-built indicators worked out by hand, then real data:
warm-up, injected candle source, no look-ahead, reproducibility and the
parameters' effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest import INDICATOR_COLUMNS, BacktestEngine
from calculators import InvalidInputError, Params, compute

T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")
COSTS = {"slippage_bps": 10, "commission_bps": 10}  # 0.001 of price per fill, of notional per side


def at(minute: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minute)


def hand_built() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eight bars and their indicators (ATR 2 everywhere, defaults: stop 1.5 ATR
    = 3, target 3 ATR = 6)."""
    candles = pd.DataFrame(
        [
            (100, 100, 100, 100),  # 0: IMBALANCE_UP -> long, stop 97, target 106
            (100, 101, 99, 100),  # 1: fill 100.1; neither level
            (100, 106.5, 99.5, 106),  # 2: target 106; IMBALANCE_DOWN -> short, stop 109, target 100
            (106, 107, 105, 105),  # 3: fill 106 * 0.999 = 105.894
            (110, 111, 109, 110),  # 4: opens above the stop 109: buy back at 110 * 1.001
            (110, 110, 109, 109),  # 5: no indicator row
            (108, 109, 108, 108),  # 6: BALANCE at the VAL 108 -> long to the POC 110, stop 105
            (108, 109, 107.5, 109),  # 7: fill 108 * 1.001 = 108.108; last bar: sell at 109 * 0.999
        ],
        columns=["open", "high", "low", "close"],
        index=pd.DatetimeIndex([at(m) for m in range(8)]),
        dtype=float,
    )
    candles["volume"] = 1.0
    rows = {
        0: ("IMBALANCE_UP", 80, 60, 40, 5.0, 2.0, 99, 101, 98),
        1: ("IMBALANCE_UP", 80, 40, 60, 5.0, 2.0, 99, 101, 98),  # pressure too low
        2: ("IMBALANCE_DOWN", 90, 30, 70, -3.0, 2.0, 103, 107, 101),
        3: ("IMBALANCE_DOWN", 90, 30, 70, -3.0, 2.0, 103, 107, 101),  # position open: dropped
        4: ("BALANCE", 40, 50, 50, 0.0, 2.0, 110, 112, 108),  # low confidence
        6: ("BALANCE", 70, 50, 50, 0.0, 2.0, 110, 112, 108),
        7: ("IMBALANCE_UP", 80, 60, 40, 5.0, 2.0, 109, 110, 108),  # last bar: dropped
        20: ("IMBALANCE_UP", 99, 99, 1, 5.0, 2.0, 99, 101, 98),  # no candle at 00:20: ignored
    }
    indicators = pd.DataFrame(
        list(rows.values()),
        columns=list(INDICATOR_COLUMNS),
        index=pd.DatetimeIndex([at(m) for m in rows]),
    )
    return candles, indicators


def test_hand_built_trades_and_pnl():
    candles, indicators = hand_built()
    result = BacktestEngine({**COSTS, "allow_balance_trades": True}).run_on_indicators(
        candles, indicators, "TEST"
    )
    t = result.trades
    assert list(t.side) == ["long", "short", "long"]
    assert list(t.reason) == ["target", "stop", "end"]
    assert list(t.entry_reason) == ["imbalance_up", "imbalance_down", "balance_val"]
    assert list(t.signal_time) == [at(0), at(2), at(6)]
    assert list(t.entry_time) == [at(1), at(3), at(7)]
    assert list(t.exit_time) == [at(2), at(4), at(7)]
    assert list(t.bars_held) == [2, 2, 1]

    # Trade 1: long, buy at 100 * 1.001 = 100.1 with all 10,000; entry commission
    # 10,000 * 0.001 = 10; target 106 on bar 2: sell at 106 * 0.999 = 105.894.
    q1 = 10_000 / 100.1
    pnl1 = q1 * (105.894 - 100.1) - 10 - q1 * 105.894 * 0.001
    e1 = 10_000 + pnl1
    # Trade 2: short at bar 3's open: sell at 106 * 0.999 = 105.894 with equity e1;
    # bar 4 opens at 110 above the stop 109: buy at 110 * 1.001 = 110.11.
    q2 = e1 / 105.894
    pnl2 = q2 * (105.894 - 110.11) - e1 * 0.001 - q2 * 110.11 * 0.001
    e2 = e1 + pnl2
    # Trade 3: balance fade, buy at 108 * 1.001 = 108.108 on the last bar;
    # closed at its close: sell at 109 * 0.999 = 108.891.
    q3 = e2 / 108.108
    pnl3 = q3 * (108.891 - 108.108) - e2 * 0.001 - q3 * 108.891 * 0.001

    np.testing.assert_allclose(t.entry_price, [100.1, 105.894, 108.108])
    np.testing.assert_allclose(t.exit_price, [105.894, 110.11, 108.891])
    np.testing.assert_allclose(t.quantity, [q1, q2, q3])
    np.testing.assert_allclose(t.pnl, [pnl1, pnl2, pnl3])
    np.testing.assert_allclose(t.stop, [97, 109, 105])
    np.testing.assert_allclose(t.target, [106, 100, 110])

    s = result.stats
    assert s["trade_count"] == 3 and (s["long_count"], s["short_count"]) == (2, 1)
    assert pnl1 > 0 > pnl2 and pnl3 > 0
    assert s["win_rate"] == pytest.approx(200 / 3)
    assert s["net_pnl"] == pytest.approx(pnl1 + pnl2 + pnl3)
    assert s["final_equity"] == pytest.approx(10_000 + pnl1 + pnl2 + pnl3)
    assert s["profit_factor"] == pytest.approx((pnl1 + pnl3) / -pnl2)
    assert s["exposure_pct"] == pytest.approx(100 * 5 / 8)  # bars 1-2, 3-4 and 7
    assert s["avg_holding_minutes"] == pytest.approx((1 + 1 + 0) / 3)
    assert result.equity.index.equals(candles.index)
    assert (result.symbol, result.start, result.end) == ("TEST", at(0), at(8))


def test_hand_built_without_balance_trades():
    candles, indicators = hand_built()
    result = BacktestEngine(COSTS).run_on_indicators(candles, indicators, "TEST")
    assert list(result.trades.entry_reason) == ["imbalance_up", "imbalance_down"]


def test_states_as_codes_and_missing_values():
    candles, indicators = hand_built()
    labels = BacktestEngine(COSTS).run_on_indicators(candles, indicators)
    coded = indicators.assign(state=indicators["state"].map({"BALANCE": 0, "IMBALANCE_UP": 1, "IMBALANCE_DOWN": 2}))  # fmt: skip
    by_code = BacktestEngine(COSTS).run_on_indicators(candles, coded)
    pd.testing.assert_frame_equal(labels.trades, by_code.trades)
    # a None/NaN in a row means no signal there: blank bar 0's ATR and the first trade goes
    blank = indicators.astype({"atr": object})
    blank.loc[at(0), "atr"] = None
    fewer = BacktestEngine(COSTS).run_on_indicators(candles, blank)
    assert list(fewer.trades.signal_time) == [at(2)]


def test_run_on_indicators_span_and_bad_input():
    candles, indicators = hand_built()
    engine = BacktestEngine(COSTS)
    # trading from bar 2 on: bar 0's signal is outside the span
    late = engine.run_on_indicators(candles, indicators, start=at(2))
    assert list(late.trades.signal_time) == [at(2)]
    assert late.equity.index[0] == at(2)
    with pytest.raises(InvalidInputError, match="lack"):
        engine.run_on_indicators(candles, indicators.drop(columns="vah"))
    with pytest.raises(InvalidInputError, match="timezone"):
        engine.run_on_indicators(candles, indicators.tz_localize(None))
    with pytest.raises(InvalidInputError, match="no candles"):
        engine.run_on_indicators(candles, indicators, start=at(30))


def test_parameters_and_missing_candles():
    assert BacktestEngine().params == Params()
    assert BacktestEngine({"lookback_period": "30"}).params.lookback_period == 30
    assert BacktestEngine(Params(stop_atr=2)).params.stop_atr == 2
    with pytest.raises(InvalidInputError, match="no_such_knob"):
        BacktestEngine({"no_such_knob": 1})
    with pytest.raises(InvalidInputError, match="candle_source"):
        BacktestEngine().run("BTC", "2024-01-01", "2024-01-02")
    with pytest.raises(InvalidInputError, match="no candles"):
        BacktestEngine().run("BTC", "2030-01-01", "2030-01-02", candles=hand_built()[0])


# --- real data ---------------------------------------------------------------

START, END = pd.Timestamp("2022-01-05", tz="UTC"), pd.Timestamp("2022-01-09", tz="UTC")


@pytest.fixture(scope="module")
def month(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "btcperp-1m-2022-01.csv.gz", parse_dates=["ts"], index_col="ts")


def month_run(month: pd.DataFrame, **changes) -> object:
    return BacktestEngine(changes).run("BTCUSDT", "2022-01-01", "2022-02-01", candles=month)


@pytest.mark.realdata
def test_warmup_gives_the_indicators_of_the_full_history(month):
    # The engine computes on [start - 60 min, end) only; the result must equal a
    # walk on indicators computed over the whole month.
    engine = BacktestEngine({"allow_balance_trades": True})
    result = engine.run("BTCUSDT", START, END, candles=month)
    reference = engine.run_on_indicators(
        month, compute(month, engine.params), "BTCUSDT", START, END
    )
    assert result.to_json(include_equity=True) == reference.to_json(include_equity=True)
    assert result.stats["trade_count"] > 0
    # warm-up bars are never traded
    assert result.equity.index[0] == START and result.equity.index[-1] < END
    assert (result.trades.signal_time >= START).all()


@pytest.mark.realdata
def test_candle_source_is_asked_for_the_warmup_and_the_span(month):
    calls = []

    def source(symbol, start, end):
        calls.append((symbol, start, end))
        return month.loc[(month.index >= start) & (month.index < end)]

    engine = BacktestEngine({"lookback_period": 45}, candle_source=source)
    result = engine.run("BTCUSDT", "2022-01-05", "2022-01-09")
    assert calls == [("BTCUSDT", START - pd.Timedelta(minutes=45), END)]
    direct = BacktestEngine({"lookback_period": 45}).run("BTCUSDT", START, END, candles=month)
    assert result.to_json() == direct.to_json()


@pytest.mark.realdata
def test_default_start_leaves_a_full_warmup(month):
    result = BacktestEngine().run("BTCUSDT", candles=month.iloc[:3_000])
    assert result.start == month.index[0] + pd.Timedelta(minutes=60)
    assert result.end == month.index[2_999] + pd.Timedelta(minutes=1)


@pytest.mark.realdata
def test_progress_is_reported_from_zero_to_one(month):
    seen = []
    BacktestEngine().run("BTCUSDT", START, END, candles=month, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) >= 4


@pytest.mark.realdata
def test_no_look_ahead(month):
    # Cutting the data after bar t must not change any trade entered up to t,
    # nor any exit before t; only a trade still open at t may end differently
    # (reason "end" at t's close).
    params = {"allow_balance_trades": True}
    full = BacktestEngine(params).run("BTCUSDT", START, END, candles=month)
    trades = full.trades
    assert len(trades) >= 10
    cuts = [trades.entry_time.iloc[i] + pd.Timedelta(minutes=1) for i in (2, 5, 9)]
    cuts += [trades.exit_time.iloc[3], trades.signal_time.iloc[7], START + pd.Timedelta(hours=30)]
    for t in cuts:
        cut = BacktestEngine(params).run(
            "BTCUSDT", START, t + pd.Timedelta(minutes=1), candles=month.loc[:t]
        )
        kept = cut.trades
        before = trades[trades.entry_time <= t].reset_index(drop=True)
        entry_cols = ["signal_time", "entry_time", "side", "entry_price", "quantity", "stop", "target", "entry_reason"]  # fmt: skip
        pd.testing.assert_frame_equal(kept[entry_cols], before[entry_cols])
        closed = kept.reason != "end"
        pd.testing.assert_frame_equal(kept[closed], before[closed.to_numpy()])
        assert (kept.reason == "end").sum() <= 1
        n = len(cut.equity) - 1  # the last bar may carry an "end" exit's costs
        pd.testing.assert_series_equal(cut.equity.iloc[:n], full.equity.iloc[:n])


@pytest.mark.realdata
def test_same_run_twice_gives_byte_identical_json(month):
    a = BacktestEngine({"allow_balance_trades": True}).run("BTCUSDT", START, END, candles=month)
    b = BacktestEngine({"allow_balance_trades": True}).run("BTCUSDT", START, END, candles=month)
    assert a.to_json(include_equity=True).encode() == b.to_json(include_equity=True).encode()
    assert a.to_json(indent=None) == b.to_json(indent=None)


@pytest.mark.realdata
def test_default_parameters_trade_the_real_month(month):
    result = month_run(month)
    states = compute(month)["state"].value_counts().to_dict()
    assert result.stats["trade_count"] > 0, f"no trades; state distribution {states}"
    assert result.stats["long_count"] > 0 and result.stats["short_count"] > 0


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("poc_distance_threshold", 1.5, 2.5),
        ("momentum_threshold", 1.5, 2.5),
        ("cvd_pressure_threshold", 15, 25),
        ("lookback_period", 60, 30),
    ],
)
def test_each_expert_threshold_changes_the_result(month, name, low, high):
    a = month_run(month, **{name: low})
    b = month_run(month, **{name: high})
    assert a.stats["trade_count"] > 0 and b.stats["trade_count"] > 0
    assert not a.trades.equals(b.trades)
    assert a.stats != b.stats


@pytest.mark.realdata
def test_balance_trades_add_trades(month):
    off = month_run(month, allow_balance_trades=False)
    on = month_run(month, allow_balance_trades=True)
    assert on.stats["trade_count"] > off.stats["trade_count"]
    assert set(on.trades.entry_reason) >= {"balance_val", "balance_vah"}
    assert not set(off.trades.entry_reason) & {"balance_val", "balance_vah"}
