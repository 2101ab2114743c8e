"""Market state: each documented rule by hand, and the expert-mode thresholds on real data.

Rules and confidence formulas from the `calculators.market_state` docstring;
the defaults are poc_distance_threshold 1.5, momentum_threshold 1.5,
cvd_pressure_threshold 15.
"""

from __future__ import annotations

import pytest
from strategies import candle_dicts, frame, read_candles

from calculators import BacktestMarketStateCalculator, Params, compute
from calculators.market_state import BALANCE, IMBALANCE_DOWN, IMBALANCE_UP, classify_state

DEFAULT = (1.5, 1.5, 15.0)


def classify(price, poc, vah, val, momentum, pressure, thresholds=DEFAULT):
    code, confidence, distance = classify_state(
        price, poc, vah, val, momentum, pressure, *thresholds
    )
    return code, confidence, distance


# --- rule 1: near the POC and inside the value area --------------------------------------


def test_rule1_balance_near_poc():
    # distance = 100 * (100.6 - 100) / 100 = 0.6 % < 1.5, and 99 <= 100.6 <= 101.
    # confidence = 50 + 25 * (1 - 0.6 / 1.5) + 25 * max(0, 1 - |6| / 15)
    #            = 50 + 25 * 0.6 + 25 * 0.6 = 80
    code, confidence, distance = classify(100.6, 100.0, 101.0, 99.0, 0.3, 6.0)
    assert code == BALANCE
    assert confidence == 80.0
    assert distance == pytest.approx(0.6, rel=1e-12)


def test_rule1_wins_over_strong_momentum():
    # momentum 4 % would be IMBALANCE_UP, but rule 1 comes first: BALANCE;
    # pressure 30 > 15: its term is max(0, 1 - 2) = 0;
    # confidence = 50 + 25 * (1 - 0.3 / 1.5) + 0 = 50 + 20 = 70
    code, confidence, _ = classify(100.3, 100.0, 101.0, 99.0, 4.0, 30.0)
    assert (code, confidence) == (BALANCE, 70.0)


def test_rule1_at_the_poc_with_neutral_flow_is_100():
    # distance 0, pressure 0: 50 + 25 + 25 = 100
    assert classify(100.0, 100.0, 100.0, 100.0, 0.0, 0.0)[:2] == (BALANCE, 100.0)


def test_rule1_needs_the_value_area():
    # distance 0.8 % < 1.5 but above VAH 100.5: not rule 1.  No evidence (momentum 0,
    # pressure 0) -> rule 4: 50 * max(0, 1 - max(0, 0)) = 50 (rule 1 would give
    # 50 + 25 * (1 - 0.8 / 1.5) + 25 = 86.67 -> 87)
    code, confidence, _ = classify(100.8, 100.0, 100.5, 99.8, 0.0, 0.0)
    assert (code, confidence) == (BALANCE, 50.0)


def test_rule1_distance_is_strictly_below_the_threshold():
    # price 101.5 vs POC 100 is 1.5 % exactly: not "< 1.5" -> rule 4 (no evidence):
    # momentum 0.75 / 1.5 = 0.5, pressure 0: 50 * (1 - 0.5) = 25
    code, confidence, distance = classify(101.5, 100.0, 102.0, 99.0, 0.75, 0.0)
    assert distance == 1.5
    assert (code, confidence) == (BALANCE, 25.0)


# --- rule 2: up evidence, no down evidence --------------------------------------------------


def test_rule2_imbalance_up_by_momentum():
    # price 103 is 3 % from POC 100 (and above VAH 101): not rule 1.
    # momentum 2.4 > 1.5: up; pressure 6 is neither > 15 nor < -15; no down evidence.
    # s = max(2.4 / 1.5, 6 / 15) = max(1.6, 0.4) = 1.6; confidence min(100, 80) = 80
    code, confidence, distance = classify(103.0, 100.0, 101.0, 99.0, 2.4, 6.0)
    assert (code, confidence) == (IMBALANCE_UP, 80.0)
    assert distance == pytest.approx(3.0, rel=1e-12)


