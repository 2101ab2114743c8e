"""Bad files given to ``parity load`` (issue 8, parts 2-4 and 6).

Each file is refused before the database is touched: exit 2, one line naming
the problem (the row, where there is one), no table changed, nothing written
beside the file.  Extreme numbers (1e19, 1e300, subnormal prices, a volume
total that overflows) are refused by the load, never crash a later backtest.
"""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import pandas as pd
import pytest
from reliability_helpers import assert_refused, checksums, cli, tree

HEADER = "ts,open,high,low,close,volume\n"
GOOD_ROWS = [
    "2025-01-01T00:00:00Z,100,101,99,100.5,3",
    "2025-01-01T00:01:00Z,100.5,102,100,101,2",
    "2025-01-01T00:02:00Z,101,101.5,100.5,101,4",
]


def _csv(rows: list[str]) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


def _with(row: int, column: str, value: str) -> str:
    """The good CSV with one cell replaced."""
    names = HEADER.strip().split(",")
    rows = [r.split(",") for r in GOOD_ROWS]
    rows[row][names.index(column)] = value
    return _csv([",".join(r) for r in rows])


def _corrupt(compress, data: bytes) -> bytes:
    blob = bytearray(compress(data * 200))
    middle = len(blob) // 2
    blob[middle : middle + 16] = b"\x00\xff" * 8
    return bytes(blob)


def _parquet(path: Path, volume) -> None:
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2025-01-01", periods=3, freq="1min", tz="UTC"),
            "open": [100.0, 100.5, 101.0],
            "high": [101.0, 102.0, 101.5],
            "low": [99.0, 100.0, 100.5],
            "close": [100.5, 101.0, 101.0],
            "volume": volume,
        }
    )
    frame.to_parquet(path)


#: name -> (kind, file name, how to write it, words the message must contain)
CASES = {
    "corrupt-gz": (
        "candles", "c.csv.gz",
        lambda p: p.write_bytes(_corrupt(gzip.compress, _csv(GOOD_ROWS).encode())), "cannot read",
    ),
    "corrupt-xz": (
        "candles", "c.csv.xz",
        lambda p: p.write_bytes(_corrupt(lzma.compress, _csv(GOOD_ROWS).encode())), "cannot read",
    ),
    "not-gzip-at-all": ("candles", "c.csv.gz", lambda p: p.write_bytes(b"plain text"), "cannot read"),
    "corrupt-trades-gz": (
        "trades", "t.csv.gz",
        lambda p: p.write_bytes(_corrupt(gzip.compress, b"ts_ms,price,amount,side\n1,1,1,buy\n")),
        "cannot read",
    ),
    "header-only": ("candles", "c.csv", lambda p: p.write_text(HEADER), "no rows"),
    "header-only-trades": (
        "trades", "t.csv", lambda p: p.write_text("ts_ms,price,amount,side\n"), "no rows",
    ),
    "empty-file": ("candles", "c.csv", lambda p: p.write_text(""), "empty"),
    "off-minute": (
        "candles", "c.csv", lambda p: p.write_text(_with(1, "ts", "2025-01-01T00:01:30Z")),
        "whole minute",
    ),
    "naive-time": (
        "candles", "c.csv", lambda p: p.write_text(_with(0, "ts", "2025-01-01 00:00:00")),
        "timezone",
    ),
    "duplicate-time": (
        "candles", "c.csv", lambda p: p.write_text(_with(1, "ts", "2025-01-01T00:00:00Z")),
        "duplicate",
    ),
    "nan-price": ("candles", "c.csv", lambda p: p.write_text(_with(2, "close", "nan")), "row 2"),
    "text-volume": ("candles", "c.csv", lambda p: p.write_text(_with(1, "volume", "lots")), "row 1"),
    "high-below-low": ("candles", "c.csv", lambda p: p.write_text(_with(0, "high", "98")), "row 0"),
    "high-1e15": ("candles", "c.csv", lambda p: p.write_text(_with(1, "high", "1e15")), "row 1"),
    "high-1e19": ("candles", "c.csv", lambda p: p.write_text(_with(1, "high", "1e19")), "row 1"),
    "high-1e300": ("candles", "c.csv", lambda p: p.write_text(_with(2, "high", "1e300")), "row 2"),
    "subnormal-prices": (
        "candles", "c.csv",
        lambda p: p.write_text(_csv(["2025-01-01T00:00:00Z,5e-324,5e-324,5e-324,5e-324,1"])),
        "too small",
    ),
    "volume-overflow": (
        "candles", "c.csv",
        lambda p: p.write_text(_with(2, "volume", "1.7e308").replace(",3\n", ",1.7e308\n", 1)),
        "is above 1e+300",
    ),
    "trade-price-1e20": (
        "trades", "t.csv",
        lambda p: p.write_text("ts_ms,price,amount,side\n1735689600000,1e20,1,buy\n1735689601000,1,1,buy\n"),
        "row 1",
    ),
    "trade-bad-side": (
        "trades", "t.csv",
        lambda p: p.write_text("ts_ms,price,amount,side\n1735689600000,1,1,up\n"), "side",
    ),
    "parquet-bool-volume": (
        "candles", "c.parquet", lambda p: _parquet(p, [True, False, True]), "not a number",
    ),
    "parquet-text-volume": (
        "candles", "c.parquet", lambda p: _parquet(p, ["1", "x", "2"]), "row 1",
    ),
    "parquet-time-volume": (
        "candles", "c.parquet",
        lambda p: _parquet(p, pd.date_range("2025-01-01", periods=3, tz="UTC")), "not a number",
    ),
    "garbage-parquet": ("candles", "c.parquet", lambda p: p.write_bytes(b"PAR1garbage"), "cannot read"),
    "unknown-suffix": ("candles", "c.txt", lambda p: p.write_text(_csv(GOOD_ROWS)), "unknown file type"),
    "missing-column": (
        "candles", "c.csv", lambda p: p.write_text(_csv(GOOD_ROWS).replace("volume", "vol")),
        "volume",
    ),
    "missing-file": ("candles", "absent.csv", lambda p: None, "not found"),
    "a-directory": ("candles", "adir.csv", lambda p: p.mkdir(), "directory"),
}  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_refused(case, world, sandbox, capsys):
    kind, name, write, word = CASES[case]
    path = sandbox / name
    write(path)
    before_tree, before_sums = tree(sandbox), checksums(world)
    code, _, err = cli(["load", kind, path, "--symbol", "NEW-SYM", "--dsn", world], capsys)
    assert_refused(
        code,
        err,
        word,
        sandbox=sandbox,
        before_tree=before_tree,
        dsn=world,
        before_sums=before_sums,
    )


@pytest.mark.postgres
def test_bad_column_mapping_is_refused(world, sandbox, capsys):
    path = sandbox / "c.csv"
    path.write_text(_csv(GOOD_ROWS))
    before_tree, before_sums = tree(sandbox), checksums(world)
    code, _, err = cli(
        ["load", "candles", path, "--symbol", "X", "--map", "nope", "--dsn", world], capsys
    )
    assert_refused(code, err, "nope", sandbox=sandbox, before_tree=before_tree, dsn=world,
                   before_sums=before_sums)  # fmt: skip
