"""The harness and the backtest read the candles' ``buy_volume`` and calculate with it.

A simulated tape is stored with its candles and its live rows (the tick
replay, without imperfections).  When the candles carry the true buy volume of
every bar, the candle path's order flow is the live engine's: buy pressure and
cumulative delta match to rounding, and the report says 100 % of the bars had
true flow.  Without it, the estimator's error shows and the share is 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pytest

from backtest import BacktestEngine
from calculators import Params, candles_from_trades
from parity.backtesting.source import postgres_candle_source
from parity.cli import main
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_live_rows, write_trades
from parity_fixtures.replay import Imperfections, replay_live_rows
from parity_fixtures.simulator import simulate_trades

pytestmark = pytest.mark.postgres

SYMBOL = "FLOW-USD"
TICK = 0.01


@pytest.fixture(scope="module")
def tape() -> pd.DataFrame:
    return simulate_trades(2.0, seed=21, tick_size=TICK)


def build(dsn: str, tape: pd.DataFrame, known: float) -> pd.DataFrame:
    """Store the tape, its candles (``buy_volume`` kept on a ``known`` share of
    the bars, NaN elsewhere) and its replayed live rows; returns the candles."""
    candles = candles_from_trades(tape).drop(columns="trades")
    rng = np.random.default_rng(4)
    candles.loc[rng.random(len(candles)) >= known, "buy_volume"] = np.nan
    rows = replay_live_rows(tape, Params(), imperfections=Imperfections.none(), seed=1)
    conn = psycopg2.connect(dsn)
    apply_schema(conn)
    sid = ensure_symbol(conn, SYMBOL, TICK)
    write_trades(conn, sid, tape)
    write_candles(conn, sid, candles)
    write_live_rows(conn, sid, **rows.frames())
    conn.commit()
    conn.close()
    return candles


def parity_report(dsn: str, tmp_path: Path) -> dict:
    out = tmp_path / "report"
    assert main(["run", "--dsn", dsn, "--symbol", SYMBOL, "--out", str(out)]) in (0, 1)
    return json.loads((out / "parity.json").read_text())


@pytest.mark.parametrize("known", [1.0, 0.5, 0.0])
def test_run_uses_the_true_flow_and_reports_its_share(fresh_db, tape, tmp_path, known) -> None:
    candles = build(fresh_db, tape, known)
    report = parity_report(fresh_db, tmp_path)
    summary = report["symbols"][SYMBOL]
    bars = summary["compared_minutes"]
    share = summary["metrics"]["true_flow"]["share"]
    window = candles.loc[summary["window"]["start"] :]
    expected = window["buy_volume"].notna().iloc[-bars:].mean()
    assert share == pytest.approx(expected, abs=1e-12)
    assert summary["metrics"]["true_flow"]["bars"] == round(share * bars)
    error = summary["metrics"]["buy_pressure"]["mean_error"]
    if known == 1.0:
        assert share == 1.0
        assert error < 1e-9  # the live engine's own flow, to rounding
        assert summary["metrics"]["cumulative_delta"]["match_rate"] == 1.0
    elif known == 0.0:
        assert share == 0.0
        assert error > 0.5  # the estimator's distance
    assert report["run"]["candle_settings"]["flow_estimator"] == Params().flow_estimator
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "true flow (bars with buy_volume)" in markdown
    assert "Candle-side settings: `flow_estimator=" in markdown


def test_half_true_flow_lands_between_none_and_all(fresh_db, tape, tmp_path) -> None:
    """More true bars, less error: the harness uses them bar by bar."""
    build(fresh_db, tape, 0.5)
    half = parity_report(fresh_db, tmp_path)["symbols"][SYMBOL]["metrics"]["buy_pressure"]
    conn = psycopg2.connect(fresh_db)
    with conn.cursor() as cur:
        cur.execute("UPDATE candles SET buy_volume = NULL")
    conn.commit()
    conn.close()
    none = parity_report(fresh_db, tmp_path)["symbols"][SYMBOL]["metrics"]["buy_pressure"]
    assert 0 < half["mean_error"] < none["mean_error"]


def test_backtest_reads_and_uses_buy_volume(fresh_db, tape, capsys) -> None:
    candles = build(fresh_db, tape, 1.0)
    start, end = candles.index[200], candles.index[-1]
    read = postgres_candle_source(fresh_db)(SYMBOL, start - pd.Timedelta(hours=2), end)
    assert read["buy_volume"].notna().all()
    params = Params(cvd_pressure_threshold=5.0, allow_balance_trades=True)
    argv = ["backtest", "--symbol", SYMBOL, "--dsn", fresh_db, "--start", start.isoformat(),
            "--end", end.isoformat(), "--json", "--param", "cvd_pressure_threshold=5",
            "--param", "allow_balance_trades=true"]  # fmt: skip
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    engine = BacktestEngine(params)
    with_flow = engine.run(
        SYMBOL,
        start,
        end,
        candles=candles[["open", "high", "low", "close", "volume", "buy_volume"]],
    )
    without = engine.run(
        SYMBOL, start, end, candles=candles[["open", "high", "low", "close", "volume"]]
    )
    assert document["stats"] == json.loads(json.dumps(with_flow.to_dict()["stats"]))
    assert with_flow.to_dict()["stats"] != without.to_dict()["stats"]
