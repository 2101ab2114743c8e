"""`state_change_lags` and the ignore rules are vectorised; each is checked
against a slow, obvious reference (the pairwise definition) on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from calculators import STATES
from parity.harness.compare import state_change_lags
from parity.harness.config import IgnoreRule

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def reference_lags(live: pd.Series, calc: pd.Series, max_lag: int) -> dict:
    """The definition: every live change to S paired with the calculated change
    to S nearest in time within ``max_lag`` minutes; ties go to the earlier."""

    def changes(s):
        v = s.to_numpy()
        return [(s.index[i], v[i]) for i in range(1, len(v)) if v[i] != v[i - 1]]

    lc, cc = changes(live), changes(calc)
    lags = []
    for when, state in lc:
        near = [(c - when) / pd.Timedelta(minutes=1) for c, s in cc if s == state]
        near = [lag for lag in near if abs(lag) <= max_lag]
        if near:
            lags.append(min(near, key=lambda lag: (abs(lag), lag)))
    return {
        "live_changes": len(lc),
        "calculated_changes": len(cc),
        "changes_matched": len(lags),
        "median_lag_minutes": float(np.median(lags)) if lags else None,
        "median_abs_lag_minutes": float(np.median(np.abs(lags))) if lags else None,
    }


@st.composite
def state_pairs(draw):
    n = draw(st.integers(1, 120))
    steps = draw(st.lists(st.sampled_from([1, 1, 1, 2, 5, 40]), min_size=n, max_size=n))
    index = T0 + pd.to_timedelta(np.cumsum(steps), unit="min")
    live = draw(st.lists(st.sampled_from(STATES), min_size=n, max_size=n))
    calc = draw(st.lists(st.sampled_from(STATES), min_size=n, max_size=n))
    return pd.Series(live, index=index), pd.Series(calc, index=index)


@given(pair=state_pairs(), max_lag=st.sampled_from([0, 1, 3, 30]))
def test_lags_equal_the_pairwise_definition(pair, max_lag):
    live, calc = pair
    got = state_change_lags(live, calc, max_lag)
    want = reference_lags(live, calc, max_lag)
    for key, value in want.items():
        assert got[key] == value, key


def test_lags_hand_case():
    index = T0 + pd.to_timedelta(range(10), unit="min")
    live = pd.Series(["BALANCE"] * 3 + ["IMBALANCE_UP"] * 7, index=index)
    # calc changes to UP at minute 1 and minute 5 (via a dip back): both 2 from minute 3
    calc = pd.Series(
        [
            "BALANCE",
            "IMBALANCE_UP",
            "BALANCE",
            "BALANCE",
            "BALANCE",
            "IMBALANCE_UP",
            *["IMBALANCE_UP"] * 4,
        ],
        index=index,
    )
    out = state_change_lags(live, calc, 30)
    assert out["live_changes"] == 1
    assert out["changes_matched"] == 1
    assert out["median_lag_minutes"] == -2.0  # the tie goes to the earlier change


@given(
    minutes=st.lists(st.integers(0, 500), max_size=60, unique=True),
    start=st.one_of(st.none(), st.integers(0, 500)),
    end=st.one_of(st.none(), st.integers(0, 500)),
    metric=st.sampled_from([None, "poc", "state"]),
    symbol=st.sampled_from([None, "A", "B"]),
)
def test_ignore_mask_equals_the_rule(minutes, start, end, metric, symbol):
    bars = T0 + pd.to_timedelta(sorted(minutes), unit="min")
    rule = IgnoreRule(
        reason="r",
        metric=metric,
        symbol=symbol,
        start=None if start is None else T0 + pd.Timedelta(minutes=start),
        end=None if end is None else T0 + pd.Timedelta(minutes=end),
    )
    for sym in ("A", "B"):
        for name in ("poc", "state"):
            want = [
                (metric is None or metric == name)
                and (symbol is None or symbol == sym)
                and (rule.start is None or t >= rule.start)
                and (rule.end is None or t < rule.end)
                for t in bars
            ]
            assert rule.mask(sym, name, bars).tolist() == want
