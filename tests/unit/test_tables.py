"""`parity.io.tables`: reading files, column mapping, candles/trades frames."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calculators import InvalidInputError
from parity.db.schema import infer_tick_size
from parity.errors import ParityError
from parity.io.tables import (
    SYNTHETIC_ID_STRIDE,
    candles_frame,
    parse_column_map,
    read_table,
    trades_frame,
)

CANDLES_CSV = """ts,open,high,low,close,volume
2024-01-01 00:00:00+00:00,100.5,101.0,100.0,100.25,12.5
2024-01-01 00:01:00+00:00,100.25,100.75,99.5,99.75,3.0
2024-01-01 00:03:00+00:00,99.75,100.0,99.25,100.0,0.0
"""

TRADES_CSV = """ts_ms,trade_id,price,amount,side
1704067200000,10,100.5,1.0,buy
1704067200000,11,100.25,2.0,sell
1704067260500,12,100.0,0.5,BUY
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


# ----------------------------------------------------------------------------- read_table


@pytest.mark.parametrize("name", ["c.csv", "c.csv.gz", "c.parquet"])
def test_read_table_by_suffix(tmp_path: Path, name: str) -> None:
    if name.endswith(".parquet"):
        path = tmp_path / name
        pd.read_csv(write(tmp_path, "src.csv", CANDLES_CSV)).to_parquet(path)
    else:
        path = write(tmp_path, name, CANDLES_CSV)
    frame = read_table(path)
    assert list(frame.columns) == ["ts", "open", "high", "low", "close", "volume"]
    assert len(frame) == 3
    assert frame["close"].tolist() == [100.25, 99.75, 100.0]


def test_read_table_parses_floats_exactly(tmp_path: Path) -> None:
    values = [
        0.1 + 0.2,
        1 / 3,
        0.0015784500000000001,
        46319.123456789,
        5e-324,
        1.7976931348623157e308,
    ]
    text = "x\n" + "\n".join(repr(v) for v in values) + "\n"
    got = read_table(write(tmp_path, "x.csv", text))["x"].to_numpy()
    assert got.tolist() == values


def test_read_table_renames_with_a_mapping(tmp_path: Path) -> None:
    text = CANDLES_CSV.replace("ts,", "open_time,", 1).replace(",volume", ",vol", 1)
    frame = read_table(write(tmp_path, "c.csv", text), {"open_time": "ts", "vol": "volume"})
    assert list(frame.columns) == ["ts", "open", "high", "low", "close", "volume"]


def test_read_table_mapping_of_an_absent_column(tmp_path: Path) -> None:
    with pytest.raises(ParityError, match="no column 'open_time'"):
        read_table(write(tmp_path, "c.csv", CANDLES_CSV), {"open_time": "ts"})


def test_read_table_mapping_that_duplicates_a_column(tmp_path: Path) -> None:
    with pytest.raises(ParityError, match="appears twice"):
        read_table(write(tmp_path, "c.csv", CANDLES_CSV), {"close": "open"})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParityError, match=r"file not found: .*nope\.csv"):
        read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("bad.csv.gz", b"this is not gzip", r"cannot read .*bad\.csv\.gz"),
        ("bad.parquet", b"PAR1 nonsense", r"cannot read .*bad\.parquet"),
        ("empty.csv", b"", r"empty\.csv: the file is empty"),
        ("c.txt", b"a,b\n1,2\n", r"c\.txt: unknown file type"),
    ],
)
def test_unreadable_files_name_the_file(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ParityError, match=match):
        read_table(path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ParityError, match="is a directory"):
        read_table(tmp_path)


def test_parse_column_map() -> None:
    assert parse_column_map(["open_time=ts", " vol = volume "]) == {
        "open_time": "ts",
        "vol": "volume",
    }
    assert parse_column_map(None) == {}
    for bad in ("open_time", "=ts", "open_time="):
        with pytest.raises(ParityError, match="bad column mapping"):
            parse_column_map([bad])


