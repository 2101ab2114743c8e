"""The grouped sweep equals the one-by-one backtests, table for table.

The differential reference is `BacktestEngine.run` per combination (compute,
state, signals, walk, statistics all redone); the sweep computes indicators
once per calculator group and re-derives states with the thresholds.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backtest import STAT_KEYS, BacktestEngine, sweep
from backtest.sweep import (
    STATE_THRESHOLDS,
    STRATEGY_ONLY,
    calculator_key,
    combinations,
    group_combinations,
    restate,
    sweep_group,
)
from calculators import STATES, InvalidInputError, Params, compute
from parity_fixtures.simulator import simulate_candles


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    frame = simulate_candles(2.0, seed=11)
    # a gap of 40 minutes: windows shorten, the sweep must cut them the same way
    return frame.drop(frame.index[900:940])


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def _assert_table_equals_one_by_one(table, grid, base, candles, start=None, end=None):
    combos = combinations(grid, base)
    assert len(table) == len(combos)
    trades = 0
    for i, params in enumerate(combos):
        reference = BacktestEngine(params).run("SIM", start, end, candles=candles).stats
        row = table.iloc[i]
        for name in grid:
            assert row[name] == getattr(params, name)
        for key in STAT_KEYS:
            assert _same(reference[key], None if pd.isna(row[key]) else row[key]), (i, key)
        trades += reference["trade_count"]
    assert trades > 0, "the grid must trade, or the comparison proves little"


def test_sweep_table_equals_one_by_one_runs(candles):
    grid = {
        "lookback_period": [30, 60],
        "poc_distance_threshold": [0.3, 1.5],
        "momentum_threshold": [0.2, 1.5],
        "cvd_pressure_threshold": [5.0, 15.0],
        "allow_balance_trades": [False, True],
        "min_confidence": [40.0, 60.0],
    }
    base = Params(stop_atr=1.0, target_atr=2.0, max_holding_minutes=45)
    table = sweep(candles, grid, base, symbol="SIM")
    assert list(table.columns) == [*grid, *STAT_KEYS]
    _assert_table_equals_one_by_one(table, grid, base, candles)


def test_sweep_with_a_period_and_execution_settings(candles):
    grid = {
        "atr_period": [7, 14],
        "commission_bps": [0.0, 10.0],
        "position_fraction": [0.5, 1.0],
        "balance_target_atr": [0.0, 0.5],
    }
    base = Params(allow_balance_trades=True, poc_distance_threshold=0.2, min_confidence=30)
    start, end = candles.index[200], candles.index[-300]
    table = sweep(candles, grid, base, start=start, end=end)
    _assert_table_equals_one_by_one(table, grid, base, candles, start, end)


@given(
    poc=st.floats(0.01, 5.0),
    momentum=st.floats(0.01, 5.0),
    cvd=st.floats(0.5, 200.0),
)
def test_restate_equals_compute_with_those_thresholds(candles, poc, momentum, cvd):
    window = candles.iloc[:1500]
    computed = _computed(window)
    wanted = Params(
        poc_distance_threshold=poc, momentum_threshold=momentum, cvd_pressure_threshold=cvd
    )
    reference = compute(window, wanted)
    codes, confidence = restate(computed, window["close"], wanted)
    assert np.array_equal(np.asarray(STATES, dtype=object)[codes], reference["state"].to_numpy())
    assert np.array_equal(confidence, reference["confidence"].to_numpy(), equal_nan=True)


_CACHE: dict = {}


def _computed(window: pd.DataFrame) -> pd.DataFrame:
    if "c" not in _CACHE:
        _CACHE["c"] = compute(window, Params())
    return _CACHE["c"]


def _other_value(params: Params, name: str):
    value = getattr(params, name)
    if isinstance(value, bool):
        return not value
    if name == "initial_capital":
        return value * 3
    if name in ("min_confidence", "min_pressure", "position_fraction"):
        return value / 2
    return value * 1.7 if isinstance(value, float) else value + 7


def test_strategy_only_fields_do_not_change_the_indicators(candles):
    """Every field listed as strategy-only leaves every column of `compute`
    but the state's own (state, confidence, distance) unchanged."""
    window = candles.iloc[:800]
    base = Params()
    reference = compute(window, base).drop(columns=["state", "confidence", "distance_from_poc_pct"])
    for name in STRATEGY_ONLY:
        changed = compute(window, base.replace(**{name: _other_value(base, name)}))
        changed = changed.drop(columns=["state", "confidence", "distance_from_poc_pct"])
        pd.testing.assert_frame_equal(changed, reference, check_exact=True, obj=name)


def test_the_split_covers_params_and_groups():
    names = {f.name for f in dataclasses.fields(Params)}
    assert set(STRATEGY_ONLY) <= names
    assert set(STATE_THRESHOLDS) <= set(STRATEGY_ONLY)
    key_names = {name for name, _ in calculator_key(Params())}
    assert key_names | set(STRATEGY_ONLY) == names and not key_names & set(STRATEGY_ONLY)
    combos = combinations({"lookback_period": [30, 60], "stop_atr": [1.0, 2.0], "atr_period": [5]})
    assert group_combinations(combos) == [[0, 1], [2, 3]]


def test_a_group_must_share_its_calculator_parameters(candles):
    with pytest.raises(InvalidInputError, match="calculator parameters"):
        sweep_group(candles, [Params(lookback_period=30), Params(lookback_period=40)])
    with pytest.raises(InvalidInputError, match="empty"):
        sweep(candles, {})
