"""Property tests of the kernels over extreme floats (issue 8, part 2).

Not collected by the main run (the name has no ``test_`` prefix): a crash of
the Numba kernels (segmentation fault, LLVM abort) would kill pytest, so
``test_api.py::test_extreme_floats_never_crash_the_kernels`` runs this file in
a child process.  Every example must give a result or `InvalidInputError`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators import (
    BacktestVolumeProfileCalculator,
    InvalidInputError,
    compute,
    compute_from_trades,
)

SUBNORMALS = st.sampled_from([5e-324, 1e-320, 2.2e-310, 1e-308])
HUGE = st.floats(min_value=1e250, max_value=1e300)
TINY = st.floats(min_value=1e-300, max_value=1e-250)
ANY = st.floats(min_value=1e-300, max_value=1e300)
PRICE = st.one_of(ANY, HUGE, TINY, SUBNORMALS, st.floats(min_value=0.5, max_value=2e4))
VOLUME = st.one_of(st.just(0.0), ANY, HUGE, SUBNORMALS, st.floats(min_value=0, max_value=1e3))


@st.composite
def candle_frames(draw) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=25))
    rows = []
    for _ in range(n):
        low, a, b, high = sorted(draw(st.lists(PRICE, min_size=4, max_size=4)))
        rows.append((a, high, low, b, draw(VOLUME)))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=90), min_size=n, max_size=n))
    index = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.cumsum(gaps), unit="min")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume"], index=index)


PARAMS = st.fixed_dictionaries(
    {
        "lookback_period": st.integers(min_value=1, max_value=10_080),
        "volume_spread": st.sampled_from(["close", "uniform", "typical"]),
        "row_size": st.one_of(st.none(), ANY, SUBNORMALS),
    }
)


def _outcome(call) -> None:
    try:
        result = call()
    except InvalidInputError as exc:
        assert "\n" not in str(exc)
        return
    assert len(result) > 0


@settings(max_examples=50, deadline=None)
@given(candle_frames(), PARAMS)
def test_compute_gives_a_result_or_refuses(frame, params):
    _outcome(lambda: compute(frame, params))


@settings(max_examples=25, deadline=None)
@given(candle_frames(), PARAMS)
def test_per_timestamp_gives_a_result_or_refuses(frame, params):
    _outcome(lambda: [BacktestVolumeProfileCalculator(params).calculate_profile(frame)])


@settings(max_examples=35, deadline=None)
@given(
    st.lists(st.tuples(PRICE, st.one_of(ANY, SUBNORMALS)), min_size=1, max_size=40),
    st.lists(st.integers(min_value=0, max_value=200_000), min_size=40, max_size=40),
    PARAMS,
)
def test_compute_from_trades_gives_a_result_or_refuses(trades, steps_ms, params):
    ts = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
        np.cumsum(steps_ms[: len(trades)]), unit="ms"
    )
    tape = pd.DataFrame(
        {
            "ts": ts,
            "price": [p for p, _ in trades],
            "amount": [a for _, a in trades],
            "side": ["buy" if i % 3 else "sell" for i in range(len(trades))],
        }
    )
    _outcome(lambda: compute_from_trades(tape, params))
