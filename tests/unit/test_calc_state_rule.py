"""`state_rule` (which documented rule decides a bar's state) and
`volume_at_price` (the histogram behind a window's profile).

Rules by hand from the `calculators.market_state` docstring (defaults 1.5 %,
1.5 %, 15 points); then differential: the rule on `compute`'s own inputs
gives `compute`'s state, and the histogram's POC / VAH / VAL and total are
`compute`'s for the window's last bar.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import candle_frames, params

from calculators import STATES, compute
from calculators.market_state import RULES, state_rule
from calculators.volume_profile import SPREAD_CODES, VALUE_AREA_CODES, volume_at_price

T = (1.5, 1.5, 15.0)
EXPECTED_STATE = {1: "BALANCE", 2: "IMBALANCE_UP", 3: "IMBALANCE_DOWN", 4: "BALANCE"}


@pytest.mark.parametrize(
    ("inputs", "rule"),
    [
        # 0.6 % from the POC, 99 <= 100.6 <= 101: rule 1 even with 4 % momentum.
        ((100.6, 100.0, 101.0, 99.0, 4.0, 0.0), 1),
        # 0.6 % from the POC but above VAH 100.5: not rule 1; momentum 2 > 1.5 up: rule 2.
        ((100.6, 100.0, 100.5, 99.0, 2.0, 0.0), 2),
        # 3 % below the POC, CVD pressure -20 < -15, momentum 0: rule 3.
        ((97.0, 100.0, 101.0, 99.0, 0.0, -20.0), 3),
        # momentum up (2) and pressure down (-20): evidence both ways, rule 4.
        ((97.0, 100.0, 101.0, 99.0, 2.0, -20.0), 4),
        # far from the POC, no evidence (1.0 < 1.5, 10 < 15): rule 4.
        ((97.0, 100.0, 101.0, 99.0, 1.0, 10.0), 4),
        # exactly at a threshold is not beyond it: |distance| 1.5 is not < 1.5; 1.5 not > 1.5.
        ((101.5, 100.0, 102.0, 99.0, 1.5, 15.0), 4),
    ],
)
def test_rules_by_hand(inputs, rule):
    assert state_rule(*inputs, *T) == rule
    assert rule in RULES


@given(candles=candle_frames(min_size=2, max_size=40), p=params())
def test_rule_of_compute_inputs_gives_compute_state(candles, p):
    out = compute(candles, p)
    for t, row in out.iterrows():
        rule = state_rule(
            float(candles.at[t, "close"]), row.poc, row.vah, row.val, row.momentum_score,
            row.buy_pressure - row.sell_pressure,
            p.poc_distance_threshold, p.momentum_threshold, p.cvd_pressure_threshold,
        )  # fmt: skip
        assert EXPECTED_STATE[rule] == row.state
        assert row.state in STATES


@given(candles=candle_frames(min_size=1, max_size=40, gaps=False), p=params())
def test_histogram_is_the_profile_of_the_last_bar(candles, p):
    window = candles.iloc[-p.lookback_period :]
    prices, volumes, poc, vah, val = volume_at_price(
        window["open"].to_numpy(), window["high"].to_numpy(), window["low"].to_numpy(),
        window["close"].to_numpy(),
        window["volume"].to_numpy(), p.row_size or 0.0, SPREAD_CODES[p.volume_spread],
        p.value_area_pct, VALUE_AREA_CODES[p.value_area_rule],
    )  # fmt: skip
    last = compute(candles, p).iloc[-1]
    assert (poc, vah, val) == (last.poc, last.vah, last.val)
    assert np.all(np.diff(prices) > 0)
    assert volumes.min() >= -1e-9 * max(1.0, window["volume"].sum())
    assert volumes.sum() == pytest.approx(window["volume"].sum(), rel=1e-9, abs=1e-9)
    assert prices[0] <= val <= poc <= vah <= prices[-1]
    # the POC row holds the most volume (ties within the documented EQUAL slack)
    top = volumes.max()
    assert volumes[np.searchsorted(prices, poc)] >= top - 1e-9 * max(1.0, volumes.sum())
