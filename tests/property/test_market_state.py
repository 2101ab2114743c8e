"""Properties of the market state (`calculators.market_state`, through `compute` too)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from strategies import candle_frames, params

from calculators import STATES, compute
from calculators.market_state import BALANCE, IMBALANCE_DOWN, IMBALANCE_UP, classify_state

prices = st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False)
thresholds = st.floats(1e-3, 50.0, allow_nan=False)


@st.composite
def state_inputs(draw):
    """Arguments of classify_state: a profile (val <= poc <= vah), a price nearby,
    momentum and pressure (-100..100), thresholds."""
    poc = draw(prices)
    vah = poc * (1 + draw(st.floats(0, 0.05)))
    val = poc * (1 - draw(st.floats(0, 0.05)))
    price = poc * (1 + draw(st.floats(-0.08, 0.08)))
    if draw(st.booleans()):
        price = draw(st.sampled_from([poc, vah, val]))
    momentum = draw(st.one_of(st.floats(-20, 20), st.sampled_from([0.0, 1.5, -1.5])))
    pressure = draw(st.one_of(st.floats(-100, 100), st.sampled_from([0.0, 15.0, -15.0])))
    return (
        price,
        poc,
        vah,
        val,
        momentum,
        pressure,
        draw(thresholds),
        draw(thresholds),
        draw(st.floats(1e-3, 200.0)),
    )


@given(state_inputs())
def test_confidence_within_0_100_and_whole(args):
    code, confidence, distance = classify_state(*args)
    assert code in (BALANCE, IMBALANCE_UP, IMBALANCE_DOWN)
    assert 0 <= confidence <= 100
    assert confidence == math.floor(confidence)
    price, poc = args[0], args[1]
    assert distance == 100.0 * (price - poc) / poc


@given(state_inputs())
def test_state_follows_the_documented_rules(args):
    price, _poc, vah, val, momentum, pressure, t_poc, t_mom, t_cvd = args
    code, confidence, distance = classify_state(*args)
    up = momentum > t_mom or pressure > t_cvd
    down = momentum < -t_mom or pressure < -t_cvd
    if abs(distance) < t_poc and val <= price <= vah:
        assert code == BALANCE
        assert confidence >= 50  # rule 1: 50..100
    elif up and not down:
        assert code == IMBALANCE_UP
        assert confidence >= 50  # at least at a threshold
    elif down and not up:
        assert code == IMBALANCE_DOWN
        assert confidence >= 50
    else:
        assert code == BALANCE
        assert confidence <= 50  # rule 4: a weak balance
        if up and down:
            assert confidence == 0


@given(state_inputs(), st.floats(1.0, 100.0))
def test_raising_poc_threshold_never_leaves_balance(args, factor):
    low = classify_state(*args)
    raised = classify_state(*args[:6], args[6] * factor, *args[7:])
    if low[0] == BALANCE:
        assert raised[0] == BALANCE
    # states other than BALANCE either stay or become BALANCE
    assert raised[0] in (low[0], BALANCE)


@given(
    candles=candle_frames(1, 40),
    p=params(),
    bigger=st.sampled_from([0.02, 0.2, 1.0, 3.0, 10.0]),
)
def test_raising_poc_threshold_never_leaves_balance_on_candles(candles, p, bigger):
    low = compute(candles, p)
    high = compute(candles, p.replace(poc_distance_threshold=p.poc_distance_threshold + bigger))
    was_balance = low["state"] == "BALANCE"
    assert (high["state"][was_balance] == "BALANCE").all()
    assert ((high["state"] == low["state"]) | (high["state"] == "BALANCE")).all()


@given(candles=candle_frames(1, 40), p=params())
def test_compute_state_columns(candles, p):
    out = compute(candles, p)
    assert set(out["state"]) <= set(STATES)
    assert out["confidence"].between(0, 100).all()
    assert (out["confidence"] == out["confidence"].round()).all()
    # distance is the close's distance from the POC in percent
    expected = 100.0 * (candles["close"] - out["poc"]) / out["poc"]
    assert (out["distance_from_poc_pct"] == expected).all()
