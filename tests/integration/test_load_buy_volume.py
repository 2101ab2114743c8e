"""Candles with the true aggressor-buy volume (``buy_volume``): the schema
column, its migration, the store, and the loader recipes of docs/schema.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pytest

from parity.cli import main
from parity.db.connect import connect, read_only
from parity.db.names import TableNames
from parity.db.schema import apply_schema, ensure_symbol, symbol_info
from parity.db.store import has_column, read_candles, write_candles
from parity.io.tables import CSV_EXACT_FLOATS

pytestmark = pytest.mark.postgres

#: The shared perpetual files that carry buy_volume (docs/schema.md recipe 1).
PERP_FILES = (
    "linkusdt-perp-1m-2023-02.csv.gz",
    "avaxusdt-perp-1m-2023-09.csv.gz",
    "dotusdt-perp-1m-2024-11.csv.gz",
)

# A Binance USD-M futures kline file as data.binance.vision ships it (raw
# column names, epoch-millisecond open times).  volume and taker_buy_volume
# are in the base asset, quote_volume and taker_buy_quote_volume in the quote.
BINANCE_KLINES = """open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore
1704067200000,42283.5,42303.0,42270.2,42289.6,120.5,1704067259999,5095000.25,1500,70.25,2970500.5,0
1704067260000,42289.6,42300.0,42250.0,42260.0,80.0,1704067319999,3381000.0,900,0,0,0
1704067320000,42260.0,42290.0,42255.5,42288.8,95.125,1704067379999,4020000.75,1100,95.125,4020000.75,0
"""

# A volumetric (footprint) bar export: bid and ask volume per bar; trades at
# the ask are the aggressive buys.
VOLUMETRIC = """Date Time,Open,High,Low,Last,Volume,Bid Volume,Ask Volume
2024-03-01 14:30:00-05:00,5100.25,5101.5,5099.75,5101.0,1250,600,650
2024-03-01 14:31:00-05:00,5101.0,5101.25,5100.0,5100.5,830,500,310
"""

GOOD = """ts,open,high,low,close,volume,buy_volume
2024-01-01 00:00:00+00:00,100.5,101.0,100.0,100.25,12.5,5.25
2024-01-01 00:01:00+00:00,100.25,100.75,99.5,99.75,3.0,
2024-01-01 00:03:00+00:00,99.75,100.0,99.25,100.0,0.0,0
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stored(dsn: str, symbol: str) -> pd.DataFrame:
    conn = connect(dsn)
    try:
        with read_only(conn):
            return read_candles(conn, symbol_info(conn, symbol)[0])
    finally:
        conn.close()


def candle_count(dsn: str) -> int:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('public.candles')")
            if cur.fetchone()[0] is None:
                return 0
            cur.execute("SELECT count(*) FROM candles")
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.realdata
@pytest.mark.parametrize("name", PERP_FILES)
def test_shared_perpetual_files_load_their_buy_volume_exactly(
    fresh_db: str, data_dir: Path, capsys, name: str
) -> None:
    path = data_dir / name
    code, _, err = run(capsys, "load", "candles", str(path), "--symbol", "P", "--dsn", fresh_db)
    assert (code, err) == (0, ""), err
    raw = pd.read_csv(path, **CSV_EXACT_FLOATS)
    back = stored(fresh_db, "P")
    assert len(back) == len(raw)
    np.testing.assert_array_equal(back["buy_volume"].to_numpy(), raw["buy_volume"].to_numpy())
    np.testing.assert_array_equal(back["volume"].to_numpy(), raw["volume"].to_numpy())
    assert (back["buy_volume"] <= back["volume"]).all() and (back["buy_volume"] >= 0).all()