def test_rule2_only_signals_pointing_up_count():
    # momentum 1.8 > 1.5: up; pressure -10: not below -15, so no down evidence, and it
    # points down, so it does not count: s = 1.8 / 1.5 = 1.2 -> 60
    code, confidence, _ = classify(103.0, 100.0, 101.0, 99.0, 1.8, -10.0)
    assert (code, confidence) == (IMBALANCE_UP, 60.0)


def test_rule2_imbalance_up_by_pressure_capped_at_100():
    # pressure 45 > 15: up; momentum 0.3 points up too: s = max(0.2, 3) = 3 ->
    # min(100, 150) = 100
    assert classify(98.0, 100.0, 101.0, 99.0, 0.3, 45.0)[:2] == (IMBALANCE_UP, 100.0)


# --- rule 3: down evidence, no up evidence --------------------------------------------------


def test_rule3_imbalance_down_by_pressure():
    # pressure -21 < -15: down; momentum +0.3 is no up evidence (< 1.5) and points up,
    # so it does not count: s = 21 / 15 = 1.4 -> 70
    code, confidence, distance = classify(97.0, 100.0, 101.0, 99.0, 0.3, -21.0)
    assert (code, confidence) == (IMBALANCE_DOWN, 70.0)
    assert distance == pytest.approx(-3.0, rel=1e-12)


def test_rule3_imbalance_down_capped():
    # momentum -0.6 (not < -1.5) and pressure -33 < -15: down.
    # s = max(0.6 / 1.5, 33 / 15) = max(0.4, 2.2) = 2.2 -> min(100, 110) = 100
    assert classify(97.0, 100.0, 101.0, 99.0, -0.6, -33.0)[:2] == (IMBALANCE_DOWN, 100.0)


def test_rule3_by_momentum_at_exactly_the_threshold_is_not_evidence():
    # momentum -1.5 is not < -1.5: no evidence -> rule 4:
    # 50 * max(0, 1 - max(1.5 / 1.5, 0)) = 0
    assert classify(97.0, 100.0, 101.0, 99.0, -1.5, 0.0)[:2] == (BALANCE, 0.0)
    # -1.8 is: s = 1.8 / 1.5 = 1.2 -> 60
    assert classify(97.0, 100.0, 101.0, 99.0, -1.8, 0.0)[:2] == (IMBALANCE_DOWN, 60.0)


# --- rule 4: no evidence or evidence both ways ----------------------------------------------


def test_rule4_no_evidence_weak_balance():
    # outside the value area, momentum 0.9, pressure -6: no evidence.
    # 50 * max(0, 1 - max(0.9 / 1.5, 6 / 15)) = 50 * (1 - 0.6) = 20
    assert classify(103.0, 100.0, 101.0, 99.0, 0.9, -6.0)[:2] == (BALANCE, 20.0)


def test_rule4_conflicting_evidence_is_zero():
    # momentum 2 > 1.5 (up) and pressure -20 < -15 (down): both ways -> BALANCE,
    # 50 * max(0, 1 - max(1.33, 1.33)) = 0
    assert classify(103.0, 100.0, 101.0, 99.0, 2.0, -20.0)[:2] == (BALANCE, 0.0)


def test_confidence_rounds_half_up():
    # rule 4 with momentum 1.125 / 1.5 = 0.75 exactly: 50 * 0.25 = 12.5 -> 13
    # (round-half-to-even would give 12)
    assert classify(103.0, 100.0, 101.0, 99.0, 1.125, 0.0)[:2] == (BALANCE, 13.0)
    # rule 2 with s = 1.25 (pressure 18.75 / 15): 62.5 -> 63
    assert classify(103.0, 100.0, 101.0, 99.0, 0.0, 18.75)[:2] == (IMBALANCE_UP, 63.0)


