"""The backtest command on a real PostgreSQL holding a year of simulated candles
and 25 hours of live rows at its end (the desk's situation), against the
success criteria of the desk's plan."""

from __future__ import annotations

import json

import pandas as pd
import psycopg2
import pytest
from databases import scratch_database

from calculators import Params, candles_from_trades
from parity.cli import main
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_live_rows, write_trades
from parity_fixtures.replay import replay_live_rows
from parity_fixtures.simulator import simulate

pytestmark = pytest.mark.postgres

SYMBOL = "YEAR-USD"
# A month that ends eleven months before the live rows: the old engine had no data there.
START, END = "2025-01-05T00:00Z", "2025-02-05T00:00Z"


@pytest.fixture(scope="module")
def year_world(pg_dsn):
    """366 days of candles; the trades of the last 3 days; 25 h of live rows at the end."""
    with scratch_database(pg_dsn, "year") as dsn:
        trades = simulate(366, seed=7, start="2025-01-01T00:00:00Z", tick_size=0.01).trades
        recent = trades[trades["ts"] >= trades["ts"].iloc[-1] - pd.Timedelta(days=3)]
        conn = psycopg2.connect(dsn)
        apply_schema(conn)
        sid = ensure_symbol(conn, SYMBOL, 0.01)
        write_candles(conn, sid, candles_from_trades(trades))
        write_trades(conn, sid, recent)
        write_live_rows(conn, sid, **replay_live_rows(recent, Params()).frames())
        conn.commit()
        conn.close()
        yield dsn


def backtest_json(dsn: str, capsys, *params: str) -> dict:
    args = ["backtest", "--dsn", dsn, "--symbol", SYMBOL, "--start", START, "--end", END, "--json"]
    for p in params:
        args += ["--param", p]
    assert main(args) == 0
    out = capsys.readouterr().out
    return json.loads(out)  # exactly one JSON document on stdout


def test_a_period_a_year_before_the_live_rows_runs_and_trades(year_world, capsys):
    result = backtest_json(year_world, capsys)
    assert result["stats"]["trade_count"] > 0
    assert set(result["stats"]) >= {"trade_count", "win_rate", "net_pnl", "return_pct", "max_drawdown_pct",
                                    "sharpe", "profit_factor", "avg_holding_minutes", "exposure_pct"}  # fmt: skip
    assert all(START[:10] <= t["entry_time"][:10] < END[:10] for t in result["trades"])


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("poc_distance_threshold", "1.5", "2.5"),
        ("momentum_threshold", "1.5", "2.5"),
        # On the simulated month candle pressures rarely pass +-15 points, so 25 would bind
        # no more than 15 does; 8 binds.
        ("cvd_pressure_threshold", "15", "8"),
        ("lookback_period", "60", "30"),
    ],
)
def test_each_expert_mode_threshold_changes_the_results(year_world, capsys, name, low, high):
    first = backtest_json(year_world, capsys, f"{name}={low}")
    second = backtest_json(year_world, capsys, f"{name}={high}")
    assert first["params"][name] != second["params"][name]
    assert (first["stats"], first["trades"]) != (second["stats"], second["trades"])


def test_allowing_balance_trades_gives_more_trades(year_world, capsys):
    without = backtest_json(year_world, capsys, "allow_balance_trades=false")
    with_balance = backtest_json(year_world, capsys, "allow_balance_trades=true")
    assert with_balance["stats"]["trade_count"] > without["stats"]["trade_count"]
    assert any(t["entry_reason"].startswith("balance") for t in with_balance["trades"])


def test_the_same_run_twice_gives_byte_identical_result_json(year_world, tmp_path, capsys):
    for out in ("a", "b"):
        args = ["backtest", "--dsn", year_world, "--symbol", SYMBOL, "--start", START, "--end", END]
        assert main([*args, "--out", str(tmp_path / out)]) == 0
    first, second = ((tmp_path / o / "result.json").read_bytes() for o in ("a", "b"))
    assert first == second
    for name in ("trades.csv", "equity.csv", "report.html"):
        assert (tmp_path / "a" / name).stat().st_size > 0


def test_the_backtest_works_with_the_live_tables_empty_and_absent(year_world, capsys):
    reference = backtest_json(year_world, capsys)
    conn = psycopg2.connect(year_world)
    with conn.cursor() as cur:  # inside a transaction rolled back below: the world stays intact
        cur.execute("DELETE FROM market_state; DELETE FROM order_flow; DELETE FROM volume_profile")
        cur.execute("SELECT 1")
    conn.rollback()
    # A copy of the world without any live table at all:
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA bare")
        cur.execute("CREATE TABLE bare.symbols AS SELECT * FROM public.symbols")
        cur.execute("CREATE TABLE bare.candles AS SELECT * FROM public.candles")
    conn.commit()
    conn.close()
    bare = year_world + " options='-c search_path=bare'"
    assert backtest_json(bare, capsys) == reference
    emptied = psycopg2.connect(year_world)
    with emptied.cursor() as cur:
        cur.execute("CREATE TABLE bare.market_state (LIKE public.market_state)")
    emptied.commit()
    emptied.close()
    assert backtest_json(bare, capsys) == reference


def test_compare_live_reports_trade_level_parity(year_world, capsys):
    args = ["backtest", "--dsn", year_world, "--symbol", SYMBOL, "--start", "2025-12-01T00:00Z",
            "--end", "2027-01-01T00:00Z", "--json", "--compare-live"]  # fmt: skip
    assert main(args) == 0
    live = json.loads(capsys.readouterr().out)["compare_live"]
    assert live["matched"] <= min(live["calculated_trades"], live["live_trades"])
    assert live["only_calculated"] == live["calculated_trades"] - live["matched"]
    assert live["only_live"] == live["live_trades"] - live["matched"]
    assert live["pnl_difference"] == pytest.approx(live["pnl_calculated"] - live["pnl_live"])


@pytest.mark.parametrize(
    ("params", "named"),
    [
        (["--param", "poc_distance_treshold=2"], "poc_distance_treshold"),
        (["--param", "lookback_period=-5"], "lookback_period"),
        (["--params-json", '{"allow_balance_trades": "maybe"}'], "allow_balance_trades"),
    ],
)
def test_invalid_parameters_exit_2_naming_the_key(year_world, capsys, params, named):
    args = [
        "backtest",
        "--dsn",
        year_world,
        "--symbol",
        SYMBOL,
        "--start",
        START,
        "--end",
        END,
        "--json",
    ]
    assert main([*args, *params]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert named in captured.err and len(captured.err.strip().splitlines()) == 1


def test_sweep_writes_the_table_and_heat_maps(year_world, tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["sweep", "--dsn", year_world, "--symbol", SYMBOL, "--start", START, "--end", "2025-01-15T00:00Z",
            "--grid", "poc_distance_threshold=1.0,2.5", "--grid", "allow_balance_trades=false,true",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    table = (out / "sweep.csv").read_text().splitlines()
    assert len(table) == 1 + 4
    assert table[0].startswith("poc_distance_threshold,allow_balance_trades,trade_count")
    assert (out / "sweep.html").read_text().count("<svg") == 2
