"""``parity fixtures demo|real``: the ready-made worlds, on a real PostgreSQL."""

from __future__ import annotations

import pandas as pd
import pytest

from parity.cli import main
from parity.db.connect import connect
from parity.db.meta import META_SCHEMA, META_TABLE, read_marker
from parity.db.schema import list_symbols, symbol_info
from parity.db.store import read_candles, read_live_rows
from parity_fixtures.replay import LIVE_COLUMNS, bar_open_time

pytestmark = pytest.mark.postgres

MINUTE = pd.Timedelta(minutes=1)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(dsn: str) -> dict[str, tuple]:
    """Row counts and the largest ids of every table the worlds write."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            out = {}
            for table in ("symbols", "candles", "trades"):
                cur.execute(f"SELECT count(*) FROM {table}")
                out[table] = cur.fetchone()
            for table in LIVE_COLUMNS:
                cur.execute(f"SELECT count(*), max(id) FROM {table}")
                out[table] = cur.fetchone()
            cur.execute(f"SELECT name, built_at FROM {META_SCHEMA}.{META_TABLE} ORDER BY name")
            out["markers"] = tuple(cur.fetchall())
    finally:
        conn.close()
    return out


def live_frames(dsn: str, symbol: str) -> dict[str, pd.DataFrame]:
    conn = connect(dsn)
    try:
        sid, _ = symbol_info(conn, symbol)
        return {t: read_live_rows(conn, t, sid) for t in LIVE_COLUMNS}
    finally:
        conn.close()


def test_demo_builds_30_days_with_25_hours_of_live_rows_and_is_idempotent(fresh_db, capsys) -> None:
    code, out, err = run(capsys, "fixtures", "demo", "--dsn", fresh_db)
    assert code == 0, err
    assert "demo world built" in out and "DEMO-USD" in out

    conn = connect(fresh_db)
    try:
        sid, tick = symbol_info(conn, "DEMO-USD")
        candles = read_candles(conn, sid)
        marker = read_marker(conn, "demo")
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM trades WHERE symbol_id = %s", (sid,))
            n_trades = cur.fetchone()[0]
    finally:
        conn.close()
    assert tick == 0.01
    assert candles.index[-1] - candles.index[0] >= pd.Timedelta(days=30) - 2 * MINUTE
    assert n_trades > 100_000
    assert marker is not None and marker["params"]["days"] == 30

    frames = live_frames(fresh_db, "DEMO-USD")
    bars = pd.DatetimeIndex(bar_open_time(frames["market_state"]["ts"]))
    end = candles.index[-1] + MINUTE
    assert bars.max() == candles.index[-1]  # the live rows reach the end of the world
    assert bars.min() >= end - pd.Timedelta(hours=25)
    assert bars.min() < end - pd.Timedelta(hours=24, minutes=55)
    assert len(frames["market_state"]) == len(frames["order_flow"]) == len(frames["volume_profile"])
    assert not bars.is_unique  # the default imperfections: some rows written twice

    before = snapshot(fresh_db)
    code, out, err = run(capsys, "fixtures", "demo", "--dsn", fresh_db)
    assert code == 0, err
    assert "already built" in out and "nothing to do" in out
    assert snapshot(fresh_db) == before


def test_demo_with_other_parameters_rebuilds_its_own_symbol(fresh_db, capsys) -> None:
    assert run(capsys, "fixtures", "demo", "--days", "3", "--seed", "2", "--dsn", fresh_db)[0] == 0
    first = live_frames(fresh_db, "DEMO-USD")["order_flow"]
    assert bar_open_time(first["ts"]).max() >= pd.Timestamp("2025-01-03T23:00Z")
    code, out, err = run(
        capsys, "fixtures", "demo", "--days", "2", "--seed", "2", "--dsn", fresh_db
    )
    assert code == 0, err
    assert "other parameters: rebuilding" in out
    conn = connect(fresh_db)
    try:
        sid, _ = symbol_info(conn, "DEMO-USD")
        candles = read_candles(conn, sid)
    finally:
        conn.close()
    assert candles.index[-1] < pd.Timestamp("2025-01-03", tz="UTC")
    second = live_frames(fresh_db, "DEMO-USD")["order_flow"]
    # the old rows are gone: every live row belongs to the 2-day world
    assert bar_open_time(second["ts"]).max() < pd.Timestamp("2025-01-03", tz="UTC")
    code, out, _ = run(capsys, "fixtures", "demo", "--days", "2", "--seed", "2", "--dsn", fresh_db)
    assert code == 0 and "nothing to do" in out


def test_demo_rebuilds_when_its_rows_were_changed(fresh_db, capsys) -> None:
    args = ("fixtures", "demo", "--days", "2", "--dsn", fresh_db)
    assert run(capsys, *args)[0] == 0
    conn = connect(fresh_db)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM market_state WHERE id IN (SELECT min(id) FROM market_state)")
        conn.commit()
    finally:
        conn.close()
    code, out, _ = run(capsys, *args)
    assert code == 0 and "changed since it was built" in out
    code, out, _ = run(capsys, *args)
    assert code == 0 and "nothing to do" in out


def test_demo_refuses_too_few_days(fresh_db, capsys) -> None:
    code, _, err = run(capsys, "fixtures", "demo", "--days", "1", "--dsn", fresh_db)
    assert code == 2 and "at least 2 days" in err


@pytest.mark.realdata
def test_real_loads_the_real_data_with_25_hours_of_live_rows(fresh_db, data_dir, capsys) -> None:
    code, out, err = run(capsys, "fixtures", "real", "--data-dir", str(data_dir), "--dsn", fresh_db)
    assert code == 0, err
    conn = connect(fresh_db)
    try:
        symbols = {row.symbol: row for row in list_symbols(conn)}
        counts = {}
        for name, row in symbols.items():
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM candles WHERE symbol_id = %s", (row.id,))
                counts[name] = cur.fetchone()[0]
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM trades WHERE symbol_id = %s", (row.id,))
                counts[name + ":trades"] = cur.fetchone()[0]
    finally:
        conn.close()
    assert set(symbols) == {"XRPETH", "BTCPERP", "ALTBTC", "LINKUSDT", "AVAXUSDT", "DOTUSDT"}
    assert symbols["XRPETH"].tick_size == 1e-8
    assert counts["XRPETH"] == 2_469 and counts["XRPETH:trades"] == 12_477
    assert counts["BTCPERP"] == 45_031 and counts["ALTBTC"] == 13_681
    assert counts["LINKUSDT"] == 40_320
    assert counts["AVAXUSDT"] == counts["DOTUSDT"] == 43_200
    assert all(counts[f"{s}:trades"] == 0 for s in symbols if s != "XRPETH")

    frames = live_frames(fresh_db, "XRPETH")
    bars = pd.DatetimeIndex(bar_open_time(frames["volume_profile"]["ts"]))
    last_trade_minute = pd.Timestamp("2019-10-13T11:19Z")
    assert bars.max() <= last_trade_minute
    assert bars.max() >= last_trade_minute - 5 * MINUTE
    end = last_trade_minute + MINUTE
    assert bars.min() >= end - pd.Timedelta(hours=25)
    assert bars.min() <= end - pd.Timedelta(hours=24, minutes=50)  # covers 25 hours
    assert "replayed XRPETH" in out

    before = snapshot(fresh_db)
    code, out, err = run(capsys, "fixtures", "real", "--data-dir", str(data_dir), "--dsn", fresh_db)
    assert code == 0, err
    assert "nothing to do" in out
    assert snapshot(fresh_db) == before


def test_real_names_a_missing_file(fresh_db, data_dir, capsys, tmp_path) -> None:
    for path in data_dir.glob("*.csv.gz"):
        if "btcperp" not in path.name:
            (tmp_path / path.name).symlink_to(path)  # a link, never a copy
    code, _, err = run(capsys, "fixtures", "real", "--data-dir", str(tmp_path), "--dsn", fresh_db)
    assert code == 2
    assert err.count("\n") == 1 and "btcperp-1m-2022-01.csv.gz" in err
    conn = connect(fresh_db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('public.symbols')")
            assert cur.fetchone()[0] is None  # the database was not touched
    finally:
        conn.close()


def test_real_uses_parity_data_dir(fresh_db, data_dir, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PARITY_DATA_DIR", str(tmp_path / "nowhere"))
    code, _, err = run(capsys, "fixtures", "real", "--dsn", fresh_db)
    assert code == 2 and str(tmp_path / "nowhere") in err