# ----------------------------------------------------------------------------- candles


def test_candles_frame(tmp_path: Path) -> None:
    frame = candles_frame(read_table(write(tmp_path, "c.csv", CANDLES_CSV)))
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index.name == "ts"
    assert frame.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(frame[c].dtype == np.float64 for c in frame.columns)


def test_candles_frame_converts_other_offsets_to_utc(tmp_path: Path) -> None:
    text = CANDLES_CSV.replace("2024-01-01 00:01:00+00:00", "2024-01-01T02:01:00+02:00")
    frame = candles_frame(read_table(write(tmp_path, "c.csv", text)))
    assert frame.index[1] == pd.Timestamp("2024-01-01 00:01", tz="UTC")


def test_candles_frame_accepts_z_suffix_and_epoch_ms() -> None:
    iso = pd.DataFrame(
        {
            "ts": ["2024-01-01T00:00:00Z"],
            "open": [1.0],
            "high": [1.0],
            "low": [1.0],
            "close": [1.0],
            "volume": [0.0],
        }
    )
    ms = iso.assign(ts=[1704067200000])
    assert candles_frame(iso).index.equals(candles_frame(ms).index)


def test_candles_frame_on_the_real_file(data_dir: Path) -> None:
    frame = candles_frame(read_table(data_dir / "xrpeth-1m-2019-10-11.csv.gz"))
    assert len(frame) == 2469
    assert frame.index[0] == pd.Timestamp("2019-10-11 00:00", tz="UTC")
    assert frame["open"].iloc[0] == 0.00141342


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda t: t.replace("100.75", "nan"),
            r"candle row 1 .*high .*nan.* is not a finite number",
        ),
        (lambda t: t.replace(",100.75,99.5,", ",99.0,99.5,"), r"candle row 1 .*high < low"),
        (lambda t: t.replace("00:03:00", "00:01:00"), r"candle row 2 .*duplicate timestamp"),
        (lambda t: t.replace("00:03:00", "00:00:30"), r"candle row 2 .*not sorted"),
        (lambda t: t.replace("+00:00", ""), r"no timezone"),
        (
            lambda t: t.replace("2024-01-01 00:01:00+00:00", "2024-01-01 00:01:00"),
            r"candle row 1: .*no timezone offset",
        ),
        (
            lambda t: t.replace("2024-01-01 00:01:00+00:00", "yesterday"),
            r"candle row 1: ts 'yesterday' is not an ISO-8601 time",
        ),
        (lambda t: t.replace("ts,", "time,", 1), r"candles lack column ts"),
        (lambda t: t.replace(",volume", ",vol", 1), r"candles lack column\(s\) volume"),
    ],
)
def test_bad_candles_name_the_problem(tmp_path: Path, edit, match: str) -> None:
    raw = read_table(write(tmp_path, "c.csv", edit(CANDLES_CSV)))
    with pytest.raises(InvalidInputError, match=match):
        candles_frame(raw)


# ----------------------------------------------------------------------------- trades


def test_trades_frame(tmp_path: Path) -> None:
    tape = trades_frame(read_table(write(tmp_path, "t.csv", TRADES_CSV)))
    assert list(tape.columns) == ["ts", "trade_id", "price", "amount", "side"]
    assert str(tape["ts"].dt.tz) == "UTC"
    assert tape["ts"].iloc[2] == pd.Timestamp("2024-01-01 00:01:00.500", tz="UTC")
    assert tape["trade_id"].tolist() == [10, 11, 12]
    assert tape["trade_id"].dtype == np.int64
    assert tape["side"].tolist() == ["buy", "sell", "buy"]


