"""Shared hypothesis strategies and small helpers of the calculators' tests.

Import as ``from strategies import ...`` (pytest puts ``tests/`` on the path
because ``tests/conftest.py`` lives there).

Prices are drawn as whole numbers of ticks and multiplied by the tick, so
``low <= open, close <= high`` holds exactly after the multiplication
(multiplying by a positive constant is monotone in floating point).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from calculators import OUTPUT_COLUMNS, Params

MINUTE = pd.Timedelta(minutes=1)
T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")

SPREADS = ("close", "uniform", "typical", "path")
RULES = ("single", "pair")
ESTIMATORS = ("clr", "tick", "bvc_normal", "bvc_t", "path", "tick_bvc")

#: Minutes between consecutive bars: mostly 1, sometimes a gap (some longer than an hour).
_STEPS = st.sampled_from([1, 1, 1, 1, 1, 1, 2, 3, 7, 30, 59, 60, 61, 150])


def frame(rows: list[tuple[float, float, float, float, float]], minutes=None) -> pd.DataFrame:
    """Candles ``(open, high, low, close, volume)`` on a UTC minute index from `T0`
    (``minutes``: the bars' minute offsets; default 0, 1, 2, ...)."""
    minutes = list(range(len(rows))) if minutes is None else list(minutes)
    index = pd.DatetimeIndex([T0 + m * MINUTE for m in minutes], name="ts").as_unit("ns")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume"], index=index)


def candle_dicts(candles: pd.DataFrame) -> list[dict]:
    """Candles as the per-timestamp API takes them: dicts with ``ts`` (and
    ``buy_volume`` when the frame has it)."""
    cols = ["open", "high", "low", "close", "volume"]
    if "buy_volume" in candles.columns:
        cols.append("buy_volume")
    return [
        {"ts": ts, **{c: float(v) for c, v in zip(cols, row, strict=True)}}
        for ts, row in zip(candles.index, candles[cols].to_numpy(), strict=True)
    ]


def read_candles(path: Path) -> pd.DataFrame:
    """A candle file of the real data as a frame on a UTC index (exact floats)."""
    major, minor = (int(p) for p in pd.__version__.split(".")[:2])
    exact = {} if (major, minor) >= (3, 1) else {"float_precision": "round_trip"}
    raw = pd.read_csv(path, **exact)
    index = pd.DatetimeIndex(pd.to_datetime(raw.pop("ts"), utc=True), name="ts").as_unit("ns")
    raw.index = index
    return raw[["open", "high", "low", "close", "volume"]].astype("float64")


def stream_frame(calc, dicts: list[dict], index: pd.DatetimeIndex) -> pd.DataFrame:
    """The rows `StreamingCalculator.update` returns for ``dicts``, as a frame."""
    rows = [calc.update(d) for d in dicts]
    assert all(list(r) == list(OUTPUT_COLUMNS) for r in rows)
    return pd.DataFrame(rows, index=index, columns=list(OUTPUT_COLUMNS))


def assert_bit_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Every float column identical bit for bit (NaN where NaN), states equal."""
    for col in OUTPUT_COLUMNS:
        if col == "state":
            assert got[col].tolist() == want[col].tolist()
            continue
        a = got[col].to_numpy(np.float64)
        b = want[col].to_numpy(np.float64)
        same = (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))
        assert same.all(), (col, np.flatnonzero(~same)[:3], a[~same][:3], b[~same][:3])


@st.composite
def tick_paths(draw, min_size: int = 1, max_size: int = 30, max_move: int = 6):
    """Candles as whole ticks: a list of ``(open, high, low, close)`` int tuples, a
    random walk with ranges, starting between 1,000 and 100,000 ticks."""
    n = draw(st.integers(min_size, max_size))
    price = draw(st.integers(1_000, 100_000))
    out = []
    for _ in range(n):
        open_ = price + draw(st.integers(-2, 2))
        close = open_ + draw(st.integers(-max_move, max_move))
        high = max(open_, close) + draw(st.integers(0, max_move))
        low = min(open_, close) - draw(st.integers(0, max_move))
        out.append((open_, high, low, close))
        price = close
    return out


volumes = st.one_of(
    st.integers(0, 500).map(float),
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def candle_frames(
    draw,
    min_size: int = 1,
    max_size: int = 30,
    ticks=(0.01, 0.25, 1.0, 1e-8, 0.5),
    gaps: bool = True,
    volume=volumes,
):
    """A valid candle DataFrame (UTC minute index, possibly with gaps)."""
    tick = draw(st.sampled_from(ticks))
    path = draw(tick_paths(min_size, max_size))
    n = len(path)
    steps = draw(st.lists(_STEPS if gaps else st.just(1), min_size=n, max_size=n))
    minutes = np.cumsum([0, *steps[1:]])
    vols = draw(st.lists(volume, min_size=n, max_size=n))
    rows = [
        (o * tick, h * tick, lo * tick, c * tick, v)
        for (o, h, lo, c), v in zip(path, vols, strict=True)
    ]
    return frame(rows, minutes)


@st.composite
def params(draw, row_size: bool = False, **fixed):
    """A `Params` with the calculators' knobs drawn (``fixed`` pins some).

    ``row_size=True`` may draw an explicit row size of 1.0 (only use it with
    candles whose lows are above 1.0); by default the automatic row size."""
    values = {
        "value_area_rule": draw(st.sampled_from(RULES)),
        "volume_spread": draw(st.sampled_from(SPREADS)),
        "flow_estimator": draw(st.sampled_from(ESTIMATORS)),
        "value_area_pct": draw(st.sampled_from([50.0, 68.27, 70.0, 85.0, 100.0])),
        "lookback_period": draw(st.sampled_from([1, 5, 15, 60, 90])),
        "cvd_momentum_buckets": draw(st.sampled_from([1, 3, 5, 20])),
        "atr_period": draw(st.sampled_from([1, 3, 14])),
        "bvc_df": draw(st.sampled_from([0.25, 1.0, 5.0])),
        "flow_gain": draw(st.sampled_from([1.0, 1.0, 0.5, 2.0, 3.0])),
        "poc_distance_threshold": draw(st.sampled_from([0.01, 0.5, 1.5])),
        "momentum_threshold": draw(st.sampled_from([0.01, 0.3, 1.5])),
        "cvd_pressure_threshold": draw(st.sampled_from([1.0, 15.0, 60.0])),
    }
    if row_size:
        values["row_size"] = draw(st.sampled_from([None, 1.0]))
    values.update(fixed)
    return Params(**values)
