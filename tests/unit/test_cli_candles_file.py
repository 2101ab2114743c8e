"""``--candles FILE`` for ``parity backtest`` and ``parity sweep``: no database.

An unreachable ``--dsn`` proves the database is not touched; the backtest's
trades equal the engine's own on the same candles (differential)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from backtest import BacktestEngine
from calculators import Params
from parity.cli import main
from parity_fixtures.simulator import simulate_candles

NOWHERE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
START, END = "2025-01-01T03:00Z", "2025-01-01T09:00Z"


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return simulate_candles(0.4, seed=4, start="2025-01-01T00:00:00Z", tick_size=0.01)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_backtest_from_a_candle_file_equals_the_engine_on_those_candles(
    candles, tmp_path, capsys, suffix
):
    path = tmp_path / f"candles.{suffix}"
    table = candles[["open", "high", "low", "close", "volume"]].reset_index(names="ts")
    if suffix == "csv":
        table.assign(ts=table["ts"].map(lambda t: t.isoformat())).to_csv(path, index=False)
    else:
        table.to_parquet(path)
    code = main(["backtest", "--symbol", "FILE", "--start", START, "--end", END,
                 "--candles", str(path), "--dsn", NOWHERE, "--json"])  # fmt: skip
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    engine = BacktestEngine(Params())
    start, end = pd.Timestamp(START), pd.Timestamp(END)
    window = candles.loc[(candles.index >= start - engine.warmup) & (candles.index < end)]
    expected = engine.run(
        "FILE", start, end, candles=window[["open", "high", "low", "close", "volume"]]
    )
    assert len(document["trades"]) == len(expected.trades)
    assert document["stats"] == json.loads(json.dumps(expected.to_dict()["stats"]))


def test_sweep_from_a_candle_file(candles, tmp_path, capsys):
    path = tmp_path / "candles.parquet"
    candles[["open", "high", "low", "close", "volume"]].reset_index(names="ts").to_parquet(path)
    out = tmp_path / "sweep"
    code = main(["sweep", "--symbol", "FILE", "--start", START, "--end", END, "--candles", str(path),
                 "--dsn", NOWHERE, "--grid", "min_confidence=50,70", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert len(pd.read_csv(out / "sweep.csv")) == 2


def test_bad_candle_files_are_exit_2(candles, tmp_path, capsys):
    assert main(["backtest", "--symbol", "F", "--start", START, "--end", END,
                 "--candles", str(tmp_path / "missing.csv")]) == 2  # fmt: skip
    assert "not found" in capsys.readouterr().err
    path = tmp_path / "candles.parquet"
    candles[["open", "high", "low", "close", "volume"]].reset_index(names="ts").to_parquet(path)
    assert main(["backtest", "--symbol", "F", "--start", "2030-01-01T00:00Z", "--end", "2030-01-02T00:00Z",
                 "--candles", str(path)]) == 2  # fmt: skip
    assert "no candles" in capsys.readouterr().err
    assert main(["backtest", "--symbol", "F", "--start", START, "--end", END,
                 "--candles", str(path), "--compare-live"]) == 2  # fmt: skip
