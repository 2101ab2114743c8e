"""Market state: BALANCE, IMBALANCE_UP or IMBALANCE_DOWN, with a confidence.

The rules of the live detector, with the expert-mode thresholds (all from
`calculators.Params`), evaluated at a bar's close ``price``:

- ``distance_from_poc_pct = 100 * (price - poc) / poc`` (percent);
- ``in_value_area = val <= price <= vah``;
- ``momentum_score = 100 * (price - open of the window's first bar) / that
  open`` (percent change over the lookback window);
- ``cvd_pressure = buy_pressure - sell_pressure`` (percentage points, -100..100).

State, first rule that applies:

1. ``|distance| < poc_distance_threshold`` and in the value area: BALANCE.
2. Up evidence (``momentum > momentum_threshold`` or ``cvd_pressure >
   cvd_pressure_threshold``) and no down evidence: IMBALANCE_UP.
3. Down evidence (``momentum < -momentum_threshold`` or ``cvd_pressure <
   -cvd_pressure_threshold``) and no up evidence: IMBALANCE_DOWN.
4. Otherwise (no evidence, or evidence both ways): BALANCE.

Confidence, 0..100 points, rounded half up to a whole number:

- rule 1: ``50 + 25 * (1 - |distance| / poc_threshold) + 25 * max(0, 1 -
  |cvd_pressure| / cvd_threshold)``: 50..100, highest at the POC with neutral flow;
- rules 2 and 3: ``min(100, 50 * s)`` where ``s`` is the larger of
  ``|momentum| / momentum_threshold`` and ``|cvd_pressure| / cvd_threshold``
  among the signals pointing that way: 50 at a threshold, 100 at twice it;
- rule 4: ``50 * max(0, 1 - max(|momentum| / momentum_threshold, |cvd_pressure|
  / cvd_threshold))``: a weak balance, 0 when the evidence conflicts.

Raising ``poc_distance_threshold`` can only turn states into BALANCE, never
out of it (rule 1 comes first and rules 2-4 do not read it).
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "BALANCE",
    "IMBALANCE_DOWN",
    "IMBALANCE_UP",
    "RULES",
    "STATES",
    "classify_state",
    "state_rule",
]

BALANCE = 0
IMBALANCE_UP = 1
IMBALANCE_DOWN = 2
#: State labels by code.
STATES = ("BALANCE", "IMBALANCE_UP", "IMBALANCE_DOWN")
#: The state rules of the module docstring, by number (`state_rule`).
RULES = {
    1: "near the POC and inside the value area: BALANCE",
    2: "up evidence (momentum or CVD pressure above its threshold), none down: IMBALANCE_UP",
    3: "down evidence (momentum or CVD pressure below minus its threshold), none up: IMBALANCE_DOWN",
    4: "no evidence either way, or evidence both ways: BALANCE",
}


@njit(cache=True)
def state_rule(
    price: float,
    poc: float,
    vah: float,
    val: float,
    momentum_score: float,
    cvd_pressure: float,
    poc_threshold: float,
    momentum_threshold: float,
    cvd_threshold: float,
) -> int:
    """Which rule (1..4, see `RULES` and the module docstring) decides the
    state of a bar with these inputs (arguments as in `classify_state`).

    >>> state_rule(100.0, 100.0, 101.0, 99.0, 0.0, 0.0, 1.5, 1.5, 15.0)
    1
    >>> state_rule(110.0, 100.0, 101.0, 99.0, 2.0, 0.0, 1.5, 1.5, 15.0)
    2
    """
    distance = 100.0 * (price - poc) / poc
    if abs(distance) < poc_threshold and val <= price <= vah:
        return 1
    up = momentum_score > momentum_threshold or cvd_pressure > cvd_threshold
    down = momentum_score < -momentum_threshold or cvd_pressure < -cvd_threshold
    if up and not down:
        return 2
    if down and not up:
        return 3
    return 4


@njit(cache=True)
def classify_state(
    price: float,
    poc: float,
    vah: float,
    val: float,
    momentum_score: float,
    cvd_pressure: float,
    poc_threshold: float,
    momentum_threshold: float,
    cvd_threshold: float,
) -> tuple[int, float, float]:
    """``(state code, confidence, distance_from_poc_pct)`` of one bar.

    Codes index `STATES`; confidence in points 0..100; distance in percent.
    """
    distance = 100.0 * (price - poc) / poc
    momentum_ratio = abs(momentum_score) / momentum_threshold
    pressure_ratio = abs(cvd_pressure) / cvd_threshold
    rule = state_rule(
        price, poc, vah, val, momentum_score, cvd_pressure,
        poc_threshold, momentum_threshold, cvd_threshold,
    )  # fmt: skip
    if rule == 1:
        score = (
            50.0
            + 25.0 * (1.0 - abs(distance) / poc_threshold)
            + 25.0 * max(0.0, 1.0 - pressure_ratio)
        )
        return BALANCE, _points(score), distance
    if rule != 4:
        up = rule == 2
        strength = 0.0
        if (momentum_score > 0) == up and momentum_score != 0:
            strength = momentum_ratio
        if (cvd_pressure > 0) == up and cvd_pressure != 0:
            strength = max(strength, pressure_ratio)
        return (
            (IMBALANCE_UP if up else IMBALANCE_DOWN),
            _points(min(100.0, 50.0 * strength)),
            distance,
        )
    score = 50.0 * max(0.0, 1.0 - max(momentum_ratio, pressure_ratio))
    return BALANCE, _points(score), distance


@njit(cache=True)
def _points(score: float) -> float:
    return math.floor(score + 0.5)
