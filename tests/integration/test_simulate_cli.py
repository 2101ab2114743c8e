"""``parity simulate``: files with --out, the database without it."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from calculators import candles_from_trades
from parity.cli import main
from parity.cli.commands import simulate as simulate_command
from parity_fixtures.simulator import simulate, simulate_trades


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_out_writes_both_files_in_the_real_data_formats(tmp_path, capsys) -> None:
    code, out, err = _run(
        capsys, "--symbol", "SIM", "--days", "1.5", "--seed", "7", "--tick-size", "0.05",
        "--start", "2024-06-01T00:00:00Z", "--start-price", "250", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SIM-1m.csv.gz", "SIM-trades.csv.gz"]

    expected = simulate_trades(
        1.5, 7, tick_size=0.05, start="2024-06-01T00:00:00Z", start_price=250
    )
    with gzip.open(tmp_path / "SIM-trades.csv.gz", "rt") as fh:
        assert fh.readline().strip() == "ts_ms,trade_id,price,amount,side"
    trades = pd.read_csv(tmp_path / "SIM-trades.csv.gz")
    assert len(trades) == len(expected)
    assert trades["ts_ms"].dtype == np.int64
    assert np.array_equal(
        trades["ts_ms"].to_numpy(), pd.DatetimeIndex(expected["ts"]).asi8 // 1_000_000
    )
    assert np.array_equal(trades["trade_id"].to_numpy(), expected["trade_id"].to_numpy())
    # exact float round trip: every value reads back bit for bit
    assert np.array_equal(trades["price"].to_numpy(), expected["price"].to_numpy())
    assert np.array_equal(trades["amount"].to_numpy(), expected["amount"].to_numpy())
    assert list(trades["side"]) == list(expected["side"])

    with gzip.open(tmp_path / "SIM-1m.csv.gz", "rt") as fh:
        assert fh.readline().strip() == "ts,open,high,low,close,volume"
        assert fh.readline().startswith("2024-06-01 00:0")
    candles = pd.read_csv(tmp_path / "SIM-1m.csv.gz", index_col="ts")
    candles.index = pd.to_datetime(candles.index, utc=True)
    truth = candles_from_trades(expected)
    assert list(candles.columns) == ["open", "high", "low", "close", "volume"]
    assert candles.index.equals(truth.index.rename("ts"))
    for column in candles.columns:
        assert np.array_equal(candles[column].to_numpy(), truth[column].to_numpy()), column
    ratio = candles[["open", "high", "low", "close"]].to_numpy() / 0.05
    assert np.all(np.abs(ratio - np.round(ratio)) < 1e-9)

    assert f"{len(expected):,} trades" in out
    assert f"{len(truth):,} candles" in out
    assert " s" in out  # elapsed time


def test_same_arguments_give_identical_files(tmp_path, capsys) -> None:
    args = ("--symbol", "SIM", "--days", "0.5", "--seed", "3")
    assert _run(capsys, *args, "--out", str(tmp_path / "a"))[0] == 0
    assert _run(capsys, *args, "--out", str(tmp_path / "b"))[0] == 0
    other = ("--symbol", "SIM", "--days", "0.5", "--seed", "4", "--out", str(tmp_path / "c"))
    assert _run(capsys, *other)[0] == 0
    for name in ("SIM-trades.csv.gz", "SIM-1m.csv.gz"):
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes()
        assert a != (tmp_path / "c" / name).read_bytes()


def test_a_failed_write_leaves_nothing_partial(tmp_path, capsys, monkeypatch) -> None:
    keep = tmp_path / "SIM-trades.csv.gz"
    keep.write_bytes(b"old contents")

    def broken(candles, stream) -> None:
        stream.write("ts,open,high,low,close,volume\n2025-01-01 00:00:00+00:00,1")
        raise OSError(28, "No space left on device", "SIM-1m.csv.gz")

    monkeypatch.setattr(simulate_command, "write_candles_csv", broken)
    code, _, err = _run(
        capsys, "--symbol", "SIM", "--days", "0.2", "--seed", "1", "--out", str(tmp_path),
        "--force",
    )  # fmt: skip
    assert code == 2
    assert "No space left on device" in err
    assert [p.name for p in tmp_path.iterdir()] == ["SIM-trades.csv.gz"]
    assert keep.read_bytes() == b"old contents"


def test_out_directory_is_created(tmp_path, capsys) -> None:
    target = tmp_path / "deep" / "er"
    assert (
        _run(capsys, "--symbol", "X", "--days", "0.1", "--seed", "1", "--out", str(target))[0] == 0
    )
    assert (target / "X-trades.csv.gz").is_file()
    assert (target / "X-1m.csv.gz").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "2025-01-01T00:00:30Z"), "whole minute"),
        (("--start", "yesterday-ish"), "not a time"),
        (("--tick-size", "0"), "tick_size"),
        (("--start-price", "-1"), "start_price"),
        (("--symbol", "a/b"), "file name"),
        (("--symbol", " "), "symbol"),
        (("--days", "0"), "symbol_days"),
        (("--seed", "-3"), "seed"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message) -> None:
    base = {"--symbol": "SIM", "--days": "0.1", "--seed": "1", "--out": str(tmp_path)}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, _, err = _run(capsys, *[x for pair in base.items() for x in pair])
    assert code == 2
    assert err.startswith("parity: error:")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_help_lists_the_options(capsys) -> None:
    assert main(["simulate", "--help"]) == 0  # main returns the exit code, even for --help
    text = capsys.readouterr().out
    for option in (
        "--symbol",
        "--days",
        "--seed",
        "--start",
        "--start-price",
        "--tick-size",
        "--out",
        "--dsn",
    ):
        assert option in text


# --- into PostgreSQL -----------------------------------------------------------------


@pytest.mark.postgres
def test_database_receives_trades_candles_and_symbol(fresh_db, capsys) -> None:
    import psycopg2

    code, out, err = _run(
        capsys, "--symbol", "SIMDB", "--days", "0.5", "--seed", "5", "--tick-size", "0.5",
        "--start-price", "1000", "--dsn", fresh_db,
    )  # fmt: skip
    assert code == 0, err
    result = simulate(0.5, 5, tick_size=0.5, start_price=1000)
    trades = result.trades
    candles = candles_from_trades(trades)
    assert "to the database" in out
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, tick_size FROM symbols WHERE symbol = 'SIMDB'")
        symbol_id, tick = cur.fetchone()
        assert tick == 0.5
        cur.execute(
            "SELECT count(*), sum(amount), min(price), max(price), "
            "sum(CASE WHEN side = 'buy' THEN 1 ELSE 0 END), min(ts), max(ts), max(trade_id) "
            "FROM trades WHERE symbol_id = %s",
            (symbol_id,),
        )
        n, amount, low, high, buys, first, last, last_id = cur.fetchone()
        assert n == len(trades)
        assert amount == pytest.approx(trades["amount"].sum(), rel=1e-12)
        assert low == trades["price"].min() and high == trades["price"].max()
        assert buys == int((trades["side"] == "buy").sum())
        assert pd.Timestamp(first) == trades["ts"].iloc[0]
        assert pd.Timestamp(last) == trades["ts"].iloc[-1]
        assert last_id == len(trades) - 1
        cur.execute(
            "SELECT ts, open, high, low, close, volume FROM candles WHERE symbol_id = %s ORDER BY ts",
            (symbol_id,),
        )
        rows = cur.fetchall()
    assert len(rows) == len(candles)
    stored = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
    assert pd.DatetimeIndex(pd.to_datetime(stored["ts"], utc=True)).equals(
        pd.DatetimeIndex(candles.index)
    )
    for column in ("open", "high", "low", "close", "volume"):
        assert np.array_equal(stored[column].to_numpy(float), candles[column].to_numpy()), column
    conn.close()


@pytest.mark.postgres
def test_database_refuses_to_mix_two_simulations(fresh_db, capsys) -> None:
    import psycopg2

    first = ("--symbol", "SIMDB", "--days", "0.2", "--seed", "1", "--dsn", fresh_db)
    assert _run(capsys, *first)[0] == 0
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), sum(price * amount) FROM trades")
        before = cur.fetchone()
    conn.close()
    code, _, err = _run(
        capsys, "--symbol", "SIMDB", "--days", "0.2", "--seed", "2", "--dsn", fresh_db
    )
    assert code == 2
    assert "already has" in err
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), sum(price * amount) FROM trades")
        assert cur.fetchone() == before
    conn.close()
    # another symbol is fine
    assert (
        _run(capsys, "--symbol", "SIMDB2", "--days", "0.2", "--seed", "2", "--dsn", fresh_db)[0]
        == 0
    )


def test_out_never_replaces_existing_files_without_force(tmp_path, capsys) -> None:
    mine = tmp_path / "SIM-1m.csv.gz"
    mine.write_bytes(b"the user's own candles")
    args = ("--symbol", "SIM", "--days", "0.1", "--seed", "1", "--out", str(tmp_path))
    code, _, err = _run(capsys, *args)
    assert code == 2
    assert err.strip().count("\n") == 0 and "exists" in err and "--force" in err
    assert mine.read_bytes() == b"the user's own candles"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SIM-1m.csv.gz"]
    code, _, err = _run(capsys, *args, "--force")
    assert code == 0, err
    assert mine.read_bytes() != b"the user's own candles"
