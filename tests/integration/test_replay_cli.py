"""``parity replay``: the live tables from a symbol's stored trades, on a real PostgreSQL."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calculators import Params, compute_from_trades
from parity.cli import main
from parity.db.connect import connect
from parity.db.schema import symbol_info
from parity.db.store import read_live_rows, read_trades
from parity_fixtures.replay import LIVE_COLUMNS, Imperfections, bar_open_time, replay_live_rows

pytestmark = pytest.mark.postgres

MINUTE = pd.Timedelta(minutes=1)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def world(fresh_db, capsys) -> str:
    """A database with 2 simulated days of SIM (trades and candles)."""
    code, _, err = run(
        capsys, "simulate", "--symbol", "SIM", "--days", "2", "--seed", "5", "--dsn", fresh_db
    )
    assert code == 0, err
    return fresh_db


def fingerprint(dsn: str, table: str) -> tuple[int, str]:
    """Row count and an md5 of every row of ``table``, in key order."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f"FROM {table} t"
            )
            count, digest = cur.fetchone()
    finally:
        conn.close()
    return int(count), digest


def stored(dsn: str, symbol: str = "SIM") -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    conn = connect(dsn)
    try:
        sid, _ = symbol_info(conn, symbol)
        frames = {t: read_live_rows(conn, t, sid) for t in LIVE_COLUMNS}
        trades = read_trades(conn, sid)
    finally:
        conn.close()
    return frames, trades


def test_replay_writes_the_live_rows_of_the_last_25_hours(world, capsys) -> None:
    candles_before = fingerprint(world, "candles")
    trades_before = fingerprint(world, "trades")
    code, out, err = run(capsys, "replay", "--symbol", "SIM", "--seed", "3", "--dsn", world)
    assert code == 0, err
    assert fingerprint(world, "candles") == candles_before  # never touches candles
    assert fingerprint(world, "trades") == trades_before

    frames, trades = stored(world)
    expected = replay_live_rows(trades, seed=3)
    assert expected.end - expected.start == pd.Timedelta(hours=25)
    computed = compute_from_trades(trades)
    for table, columns in LIVE_COLUMNS.items():
        got = frames[table]
        want = expected.frames()[table]
        assert list(got["id"]) == sorted(got["id"])  # written in time order
        pd.testing.assert_frame_equal(got.drop(columns="id"), want, check_dtype=False)
        bars = pd.DatetimeIndex(bar_open_time(got["ts"]))
        assert bars.min() >= expected.start and bars.max() < expected.end
        for col in columns:
            a = got[col].to_numpy()
            b = computed.loc[bars, col].to_numpy()
            if col == "state":
                assert list(a) == list(b)
            else:
                assert np.array_equal(a.astype(float), b.astype(float), equal_nan=True), col

    inj = expected.injected
    rows = expected.rows
    assert f"rows written: {rows:,}" in out
    assert "restart gap" in out and "12 min" in out
    assert f"{len(inj.duplicated)} bars written twice" in out
    assert "write delay 1..8 s" in out
    assert "rows/s" in out and " s," in out
    assert "25 h" in out


def test_existing_rows_are_refused_without_replace(world, capsys) -> None:
    assert run(capsys, "replay", "--symbol", "SIM", "--dsn", world)[0] == 0
    before = {t: fingerprint(world, t) for t in LIVE_COLUMNS}
    code, out, err = run(capsys, "replay", "--symbol", "SIM", "--seed", "1", "--dsn", world)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "--replace" in err and "already has" in err
    assert {t: fingerprint(world, t) for t in LIVE_COLUMNS} == before

    code, out, err = run(
        capsys, "replay", "--symbol", "SIM", "--no-imperfections", "--replace", "--dsn", world
    )
    assert code == 0, err
    assert "old rows deleted first" in out
    assert "no restart gap" in out and "no duplicates" in out
    frames, trades = stored(world)
    expected = replay_live_rows(trades, imperfections=Imperfections.none())
    computed = compute_from_trades(trades)
    window = computed.index[(computed.index >= expected.start) & (computed.index < expected.end)]
    for frame in frames.values():
        # exactly one row per bar, written at the bar close
        assert pd.DatetimeIndex(frame["ts"]).equals(window + MINUTE)


