"""The entry rules: `evaluate_entry_signal` by hand, and `entry_signals` equal to it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from backtest import REASONS, Signal, entry_signals, evaluate_entry_signal
from backtest.strategy import state_codes
from calculators import STATES, InvalidInputError, Params, compute

DEFAULT = Params()  # min_confidence 60, min_pressure 55, stop 1.5 ATR, target 3 ATR
BALANCE_ON = Params(allow_balance_trades=True)


def signal(state, confidence=70.0, buy=60.0, sell=40.0, cvd=1.0, price=100.0, atr=2.0, params=DEFAULT, **levels):  # fmt: skip
    return evaluate_entry_signal(
        state, confidence, buy, sell, cvd, price, atr, "BTCUSDT", params=params, **levels
    )


def test_imbalance_up_goes_long_with_atr_levels():
    # price 100, ATR 2: stop 100 - 1.5 * 2 = 97, target 100 + 3 * 2 = 106
    assert signal("IMBALANCE_UP") == Signal("long", "imbalance_up", 97.0, 106.0)


def test_imbalance_down_goes_short_with_atr_levels():
    # stop 100 + 3 = 103, target 100 - 6 = 94
    assert signal("IMBALANCE_DOWN", buy=40, sell=60, cvd=-1) == Signal(
        "short", "imbalance_down", 103.0, 94.0
    )


def test_docstring_example():
    got = evaluate_entry_signal(
        "IMBALANCE_UP", 70, 60.0, 40.0, 1.0e5, 42_000.0, 50.0, "BTCUSDT", params=Params()
    )
    assert got == Signal("long", "imbalance_up", 41_925.0, 42_150.0)


@pytest.mark.parametrize(
    ("kwargs", "enters"),
    [
        ({"confidence": 60.0}, True),  # at min_confidence: enters
        ({"confidence": 59.99}, False),
        ({"confidence": math.nan}, False),
        ({"buy": 55.0}, True),  # at min_pressure: enters
        ({"buy": 54.99}, False),
        ({"cvd": 0.0}, False),  # momentum must be > 0
        ({"cvd": -1.0}, False),
        ({"atr": 0.0}, False),
        ({"atr": -1.0}, False),
        ({"atr": math.nan}, False),
        ({"atr": math.inf}, False),
        ({"price": math.nan}, False),
        ({"price": 0.0}, False),
        ({"buy": None}, False),
    ],
)
def test_long_thresholds(kwargs, enters):
    assert (signal("IMBALANCE_UP", **kwargs) is not None) is enters


@pytest.mark.parametrize(
    ("kwargs", "enters"),
    [
        ({"sell": 55.0, "cvd": -1.0}, True),
        ({"sell": 54.99, "cvd": -1.0}, False),
        ({"sell": 60.0, "cvd": 0.0}, False),
        ({"sell": 60.0, "cvd": -1.0, "confidence": 10.0}, False),
    ],
)
def test_short_thresholds(kwargs, enters):
    assert (signal("IMBALANCE_DOWN", **kwargs) is not None) is enters


def test_imbalance_never_trades_against_its_direction():
    # strong selling in IMBALANCE_UP is no short; strong buying in IMBALANCE_DOWN is no long
    assert signal("IMBALANCE_UP", buy=20, sell=80, cvd=-5) is None
    assert signal("IMBALANCE_DOWN", buy=80, sell=20, cvd=5) is None


def test_thresholds_come_from_params():
    strict = Params(min_confidence=80, min_pressure=65, stop_atr=1.0, target_atr=2.0)
    assert signal("IMBALANCE_UP", confidence=75, params=strict) is None
    assert signal("IMBALANCE_UP", confidence=85, buy=60, params=strict) is None
    # price 100, ATR 2: stop 98, target 104
    assert signal("IMBALANCE_UP", confidence=85, buy=70, params=strict) == Signal(
        "long", "imbalance_up", 98.0, 104.0
    )


def test_balance_trades_only_when_allowed():
    levels = {"poc": 105.0, "vah": 110.0, "val": 100.0}
    assert signal("BALANCE", **levels) is None
    # price 100 at the VAL: long toward the POC 105, stop 100 - 3 = 97
    assert signal("BALANCE", params=BALANCE_ON, **levels) == Signal(
        "long", "balance_val", 97.0, 105.0
    )


def test_balance_fades_the_edges_toward_the_poc():
    levels = {"poc": 100.0, "vah": 104.0, "val": 96.0}
    # below the VAL (95): long, target the POC 100, stop 95 - 3 = 92
    assert signal("BALANCE", price=95.0, params=BALANCE_ON, **levels) == Signal(
        "long", "balance_val", 92.0, 100.0
    )
    # at the VAH (104): short, target 100, stop 104 + 3 = 107
    assert signal("BALANCE", price=104.0, params=BALANCE_ON, **levels) == Signal(
        "short", "balance_vah", 107.0, 100.0
    )
    # inside the value area: nothing
    assert signal("BALANCE", price=101.0, params=BALANCE_ON, **levels) is None


def test_balance_target_short_of_the_poc():
    levels = {"poc": 100.0, "vah": 104.0, "val": 96.0}
    # balance_target_atr 0.5 with ATR 2: the target stops 1 short of the POC
    params = BALANCE_ON.replace(balance_target_atr=0.5)
    assert signal("BALANCE", price=96.0, params=params, **levels).target == 99.0
    assert signal("BALANCE", price=104.0, params=params, **levels).target == 101.0
    # 2.5 ATR = 5 short of the POC is past the entry price: no entry
    params = BALANCE_ON.replace(balance_target_atr=2.5)
    assert signal("BALANCE", price=96.0, params=params, **levels) is None
    assert signal("BALANCE", price=104.0, params=params, **levels) is None


def test_balance_fade_needs_the_levels_and_confidence():
    assert signal("BALANCE", price=95.0, params=BALANCE_ON) is None  # no POC/VAH/VAL
    levels = {"poc": 100.0, "vah": 104.0, "val": 96.0}
    assert signal("BALANCE", price=95.0, confidence=50, params=BALANCE_ON, **levels) is None
    # a one-row profile (POC = VAH = VAL = price): no target beyond the price
    flat = {"poc": 100.0, "vah": 100.0, "val": 100.0}
    assert signal("BALANCE", price=100.0, params=BALANCE_ON, **flat) is None


def test_missing_or_unknown_state():
    assert signal(None) is None
    assert signal(math.nan) is None
    with pytest.raises(InvalidInputError, match="IMBALANCE-UP"):
        signal("IMBALANCE-UP")


def test_symbol_does_not_change_the_rules():
    a = evaluate_entry_signal("IMBALANCE_UP", 70, 60, 40, 1, 100, 2, "BTCUSDT", params=DEFAULT)
    b = evaluate_entry_signal("IMBALANCE_UP", 70, 60, 40, 1, 100, 2, "XRPETH", params=DEFAULT)
    assert a == b


def test_signal_is_frozen():
    s = signal("IMBALANCE_UP")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.side = "short"


def test_state_codes():
    np.testing.assert_array_equal(
        state_codes(["BALANCE", None, "IMBALANCE_DOWN", np.nan, "IMBALANCE_UP"]),
        [0, -1, 2, -1, 1],
    )
    np.testing.assert_array_equal(state_codes(np.array([0.0, np.nan, 2.0])), [0, -1, 2])
    with pytest.raises(InvalidInputError, match="row 1"):
        state_codes(["BALANCE", "SIDEWAYS"])
    with pytest.raises(InvalidInputError, match="row 0"):
        state_codes(np.array([3]))


def _assert_vector_equals_scalar(frame: pd.DataFrame, price: np.ndarray, params: Params) -> int:
    """Compare `entry_signals` with `evaluate_entry_signal` on every row; return
    the number of signals."""
    arrays = entry_signals(
        frame["state"].to_numpy(), frame["confidence"], frame["buy_pressure"],
        frame["sell_pressure"], frame["cvd_momentum"], price, frame["atr"],
        params=params, poc=frame["poc"], vah=frame["vah"], val=frame["val"],
    )  # fmt: skip
    count = 0
    for i, row in enumerate(frame.itertuples(index=False)):
        expected = evaluate_entry_signal(
            row.state, row.confidence, row.buy_pressure, row.sell_pressure, row.cvd_momentum,
            float(price[i]), row.atr, "X", params=params, poc=row.poc, vah=row.vah, val=row.val,
        )  # fmt: skip
        assert arrays.signal(i) == expected, f"row {i}: {row}"
        count += expected is not None
    return count


def test_vectorized_equals_scalar_on_an_edge_grid():
    # every state x confidence, pressure, momentum and ATR at and around their
    # thresholds, prices at, below and above the value area's edges, NaNs
    rng = np.random.default_rng(3)
    n = 4_000
    frame = pd.DataFrame(
        {
            "state": rng.choice(np.array([*STATES, None], dtype=object), n),
            "confidence": rng.choice([np.nan, 0, 59.9, 60, 61, 100], n),
            "buy_pressure": rng.choice([np.nan, 40, 54.9, 55, 70], n),
            "sell_pressure": rng.choice([np.nan, 40, 54.9, 55, 70], n),
            "cvd_momentum": rng.choice([np.nan, -5, 0, 5], n),
            "atr": rng.choice([np.nan, -1, 0, 0.5, 2], n),
            "poc": rng.choice([np.nan, 100, 103], n),
            "vah": rng.choice([np.nan, 104, 100], n),
            "val": rng.choice([np.nan, 96, 100], n),
        }
    )
    price = rng.choice([np.nan, 95, 96, 100, 101, 104, 105], n).astype(float)
    for params in (DEFAULT, BALANCE_ON, BALANCE_ON.replace(balance_target_atr=1.0)):
        assert _assert_vector_equals_scalar(frame, price, params) > 0


@pytest.mark.realdata
def test_vectorized_equals_scalar_on_real_data(data_dir):
    candles = pd.read_csv(
        data_dir / "btcperp-1m-2022-01.csv.gz", parse_dates=["ts"], index_col="ts"
    )
    candles = candles.iloc[:15_000]
    for params in (DEFAULT, BALANCE_ON):
        frame = compute(candles, params)
        count = _assert_vector_equals_scalar(frame, candles["close"].to_numpy(), params)
        assert count > 0


def test_reasons():
    assert REASONS == ("imbalance_up", "imbalance_down", "balance_val", "balance_vah")
