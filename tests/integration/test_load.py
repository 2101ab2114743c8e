"""Loading files into a real PostgreSQL and reading them back, through the CLI and the store."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pytest

from parity.cli import main
from parity.db.connect import connect, read_only
from parity.db.schema import apply_schema, ensure_symbol, symbol_info
from parity.db.store import (
    read_candles,
    read_live_rows,
    read_trades,
    write_candles,
    write_live_rows,
    write_trades,
)
from parity.errors import ParityError
from parity.io.tables import candles_frame, read_table, trades_frame

pytestmark = pytest.mark.postgres

XRP_CANDLES = "xrpeth-1m-2019-10-11.csv.gz"
XRP_TRADES = "xrpeth-trades-2019-10-11.csv.gz"

CANDLES_CSV = """ts,open,high,low,close,volume
2024-01-01 00:00:00+00:00,100.5,101.0,100.0,100.25,12.5
2024-01-01 00:01:00+00:00,100.25,100.75,99.5,99.75,3.0
2024-01-01 00:03:00+00:00,99.75,100.0,99.25,100.0,0.0
"""

TRADES_CSV = """ts_ms,trade_id,price,amount,side
1704067200000,10,100.5,1.0,buy
1704067200000,11,100.25,2.0,sell
1704067260500,12,100.0,0.5,buy
"""


def counts(dsn: str) -> dict[str, int]:
    """Row counts of every table (0 for a table that does not exist)."""
    conn = psycopg2.connect(dsn)
    out = {}
    try:
        with conn.cursor() as cur:
            for table in (
                "symbols",
                "candles",
                "trades",
                "volume_profile",
                "order_flow",
                "market_state",
            ):
                cur.execute("SELECT to_regclass(%s)", (f"public.{table}",))
                if cur.fetchone()[0] is None:
                    out[table] = 0
                else:
                    cur.execute(f"SELECT count(*) FROM {table}")
                    out[table] = cur.fetchone()[0]
    finally:
        conn.close()
    return out


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- real data round trip


@pytest.mark.realdata
def test_load_real_files_round_trip_to_the_last_digit(
    fresh_db: str, data_dir: Path, capsys
) -> None:
    candles_path, trades_path = data_dir / XRP_CANDLES, data_dir / XRP_TRADES
    code, out, err = run(
        capsys, "load", "candles", str(candles_path), "--symbol", "XRPETH", "--dsn", fresh_db
    )
    assert (code, err) == (0, "")
    assert "2,469 rows read" in out and "inserted 2,469, already present 0" in out
    assert "rows/s" in out
    code, out, err = run(
        capsys, "load", "trades", str(trades_path), "--symbol", "XRPETH", "--dsn", fresh_db
    )
    assert (code, err) == (0, "")
    assert "12,477 rows read" in out and "inserted 12,477, already present 0" in out

    conn = connect(fresh_db)
    try:
        with read_only(conn):
            symbol_id, tick = symbol_info(conn, "XRPETH")
            candles = read_candles(conn, symbol_id)
            trades = read_trades(conn, symbol_id)
        assert tick == 1e-8  # inferred from the candle prices
    finally:
        conn.close()

    expected = candles_frame(read_table(candles_path)).assign(buy_volume=np.nan)
    pd.testing.assert_frame_equal(candles, expected, check_exact=True)  # no buy_volume: NULL
    pd.testing.assert_frame_equal(trades, trades_frame(read_table(trades_path)), check_exact=True)

    # to the last digit: every value prints back as the text in the file
    text = pd.read_csv(candles_path, dtype=str)
    assert (candles.index.strftime("%Y-%m-%d %H:%M:%S+00:00") == text["ts"]).all()
    for col in ("open", "high", "low", "close", "volume"):
        assert [repr(v) for v in candles[col]] == text[col].tolist(), col
    text = pd.read_csv(trades_path, dtype=str)
    assert (trades["ts"].astype("int64") // 1_000_000).astype(str).tolist() == text[
        "ts_ms"
    ].tolist()
    assert trades["trade_id"].astype(str).tolist() == text["trade_id"].tolist()
    for col in ("price", "amount"):
        assert [repr(v) for v in trades[col]] == text[col].tolist(), col
    assert trades["side"].tolist() == text["side"].tolist()


@pytest.mark.realdata
def test_double_load_leaves_counts_unchanged(fresh_db: str, data_dir: Path, capsys) -> None:
    for kind, name in (("candles", XRP_CANDLES), ("trades", XRP_TRADES)):
        assert (
            run(
                capsys, "load", kind, str(data_dir / name), "--symbol", "XRPETH", "--dsn", fresh_db
            )[0]
            == 0
        )
    before = counts(fresh_db)
    assert before["candles"] == 2469 and before["trades"] == 12477 and before["symbols"] == 1
    code, out, _ = run(
        capsys,
        "load",
        "candles",
        str(data_dir / XRP_CANDLES),
        "--symbol",
        "XRPETH",
        "--dsn",
        fresh_db,
    )
    assert code == 0 and "inserted 0, already present 2,469" in out
    code, out, _ = run(
        capsys,
        "load",
        "trades",
        str(data_dir / XRP_TRADES),
        "--symbol",
        "XRPETH",
        "--dsn",
        fresh_db,
    )
    assert code == 0 and "inserted 0, already present 12,477" in out
    assert counts(fresh_db) == before


def test_overlapping_load_inserts_only_new_rows(fresh_db: str, tmp_path: Path, capsys) -> None:
    first = tmp_path / "first.csv"
    first.write_text("".join(CANDLES_CSV.splitlines(keepends=True)[:3]))
    full = tmp_path / "full.csv"
    full.write_text(CANDLES_CSV)
    assert run(capsys, "load", "candles", str(first), "--symbol", "X", "--dsn", fresh_db)[0] == 0
    code, out, _ = run(capsys, "load", "candles", str(full), "--symbol", "X", "--dsn", fresh_db)
    assert code == 0 and "inserted 1, already present 2" in out
    assert counts(fresh_db)["candles"] == 3


# ----------------------------------------------------------------------------- bad input


def _gz(path: Path, text: str) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    return path


BAD_CANDLES = {
    "nan price": (lambda t: t.replace("100.75", "NaN"), "high nan is not a finite number"),
    "high < low": (lambda t: t.replace(",100.75,99.5,", ",99.0,99.5,"), "high < low"),
    "duplicate ts": (lambda t: t.replace("00:03:00", "00:01:00"), "duplicate timestamp"),
    "unsorted": (lambda t: t.replace("00:03:00", "00:00:30"), "not sorted"),
    "naive tz": (lambda t: t.replace("+00:00", ""), "no timezone"),
}
BAD_TRADES = {
    "nan price": (lambda t: t.replace("100.25", "nan"), "price nan is not a finite number"),
    "unknown side": (lambda t: t.replace("sell", "short"), "side 'short' is not 'buy' or 'sell'"),
    "unsorted": (lambda t: t.replace("1704067260500", "1704067100000"), "out of time order"),
    "duplicate trade_id": (lambda t: t.replace(",11,", ",10,"), "duplicate trade_id 10"),
}


@pytest.mark.parametrize(
    ("kind", "edit", "problem"),
    [("candles", *v) for v in BAD_CANDLES.values()] + [("trades", *v) for v in BAD_TRADES.values()],
    ids=[f"candles-{k}" for k in BAD_CANDLES] + [f"trades-{k}" for k in BAD_TRADES],
)
def test_bad_file_exits_2_with_one_line_and_writes_nothing(
    fresh_db: str, tmp_path: Path, capsys, kind: str, edit, problem: str
) -> None:
    good_text = CANDLES_CSV if kind == "candles" else TRADES_CSV
    good = _gz(tmp_path / f"good-{kind}.csv.gz", good_text)
    bad = _gz(tmp_path / f"bad-{kind}.csv.gz", edit(good_text))
    assert run(capsys, "load", kind, str(good), "--symbol", "X", "--dsn", fresh_db)[0] == 0
    before = counts(fresh_db)
    assert before[kind] == 3

    code, out, err = run(capsys, "load", kind, str(bad), "--symbol", "X", "--dsn", fresh_db)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("parity: error: ") and "bad-" in lines[0]
    assert problem in lines[0].replace("np.float64(nan)", "nan"), lines[0]
    assert counts(fresh_db) == before
    # a bad file loaded into an empty database creates nothing at all
    code, _, _ = run(capsys, "load", kind, str(bad), "--symbol", "Y", "--dsn", fresh_db)
    assert code == 2 and counts(fresh_db) == before


def test_missing_file_exits_2(fresh_db: str, tmp_path: Path, capsys) -> None:
    code, _, err = run(
        capsys, "load", "candles", str(tmp_path / "nope.csv"), "--symbol", "X", "--dsn", fresh_db
    )
    assert code == 2
    assert err.strip() == f"parity: error: file not found: {tmp_path / 'nope.csv'}"
    assert counts(fresh_db)["symbols"] == 0


def test_column_mapping(fresh_db: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CANDLES_CSV.replace("ts,", "open_time,", 1).replace(",volume", ",vol", 1))
    code, _, err = run(capsys, "load", "candles", str(path), "--symbol", "X", "--dsn", fresh_db)
    assert code == 2 and "candles lack column ts" in err
    argv = ["load", "candles", str(path), "--symbol", "X", "--dsn", fresh_db]
    code, out, err = run(
        capsys, *argv, "--map", "open_time=ts", "--map", "vol=volume", "--tick-size", "0.25"
    )
    assert (code, err) == (0, "")
    assert "inserted 3" in out
    conn = connect(fresh_db)
    assert symbol_info(conn, "X")[1] == 0.25
    conn.close()


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://alice:s3cret@127.0.0.1:1/nodb",
        "host=127.0.0.1 port=1 user=alice password=s3cret dbname=nodb",
    ],
)
def test_unreachable_dsn_exits_2_without_the_password(tmp_path: Path, capsys, dsn: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CANDLES_CSV)
    code, out, err = run(capsys, "load", "candles", str(path), "--symbol", "X", "--dsn", dsn)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert "127.0.0.1" in err and "nodb" in err
    assert "s3cret" not in err


def test_unreachable_dsn_from_the_environment(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("PARITY_DSN", "postgresql://alice:s3cret@127.0.0.1:1/nodb")
    path = tmp_path / "t.csv"
    path.write_text(TRADES_CSV)
    code, _, err = run(capsys, "load", "trades", str(path), "--symbol", "X")
    assert code == 2 and "s3cret" not in err and "127.0.0.1" in err


# ----------------------------------------------------------------------------- store


@pytest.fixture
def conn(fresh_db: str):
    connection = connect(fresh_db)
    apply_schema(connection)
    connection.commit()
    yield connection
    connection.close()


def test_write_candles_round_trips_hard_floats_and_ranges(conn) -> None:
    rng = np.random.default_rng(7)
    n = 5000
    index = pd.date_range("2023-03-26 00:00", periods=n, freq="min", tz="UTC", name="ts")
    close = np.exp(rng.normal(0, 3, n))  # 17 significant digits, 1e-6 .. 1e6
    spread = rng.random(n) * close * 0.01
    frame = pd.DataFrame(
        {
            "open": close,
            "high": close + spread,
            "low": close - spread * 0.5,
            "close": close,
            "volume": np.where(rng.random(n) < 0.1, 0.0, rng.random(n) * 1e9),
        },
        index=index,
    )
    # the largest volume the calculators take (MAX_VOLUME), less one ulp: 17 digits
    frame.iloc[0] = [0.1 + 0.2, 0.1 + 0.2, 5e-324 * 3, 1e-300, float(np.nextafter(1e300, 0))]
    sid = ensure_symbol(conn, "SYN", 1e-12)
    assert write_candles(conn, sid, frame) == n
    conn.commit()
    back = read_candles(conn, sid)
    assert back.pop("buy_volume").isna().all()  # not given: unknown
    pd.testing.assert_frame_equal(
        back, frame.set_axis(index.as_unit("ns")), check_exact=True, check_freq=False
    )
    # start inclusive, end exclusive, any UTC offset
    part = read_candles(conn, sid, start=index[10], end="2023-03-26T02:20:00+02:00")
    assert part.index[0] == index[10] and part.index[-1] == index[19]
    assert read_candles(conn, sid, start=index[-1] + pd.Timedelta("1min")).empty
    with pytest.raises(ParityError, match="no timezone"):
        read_candles(conn, sid, start="2023-03-26 00:00")


def test_trade_times_keep_microseconds(conn) -> None:
    ts = pd.to_datetime(["2024-02-29 23:59:59.999999", "2024-03-01 00:00:00.000001"], utc=True)
    tape = pd.DataFrame(
        {
            "ts": ts,
            "trade_id": [1, 2],
            "price": [1.5, 1.5],
            "amount": [0.1, 0.2],
            "side": ["buy", "sell"],
        }
    )
    sid = ensure_symbol(conn, "T", 0.5)
    assert write_trades(conn, sid, tape) == 2
    back = read_trades(conn, sid)
    assert back["ts"].tolist() == ts.tolist()
    assert back["trade_id"].tolist() == [1, 2]


def test_store_functions_never_commit(fresh_db: str, conn) -> None:
    sid = ensure_symbol(conn, "X", 0.25)
    write_candles(conn, sid, candles_frame(pd.read_csv(pd.io.common.StringIO(CANDLES_CSV))))
    write_trades(conn, sid, trades_frame(pd.read_csv(pd.io.common.StringIO(TRADES_CSV))))
    assert counts(fresh_db)["candles"] == 0  # another session sees nothing yet
    conn.rollback()
    assert counts(fresh_db) == dict.fromkeys(counts(fresh_db), 0)


def test_empty_reads_have_the_right_columns(conn) -> None:
    sid = ensure_symbol(conn, "X", 1.0)
    candles = read_candles(conn, sid)
    assert candles.empty and list(candles.columns) == [
        "open",
        "high",
        "low",
        "close",
        "volume",
        "buy_volume",
    ]
    assert isinstance(candles.index, pd.DatetimeIndex) and str(candles.index.tz) == "UTC"
    trades = read_trades(conn, sid)
    assert trades.empty and list(trades.columns) == ["ts", "trade_id", "price", "amount", "side"]


def test_write_and_read_live_rows(conn) -> None:
    sid = ensure_symbol(conn, "X", 0.01)
    written = pd.to_datetime(
        ["2024-01-01 10:01:03", "2024-01-01 10:02:02.5", "2024-01-01 10:02:02.5"],
        utc=True,
        format="ISO8601",
    )
    volume_profile = pd.DataFrame(
        {
            "ts": written,
            "poc": [100.0, 100.01, 100.01],
            "vah": [101.0, 101.0, 101.0],
            "val": [99.0, 99.5, 99.5],
            "total_volume": [10.0, 12.5, 12.5],
            "bar": [1, 2, 2],
        }
    )
    order_flow = pd.DataFrame(
        {
            "ts": written[:2],
            "cumulative_delta": [5.0, -1.25],
            "buy_pressure": [62.5, 45.0],
            "sell_pressure": [37.5, 55.0],
            "cvd_momentum": [np.nan, 0.1 + 0.2],
            "buy_volume": [7.5, 5.0],
            "sell_volume": [2.5, 6.25],
        }
    )
    market_state = pd.DataFrame(
        {
            "ts": written[:2],
            "state": ["BALANCE", "IMBALANCE_UP"],
            "confidence": [70.0, 81.25],
            "distance_from_poc_pct": [0.01, 1.75],
            "momentum_score": [0.0, -0.5],
        }
    )
    assert write_live_rows(conn, sid, volume_profile, order_flow, market_state) == 7
    conn.commit()
    vp = read_live_rows(conn, "volume_profile", sid)
    assert len(vp) == 3  # the duplicate write is kept
    assert vp["ts"].tolist() == written.tolist()
    pd.testing.assert_frame_equal(
        vp.drop(columns=["id", "ts"]),
        volume_profile[["poc", "vah", "val", "total_volume"]],
        check_exact=True,
    )
    of = read_live_rows(conn, "order_flow", sid)
    assert np.isnan(of["cvd_momentum"].iloc[0]) and of["cvd_momentum"].iloc[1] == 0.1 + 0.2
    ms = read_live_rows(conn, "market_state", sid, start=written[1])
    assert ms["state"].tolist() == ["IMBALANCE_UP"] and ms["confidence"].tolist() == [81.25]
    with pytest.raises(ValueError, match="market_state rows lack column"):
        write_live_rows(conn, sid, volume_profile, order_flow, market_state.drop(columns="state"))
    with pytest.raises(ValueError, match="unknown live table"):
        read_live_rows(conn, "candles", sid)