def test_thresholds_are_used():
    # the same inputs with a momentum threshold of 3: 2.4 < 3 is no evidence:
    # rule 4: 50 * (1 - max(2.4 / 3, 6 / 15)) = 50 * 0.2 = 10
    assert classify(103.0, 100.0, 101.0, 99.0, 2.4, 6.0, (1.5, 3.0, 15.0))[:2] == (BALANCE, 10.0)
    # a POC threshold of 4: 3 % < 4 but 103 > VAH: still not rule 1 (-> rule 2, 80)
    assert classify(103.0, 100.0, 101.0, 99.0, 2.4, 6.0, (4.0, 1.5, 15.0))[:2] == (
        IMBALANCE_UP,
        80.0,
    )
    # a pressure threshold of 5: 6 > 5 is up evidence too: s = max(1.6, 1.2) -> 80
    assert classify(103.0, 100.0, 101.0, 99.0, 0.0, 6.0, (1.5, 1.5, 5.0))[:2] == (
        IMBALANCE_UP,
        60.0,
    )


# --- through the per-timestamp API and compute() --------------------------------------------


def test_state_momentum_from_the_window_first_open():
    # three bars opening at 100; closes 100.5, 101, 102.  A 60-minute window at bar 2:
    # momentum = 100 * (102 - 100) / 100 = 2 %.  With a 2-minute window (bars 1, 2,
    # first open 101): 100 * (102 - 101) / 101 = 0.990 %.
    candles = frame(
        [
            (100.0, 100.6, 99.9, 100.5, 1.0),
            (101.0, 101.2, 100.8, 101.0, 1.0),
            (101.0, 102.0, 101.0, 102.0, 1.0),
        ]
    )
    out = compute(candles, Params())
    assert out["momentum_score"].iloc[2] == pytest.approx(2.0, rel=1e-12)
    out = compute(candles, Params(lookback_period=2))
    assert out["momentum_score"].iloc[2] == pytest.approx(100 / 101, rel=1e-12)
    state = BacktestMarketStateCalculator({"lookback_period": 2}).calculate_state(
        102.0,
        candle_dicts(candles),
        {"poc": 101.0, "vah": 102.0, "val": 101.0},
        {"buy_pressure": 50.0, "sell_pressure": 50.0},
    )
    assert state["momentum_score"] == pytest.approx(100 / 101, rel=1e-12)
    # 102 vs POC 101: 0.990 % < 1.5, inside 101..102 -> rule 1:
    # 50 + 25 * (1 - 0.990099 / 1.5) + 25 * 1 = 50 + 8.498 + 25 = 83.498 -> 83
    assert state["state"] == "BALANCE"
    assert state["confidence"] == 83.0
    assert state["distance_from_poc_pct"] == pytest.approx(100 / 101, rel=1e-12)


# --- the expert-mode thresholds change outputs on real candles --------------------------------

EXPERT = [
    ("poc_distance_threshold", 0.1),
    ("momentum_threshold", 0.3),
    ("cvd_pressure_threshold", 5.0),
    ("lookback_period", 30),
]


@pytest.fixture(scope="module")
def real_candles(data_dir):
    return {
        name: read_candles(data_dir / f"{name}.csv.gz").iloc[:8000]
        for name in ("xrpeth-1m-2019-10-11", "btcperp-1m-2022-01")
    }


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["xrpeth-1m-2019-10-11", "btcperp-1m-2022-01"])
@pytest.mark.parametrize(("key", "value"), EXPERT)
def test_each_expert_threshold_changes_some_states(real_candles, name, key, value):
    candles = real_candles[name]
    base = compute(candles, Params())
    changed = compute(candles, Params(**{key: value}))
    differs = (base["state"] != changed["state"]) | (base["confidence"] != changed["confidence"])
    assert differs.sum() > 0, f"{key}={value} changed nothing on {name}"
    # and the states (not only the confidence) change somewhere
    assert (base["state"] != changed["state"]).sum() > 0
    # the other columns that do not read the threshold stay put
    if key != "lookback_period":
        for col in ("poc", "vah", "val", "buy_pressure", "momentum_score", "atr"):
            assert base[col].equals(changed[col])