def test_replace_deletes_only_the_window(world, capsys) -> None:
    args = ("replay", "--symbol", "SIM", "--no-imperfections", "--dsn", world)
    early = ("--start", "2025-01-01T06:00Z", "--end", "2025-01-01T08:00Z")
    assert run(capsys, *args, *early)[0] == 0
    late = ("--start", "2025-01-02T06:00Z", "--end", "2025-01-02T07:00Z")
    assert run(capsys, *args, *late)[0] == 0
    frames, _ = stored(world)
    n_early = int((frames["market_state"]["ts"] < pd.Timestamp("2025-01-02", tz="UTC")).sum())
    assert 100 < n_early <= 120
    assert run(capsys, *args, *late, "--replace", "--seed", "4")[0] == 0
    after, _ = stored(world)
    for table in LIVE_COLUMNS:
        early_rows = after[table][after[table]["ts"] < pd.Timestamp("2025-01-02", tz="UTC")]
        pd.testing.assert_frame_equal(
            early_rows, frames[table][frames[table]["ts"] < pd.Timestamp("2025-01-02", tz="UTC")]
        )
        bars = pd.DatetimeIndex(bar_open_time(after[table]["ts"]))
        assert bars.is_unique  # nothing doubled by the replace


def test_window_and_params_options(world, capsys, tmp_path) -> None:
    params_file = tmp_path / "p.json"
    params_file.write_text(json.dumps({"params": {"lookback_period": 20, "value_area_pct": 60}}))
    code, out, err = run(
        capsys, "replay", "--symbol", "SIM", "--dsn", world, "--no-imperfections",
        "--start", "2025-01-02T10:00", "--end", "2025-01-02T12:00Z",
        "--params-file", str(params_file), "--param", "lookback_period=25",
    )  # fmt: skip
    assert code == 0, err
    assert "[2025-01-02 10:00, 2025-01-02 12:00)" in out and "2 h" in out
    frames, trades = stored(world)
    params = Params(lookback_period=25, value_area_pct=60)
    computed = compute_from_trades(trades, params)
    got = frames["volume_profile"]
    bars = pd.DatetimeIndex(bar_open_time(got["ts"]))
    assert bars.min() >= pd.Timestamp("2025-01-02T10:00Z")
    assert bars.max() < pd.Timestamp("2025-01-02T12:00Z")
    for col in LIVE_COLUMNS["volume_profile"]:
        assert np.array_equal(got[col].to_numpy(), computed.loc[bars, col].to_numpy()), col


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--symbol", "NOPE"), "unknown symbol 'NOPE'"),
        (("--symbol", "SIM", "--param", "nonsense=1"), "unknown parameter 'nonsense'"),
        (("--symbol", "SIM", "--param", "lookback_period"), "bad --param"),
        (("--symbol", "SIM", "--start", "2025-01-02T00:00:30Z"), "whole minute"),
        (("--symbol", "SIM", "--start", "yesterday-ish"), "not a time"),
        (("--symbol", "SIM", "--seed", "-1"), "seed"),
        (("--symbol", "SIM", "--params-file", "/nonexistent/p.json"), "cannot read"),
    ],
)
def test_bad_input_exits_2_with_one_line(world, capsys, args, message) -> None:
    before = fingerprint(world, "market_state")
    code, _, err = run(capsys, "replay", *args, "--dsn", world)
    assert code == 2
    assert err.count("\n") == 1 and message in err, err
    assert fingerprint(world, "market_state") == before


def test_a_symbol_without_trades_is_refused(fresh_db, capsys, tmp_path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "ts,open,high,low,close,volume\n"
        "2025-01-01T00:00:00Z,1.0,1.1,0.9,1.0,5\n"
        "2025-01-01T00:01:00Z,1.0,1.1,0.9,1.05,5\n"
    )
    assert run(capsys, "load", "candles", str(path), "--symbol", "C", "--dsn", fresh_db)[0] == 0
    code, _, err = run(capsys, "replay", "--symbol", "C", "--dsn", fresh_db)
    assert code == 2
    assert err.count("\n") == 1 and "no trades" in err