def test_binance_klines_base_volume_recipe(fresh_db: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "BTCUSDT-1m-2024-01-01.csv"
    path.write_text(BINANCE_KLINES)
    code, _, err = run(
        capsys, "load", "candles", str(path), "--symbol", "BTCUSDT", "--dsn", fresh_db,
        "--map", "open_time=ts", "--map", "taker_buy_volume=buy_volume",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    back = stored(fresh_db, "BTCUSDT")
    assert back.index[0] == pd.Timestamp("2024-01-01T00:00Z")
    assert back["volume"].tolist() == [120.5, 80.0, 95.125]
    assert back["buy_volume"].tolist() == [70.25, 0.0, 95.125]


def test_binance_klines_quote_volume_recipe(fresh_db: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "BTCUSDT-1m-2024-01-01.csv"
    path.write_text(BINANCE_KLINES)
    code, _, err = run(
        capsys, "load", "candles", str(path), "--symbol", "BTCUSDT", "--dsn", fresh_db,
        "--map", "open_time=ts", "--map", "volume=base_volume", "--map", "quote_volume=volume",
        "--map", "taker_buy_quote_volume=buy_volume",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    back = stored(fresh_db, "BTCUSDT")
    assert back["volume"].tolist() == [5095000.25, 3381000.0, 4020000.75]
    assert back["buy_volume"].tolist() == [2970500.5, 0.0, 4020000.75]


def test_quote_buy_volume_over_a_base_volume_exits_2(fresh_db: str, tmp_path: Path, capsys) -> None:
    """The recipe pairs matter: a quote buy volume over a base volume exceeds it: exit 2."""
    path = tmp_path / "k.csv"
    path.write_text(BINANCE_KLINES)
    code, out, err = run(
        capsys, "load", "candles", str(path), "--symbol", "BTCUSDT", "--dsn", fresh_db,
        "--map", "open_time=ts", "--map", "taker_buy_quote_volume=buy_volume",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert "candle row 0" in err and "buy_volume 2970500.5 is not in [0, volume 120.5]" in err
    assert candle_count(fresh_db) == 0


def test_volumetric_export_recipe(fresh_db: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "ES-volumetric.csv"
    path.write_text(VOLUMETRIC)
    code, _, err = run(
        capsys, "load", "candles", str(path), "--symbol", "ES", "--tick-size", "0.25",
        "--dsn", fresh_db, "--map", "Date Time=ts", "--map", "Open=open", "--map", "High=high",
        "--map", "Low=low", "--map", "Last=close", "--map", "Volume=volume",
        "--map", "Ask Volume=buy_volume",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    back = stored(fresh_db, "ES")
    assert back.index[0] == pd.Timestamp("2024-03-01T19:30Z")
    assert back["buy_volume"].tolist() == [650.0, 310.0]


def test_missing_values_are_stored_as_unknown(fresh_db: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.csv"
    path.write_text(GOOD)
    assert run(capsys, "load", "candles", str(path), "--symbol", "X", "--dsn", fresh_db)[0] == 0
    back = stored(fresh_db, "X")
    assert back["buy_volume"].iloc[0] == 5.25
    assert np.isnan(back["buy_volume"].iloc[1])
    assert back["buy_volume"].iloc[2] == 0.0


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace(",5.25", ",-1"), "candle row 0 (2024-01-01 00:00:00+00:00): buy_volume -1.0 is not in [0, volume 12.5]"),
        (lambda t: t.replace(",5.25", ",12.6"), "candle row 0 (2024-01-01 00:00:00+00:00): buy_volume 12.6 is not in [0, volume 12.5]"),
        (lambda t: t.replace(",0.0,0", ",0.0,abc"), "candle row 2 (2024-01-01 00:03:00+00:00): buy_volume 'abc' is not a number"),
        (lambda t: t.replace(",5.25", ",inf"), "candle row 0"),
    ],
    ids=["negative", "above volume", "not numeric", "infinite"],
)  # fmt: skip
def test_bad_buy_volume_exits_2_naming_the_row_and_writes_nothing(
    fresh_db: str, tmp_path: Path, capsys, edit, problem: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(edit(GOOD))
    code, out, err = run(capsys, "load", "candles", str(path), "--symbol", "X", "--dsn", fresh_db)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error: ") and "bad.csv" in lines[0]
    assert problem in lines[0], lines[0]
    assert candle_count(fresh_db) == 0


def test_the_schema_refuses_buy_volume_outside_0_volume(fresh_db: str) -> None:
    conn = psycopg2.connect(fresh_db)
    try:
        apply_schema(conn)
        sid = ensure_symbol(conn, "X", 0.5)
        insert = (
            "INSERT INTO candles (symbol_id, ts, open, high, low, close, volume, buy_volume) "
            "VALUES (%s, %s, 1, 1, 1, 1, 2, %s)"
        )
        with conn.cursor() as cur:
            cur.execute(insert, (sid, "2024-01-01T00:00Z", None))
            cur.execute(insert, (sid, "2024-01-01T00:01Z", 2.0))
            for bad in (-0.5, 2.5):
                cur.execute("SAVEPOINT s")
                with pytest.raises(psycopg2.errors.CheckViolation):
                    cur.execute(insert, (sid, "2024-01-01T00:02Z", bad))
                cur.execute("ROLLBACK TO SAVEPOINT s")
    finally:
        conn.close()


def test_apply_schema_migrates_an_old_candles_table(fresh_db: str) -> None:
    conn = psycopg2.connect(fresh_db)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE symbols (id serial PRIMARY KEY, symbol text NOT NULL UNIQUE,"
                        " tick_size double precision NOT NULL CHECK (tick_size > 0))")  # fmt: skip
            cur.execute(
                "CREATE TABLE candles (symbol_id integer NOT NULL REFERENCES symbols (id), "
                "ts timestamptz NOT NULL, open double precision NOT NULL, high double precision "
                "NOT NULL, low double precision NOT NULL, close double precision NOT NULL, "
                "volume double precision NOT NULL, PRIMARY KEY (symbol_id, ts))"
            )
            cur.execute("INSERT INTO symbols (symbol, tick_size) VALUES ('OLD', 0.5) RETURNING id")
            sid = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO candles VALUES (%s, '2024-01-01T00:00Z', 1, 1, 1, 1, 3)", (sid,)
            )
        conn.commit()
        assert not has_column(conn, TableNames("candles"), "buy_volume")
        old = read_candles(conn, sid)
        assert "buy_volume" not in old.columns and len(old) == 1  # an old database still reads
        apply_schema(conn)
        apply_schema(conn)  # idempotent
        conn.commit()
        assert has_column(conn, TableNames("candles"), "buy_volume")
        back = read_candles(conn, sid)
        assert np.isnan(back["buy_volume"].iloc[0])  # old rows: unknown
        frame = pd.DataFrame(
            {"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0], "volume": [3.0],
             "buy_volume": [1.5]},
            index=pd.DatetimeIndex([pd.Timestamp("2024-01-01T00:01Z")]),
        )  # fmt: skip
        assert write_candles(conn, sid, frame) == 1
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.CheckViolation):
            cur.execute(
                "INSERT INTO candles VALUES (%s, '2024-01-01T00:02Z', 1, 1, 1, 1, 3, 4)", (sid,)
            )
    finally:
        conn.close()


def test_binance_spot_klines_in_microseconds(fresh_db: str, tmp_path: Path, capsys) -> None:
    """Binance spot files from 2025 on give open_time in epoch microseconds."""
    lines = BINANCE_KLINES.splitlines()
    micro = [lines[0]] + [
        f"{int(row.split(',')[0]) * 1000},{row.split(',', 1)[1]}" for row in lines[1:]
    ]
    path = tmp_path / "BTCUSDT-1m-2025-01-01.csv"
    path.write_text("\n".join(micro) + "\n")
    argv = ["load", "candles", str(path), "--symbol", "BTCUSDT", "--dsn", fresh_db,
            "--map", "open_time=ts", "--map", "taker_buy_volume=buy_volume"]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert (code, err) == (0, ""), err
    back = stored(fresh_db, "BTCUSDT")
    first = pd.Timestamp("2024-01-01T00:00Z")
    assert list(back.index) == [first + pd.Timedelta(minutes=k) for k in range(3)]
    # one row in milliseconds among microseconds: bad input naming the row
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("\n".join([*micro[:2], lines[2], micro[3]]) + "\n")
    code, out, err = run(capsys, *[mixed.as_posix() if a == str(path) else a for a in argv])
    assert code == 2 and out == "" and "candle row 1" in err and "one unit" in err