def test_trades_frame_numbers_trades_without_ids_deterministically(tmp_path: Path) -> None:
    text = "\n".join(
        ",".join(line.split(",")[:1] + line.split(",")[2:]) for line in TRADES_CSV.splitlines()
    )
    raw = read_table(write(tmp_path, "t.csv", text + "\n"))
    assert "trade_id" not in raw.columns
    first, again = trades_frame(raw), trades_frame(raw.copy())
    ms = 1704067200000
    assert first["trade_id"].tolist() == [
        ms * SYNTHETIC_ID_STRIDE,
        ms * SYNTHETIC_ID_STRIDE + 1,
        (ms + 60500) * SYNTHETIC_ID_STRIDE,
    ]
    assert first["trade_id"].tolist() == again["trade_id"].tolist()


def test_trades_frame_with_iso_ts(tmp_path: Path) -> None:
    text = "ts,price,amount,side\n2024-01-01T00:00:00.250Z,1.5,2.0,sell\n"
    tape = trades_frame(read_table(write(tmp_path, "t.csv", text)))
    assert tape["ts"].iloc[0] == pd.Timestamp("2024-01-01 00:00:00.250", tz="UTC")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda t: t.replace("100.25", ""), r"trade row 1 .*price .*not a finite number"),
        (
            lambda t: t.replace("sell", "short"),
            r"trade row 1 .*side 'short' is not 'buy' or 'sell'",
        ),
        (lambda t: t.replace("1704067260500", "1704067100000"), r"trade row 2 .*out of time order"),
        (lambda t: t.replace(",11,", ",10,"), r"trade row 1 .*duplicate trade_id 10"),
        (lambda t: t.replace(",11,", ",x,"), r"trade row 1 .*trade_id 'x' is not an integer"),
        (
            lambda t: t.replace("1704067260500", "soon"),
            r"trade row 2: ts_ms 'soon' is not integer milliseconds",
        ),
        (lambda t: t.replace("ts_ms,", "time,", 1), r"trades lack a time column"),
        (lambda t: t.replace("2.0", "-2.0"), r"trade row 1 .*amount .*-2\.0.* is not > 0"),
    ],
)
def test_bad_trades_name_the_problem(tmp_path: Path, edit, match: str) -> None:
    raw = read_table(write(tmp_path, "t.csv", edit(TRADES_CSV)))
    with pytest.raises(InvalidInputError, match=match):
        trades_frame(raw)


def test_trades_frame_refuses_naive_iso_times(tmp_path: Path) -> None:
    text = "ts,price,amount,side\n2024-01-01 00:00:00,1.5,2.0,sell\n"
    with pytest.raises(InvalidInputError, match="no timezone"):
        trades_frame(read_table(write(tmp_path, "t.csv", text)))


def test_trades_frame_on_the_real_file(data_dir: Path) -> None:
    tape = trades_frame(read_table(data_dir / "xrpeth-trades-2019-10-11.csv.gz"))
    assert len(tape) == 12477
    assert tape["trade_id"].is_unique
    assert set(tape["side"]) == {"buy", "sell"}


# ----------------------------------------------------------------------------- tick size


@pytest.mark.parametrize(
    ("prices", "tick"),
    [
        ([0.00141342, 0.0014], 1e-8),
        ([46319.0, 46320.0], 1.0),
        ([46300.0, 46400.0], 100.0),
        ([46319.0, 46320.5], 0.1),
        ([126.35, 126.4], 0.01),
        ([0.0015784500000000001, 0.00157845], 1e-8),  # float noise is not a digit
        ([0.1 + 0.2], 0.1),
        ([61800.3, 61800.4], 0.1),
    ],
)
def test_infer_tick_size(prices: list[float], tick: float) -> None:
    assert infer_tick_size(np.array(prices)) == tick


@pytest.mark.parametrize("prices", [[], [0.0], [np.nan], [0.1234567891234567]])
def test_infer_tick_size_refuses(prices: list[float]) -> None:
    with pytest.raises(ParityError, match="tick size"):
        infer_tick_size(np.array(prices, dtype=float))
