"""Bad input is refused with `InvalidInputError` naming the row or key; gaps are
accepted and windows run by wall clock; `Params` is validated and frozen."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from strategies import T0, candle_dicts, frame

from calculators import (
    OUTPUT_COLUMNS,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
    InvalidInputError,
    Params,
    compute,
    validate_candles,
)

GOOD = [
    (100.0, 101.0, 99.0, 100.5, 10.0),
    (100.5, 102.0, 100.0, 101.5, 20.0),
    (101.5, 101.5, 100.5, 101.0, 5.0),
    (101.0, 103.0, 101.0, 102.0, 8.0),
    (102.0, 102.5, 101.0, 101.5, 12.0),
]


def with_row(i: int, **changes) -> pd.DataFrame:
    candles = frame(GOOD)
    for col, value in changes.items():
        candles.iloc[i, candles.columns.get_loc(col)] = value
    return candles


BAD_ROWS = [
    pytest.param(3, {"open": math.nan}, "open", id="nan-open"),
    pytest.param(2, {"high": math.inf}, "high", id="inf-high"),
    pytest.param(4, {"low": -math.inf}, "low", id="minus-inf-low"),
    pytest.param(1, {"close": math.nan}, "close", id="nan-close"),
    pytest.param(3, {"volume": math.nan}, "volume", id="nan-volume"),
    pytest.param(2, {"volume": -1.0}, "volume", id="negative-volume"),
    pytest.param(4, {"high": 100.0, "low": 101.5}, "high < low", id="high-below-low"),
    pytest.param(1, {"open": 103.0}, "open", id="open-above-high"),
    pytest.param(3, {"open": 100.0}, "open", id="open-below-low"),
    pytest.param(2, {"close": 99.0}, "close", id="close-below-low"),
    pytest.param(4, {"close": 103.0}, "close", id="close-above-high"),
    pytest.param(0, {"open": 0.0, "low": 0.0}, "low", id="zero-price"),
]


@pytest.mark.parametrize(("row", "changes", "word"), BAD_ROWS)
def test_bad_candle_names_its_row(row, changes, word):
    candles = with_row(row, **changes)
    for call in (validate_candles, compute):
        with pytest.raises(InvalidInputError) as info:
            call(candles)
        message = str(info.value)
        assert f"row {row} " in message, message
        assert word in message, message
    # and through the per-timestamp API (candle dicts)
    with pytest.raises(InvalidInputError, match=f"row {row} "):
        BacktestVolumeProfileCalculator().calculate_profile(candle_dicts(candles))


def test_first_offending_row_is_named():
    candles = frame(GOOD)
    candles.iloc[3, candles.columns.get_loc("volume")] = -2.0
    candles.iloc[1, candles.columns.get_loc("volume")] = -1.0
    with pytest.raises(InvalidInputError, match="row 1 "):
        compute(candles)


def test_duplicate_timestamp_names_its_row():
    candles = frame(GOOD, [0, 1, 2, 2, 3])
    with pytest.raises(InvalidInputError, match=r"row 3 .*duplicate"):
        compute(candles)


def test_unsorted_timestamps_name_the_row():
    candles = frame(GOOD, [0, 1, 5, 3, 6])
    with pytest.raises(InvalidInputError, match=r"row 3 .*not sorted"):
        compute(candles)


def test_unsorted_candle_dicts_name_the_row():
    dicts = candle_dicts(frame(GOOD))
    dicts[2], dicts[3] = dicts[3], dicts[2]
    with pytest.raises(InvalidInputError, match=r"row 3 .*not sorted"):
        BacktestVolumeProfileCalculator().calculate_profile(dicts)


def test_naive_timezone_refused():
    candles = frame(GOOD)
    candles.index = candles.index.tz_localize(None)
    with pytest.raises(InvalidInputError, match="naive"):
        compute(candles)


def test_other_timezone_is_converted():
    candles = frame(GOOD)
    shifted = candles.copy()
    shifted.index = shifted.index.tz_convert("America/New_York")
    pd.testing.assert_frame_equal(
        compute(shifted).reset_index(drop=True), compute(candles).reset_index(drop=True)
    )


@pytest.mark.parametrize("column", ["open", "high", "low", "close", "volume"])
def test_missing_column_named(column):
    candles = frame(GOOD).drop(columns=[column])
    with pytest.raises(InvalidInputError, match=column):
        compute(candles)


def test_missing_key_in_candle_dicts_named():
    dicts = candle_dicts(frame(GOOD))
    del dicts[2]["volume"]
    with pytest.raises(InvalidInputError, match="volume"):
        BacktestVolumeProfileCalculator().calculate_profile(dicts)


def test_not_a_datetime_index():
    candles = frame(GOOD).reset_index(drop=True)
    with pytest.raises(InvalidInputError, match="DatetimeIndex"):
        compute(candles)


def test_non_numeric_price_names_row():
    candles = frame(GOOD).astype({"close": object})
    candles.iloc[2, candles.columns.get_loc("close")] = "abc"
    with pytest.raises(InvalidInputError, match=r"row 2 .*close"):
        compute(candles)


def test_row_size_not_below_the_lowest_price():
    with pytest.raises(InvalidInputError, match="row_size"):
        compute(frame(GOOD), Params(row_size=99.0))


def test_too_many_rows_refused():
    # a window from 99 to 103 on rows of 1e-6: 4,000,001 rows > 2,000,000
    with pytest.raises(InvalidInputError, match="row_size"):
        compute(frame(GOOD), Params(row_size=1e-6))


# --- gaps are data: windows by wall clock ---------------------------------------------------


def gap_candles():
    # bars at minutes 0..9 (volume 1, price ~100) and 69..73 (volume 10, price ~200)
    early = [(100.0, 100.5, 99.5, 100.0, 1.0)] * 10
    late = [(200.0, 201.0, 199.0, 200.5, 10.0)] * 5
    return frame(early + late, [*range(10), *range(69, 74)])


def test_gap_window_by_wall_clock():
    candles = gap_candles()
    out = compute(candles, Params(lookback_period=60))
    # bar at minute 69: window (9, 69] -> only itself (the bar at minute 9 opened
    # exactly 60 minutes earlier and is out): volume 10, momentum from its own open
    at69 = out.iloc[10]
    assert at69["total_volume"] == 10.0
    assert at69["momentum_score"] == pytest.approx(0.25, rel=1e-12)  # 100 * 0.5 / 200
    assert at69["poc"] >= 199.0
    # bar at minute 73: bars 69..73 only (5 rows, fewer than 60): volume 50
    assert out["total_volume"].iloc[-1] == 50.0
    # with a 61-minute lookback the bar at minute 9 is in: (8, 69] -> 1 + 10
    out = compute(candles, Params(lookback_period=61))
    assert out["total_volume"].iloc[10] == 11.0
    assert out["momentum_score"].iloc[10] == pytest.approx(100.5, rel=1e-12)  # 100 * 100.5 / 100
    # with a 70-minute lookback: (-1, 69] -> all ten early bars
    assert compute(candles, Params(lookback_period=70))["total_volume"].iloc[10] == 20.0


def test_gap_window_per_timestamp():
    candles = gap_candles()
    profile = BacktestVolumeProfileCalculator(Params(lookback_period=60)).calculate_profile(
        candle_dicts(candles.iloc[:11])
    )
    assert profile["total_volume"] == 10.0
    profile = BacktestVolumeProfileCalculator().calculate_profile(
        candle_dicts(candles.iloc[:11]), lookback_minutes=61
    )
    assert profile["total_volume"] == 11.0


def test_timestamps_off_the_minute_are_windowed_by_wall_clock():
    candles = frame(GOOD)
    candles.index = pd.DatetimeIndex(
        [T0 + pd.Timedelta(seconds=s) for s in (0, 30, 95, 100, 160)], name="ts"
    )
    # lookback 1 minute at 160 s: (100, 160] -> only the last bar
    assert compute(candles, Params(lookback_period=1))["total_volume"].iloc[-1] == 12.0
    # lookback 2 minutes: (40 s, 160 s] -> the bars at 95, 100 and 160 s: 5 + 8 + 12
    assert compute(candles, Params(lookback_period=2))["total_volume"].iloc[-1] == 25.0


# --- Params -----------------------------------------------------------------------------------


def test_params_unknown_key_named():
    with pytest.raises(InvalidInputError, match="'poc_threshold'"):
        Params.from_dict({"poc_threshold": 1.0})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("poc_distance_threshold", 0.0),
        ("poc_distance_threshold", -1.0),
        ("poc_distance_threshold", "abc"),
        ("poc_distance_threshold", math.nan),
        ("poc_distance_threshold", math.inf),
        ("momentum_threshold", 0),
        ("cvd_pressure_threshold", 201.0),
        ("lookback_period", 0),
        ("lookback_period", 1.5),
        ("lookback_period", 10_081),
        ("lookback_period", True),
        ("value_area_pct", 0.0),
        ("value_area_pct", 100.5),
        ("value_area_rule", "triple"),
        ("volume_spread", "vwap"),
        ("flow_estimator", "lee_ready"),
        ("row_size", 0.0),
        ("row_size", -0.01),
        ("bvc_df", 0.0),
        ("cvd_momentum_buckets", 0),
        ("atr_period", 0),
        ("atr_period", 1001),
        ("allow_balance_trades", "maybe"),
        ("allow_balance_trades", 2),
        ("min_confidence", 101.0),
        ("position_fraction", 0.0),
        ("initial_capital", None),
    ],
)
def test_params_invalid_value_named(key, value):
    with pytest.raises(InvalidInputError, match=f"'{key}'"):
        Params.from_dict({key: value})
    with pytest.raises(InvalidInputError, match=f"'{key}'"):
        Params(**{key: value})


def test_params_parse_strings():
    p = Params.from_dict(
        {
            "lookback_period": "30",
            "allow_balance_trades": "true",
            "row_size": "auto",
            "value_area_pct": " 68.5 ",
        }
    )
    assert (p.lookback_period, p.allow_balance_trades, p.row_size, p.value_area_pct) == (
        30,
        True,
        None,
        68.5,
    )
    assert isinstance(p.lookback_period, int)
    assert Params.from_dict({"row_size": "0.5"}).row_size == 0.5
    assert Params.from_dict(None) == Params()


def test_params_frozen():
    p = Params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.lookback_period = 30
    with pytest.raises((AttributeError, TypeError)):
        p.new_attribute = 1
    # replace() makes a validated copy, the original unchanged
    q = p.replace(lookback_period=30)
    assert (p.lookback_period, q.lookback_period) == (60, 30)
    with pytest.raises(InvalidInputError, match="'lookback_period'"):
        p.replace(lookback_period=-5)


def test_params_digest_and_round_trip():
    p = Params(poc_distance_threshold=2.5, flow_estimator="clr")
    assert Params.from_dict(p.to_dict()) == p
    assert p.digest() == Params.from_dict(p.to_dict()).digest()
    assert p.digest() != Params().digest()
    assert len(p.digest()) == 12
    assert hash(p) == hash(Params.from_dict(p.to_dict()))


def test_per_timestamp_params_from_a_mapping():
    calc = BacktestVolumeProfileCalculator({"row_size": 1.0})
    assert calc.params.row_size == 1.0
    with pytest.raises(InvalidInputError, match="'row_sise'"):
        BacktestVolumeProfileCalculator({"row_sise": 1.0})


def test_empty_candles_refused():
    with pytest.raises(InvalidInputError):
        BacktestVolumeProfileCalculator().calculate_profile([])


def test_integer_ms_timestamps_in_dicts():
    candles = frame(GOOD)
    dicts = candle_dicts(candles)
    for d in dicts:
        d["ts"] = int(d["ts"].value // 1_000_000)
    a = BacktestVolumeProfileCalculator().calculate_profile(dicts)
    b = BacktestVolumeProfileCalculator().calculate_profile(candle_dicts(candles))
    assert a == b
    assert np.isfinite(a["poc"])


def test_timestamp_key_and_iso_strings_in_dicts():
    candles = frame(GOOD)
    want = BacktestVolumeProfileCalculator().calculate_profile(candle_dicts(candles))
    renamed = [
        {("timestamp" if k == "ts" else k): v for k, v in d.items()} for d in candle_dicts(candles)
    ]
    assert BacktestVolumeProfileCalculator().calculate_profile(renamed) == want
    iso = [{**d, "ts": d["ts"].isoformat()} for d in candle_dicts(candles)]
    assert BacktestVolumeProfileCalculator().calculate_profile(iso) == want


def test_lookback_buckets_must_be_positive():
    with pytest.raises(InvalidInputError, match="lookback_buckets"):
        BacktestOrderFlowCalculator().calculate_flow(candle_dicts(frame(GOOD)), lookback_buckets=0)


def test_empty_frame_gives_empty_output():
    out = compute(frame(GOOD).iloc[:0])
    assert len(out) == 0
    assert list(out.columns) == list(OUTPUT_COLUMNS)
