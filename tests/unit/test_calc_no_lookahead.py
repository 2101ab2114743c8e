"""No look-ahead on the real candle files: compute on a prefix equals the prefix of
compute, and changing later candles changes no earlier row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from strategies import read_candles

from calculators import Params, compute

pytestmark = pytest.mark.realdata

FILES = ["xrpeth-1m-2019-10-11", "btcperp-1m-2022-01", "spy-1m-2011-01", "altbtc-1m-2017-11-05"]
PARAMS = [
    Params(),
    Params(
        volume_spread="typical",
        value_area_rule="single",
        flow_estimator="bvc_normal",
        lookback_period=45,
        cvd_momentum_buckets=10,
        atr_period=7,
    ),
]


@pytest.fixture(scope="module")
def real(data_dir):
    return {name: read_candles(data_dir / f"{name}.csv.gz").iloc[:4000] for name in FILES}


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("p", PARAMS, ids=["default", "typical-bvc"])
def test_prefix_equals_restriction(real, name, p):
    candles = real[name]
    full = compute(candles, p)
    for k in [1, 2, 3, 59, 60, 61, *np.linspace(100, len(candles) - 1, 12).astype(int)]:
        pd.testing.assert_frame_equal(compute(candles.iloc[:k], p), full.iloc[:k], check_exact=True)


@pytest.mark.parametrize("name", FILES)
def test_changing_later_candles_changes_no_earlier_row(real, name):
    candles = real[name]
    p = Params()
    full = compute(candles, p)
    rng = np.random.default_rng(7)
    for t in [0, 30, 500, 2100, len(candles) - 2]:
        changed = candles.copy()
        later = changed.index > changed.index[t]
        # scale the later prices (still valid candles) and scramble their volumes
        for col in ("open", "high", "low", "close"):
            changed.loc[later, col] *= 1.07
        changed.loc[later, "volume"] = rng.permutation(changed.loc[later, "volume"].to_numpy()) * 3
        out = compute(changed, p)
        pd.testing.assert_frame_equal(out.iloc[: t + 1], full.iloc[: t + 1], check_exact=True)
        # and the change is visible right after t (the test can see a difference)
        assert not out.iloc[t + 1 :].equals(full.iloc[t + 1 :])
