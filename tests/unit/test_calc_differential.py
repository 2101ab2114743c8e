"""Differential tests on the real candle files.

1. The per-timestamp API (`Backtest*Calculator`, candle dicts with ``ts``) gives
   exactly (``==``) the row of `calculators.compute` for the same bar.
2. `compute_from_trades` on a tape whose trades all sit at each candle's close
   (a buy and a sell of half the volume each) equals `compute` with
   ``volume_spread="close"`` and ``flow_estimator="clr"`` on the candles
   aggregated from that tape: the minute candle is a doji at the close, so the
   close spread puts the volume where the trades are and clr's 50/50 is the
   true split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from strategies import candle_dicts, read_candles

from calculators import (
    BacktestATRCalculator,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
    Params,
    candles_from_trades,
    compute,
    compute_from_trades,
)

pytestmark = pytest.mark.realdata

FILES = {
    "xrpeth-1m-2019-10-11": 1e-7,  # name: an explicit row size for one parameter set
    "btcperp-1m-2022-01": 5.0,
    "altbtc-1m-2017-11-05": 1e-7,
    "spy-1m-2011-01": 0.01,
    "linkusdt-perp-1m-2023-02": 0.001,
}
#: bars checked per file and parameter set
SAMPLES = 15


def param_sets(row_size: float) -> list[Params]:
    return [
        Params(),
        Params(
            lookback_period=30,
            value_area_rule="single",
            volume_spread="typical",
            flow_estimator="tick",
            atr_period=5,
            cvd_momentum_buckets=3,
            poc_distance_threshold=0.3,
        ),
        Params(
            lookback_period=90,
            volume_spread="close",
            flow_estimator="bvc_normal",
            value_area_pct=85.0,
            momentum_threshold=0.2,
            cvd_pressure_threshold=5.0,
        ),
        Params(
            row_size=row_size,
            flow_estimator="clr",
            lookback_period=15,
            bvc_df=1.0,
            value_area_pct=100.0,
        ),
    ]


@pytest.fixture(scope="module")
def real(data_dir) -> dict[str, pd.DataFrame]:
    # the longest files are cut to two weeks: enough windows, and fast
    return {name: read_candles(data_dir / f"{name}.csv.gz").iloc[:20_000] for name in FILES}


def per_timestamp_row(dicts: list[dict], p: Params) -> dict:
    profile = BacktestVolumeProfileCalculator(p).calculate_profile(dicts)
    flow = BacktestOrderFlowCalculator(p).calculate_flow(dicts)
    state = BacktestMarketStateCalculator(p).calculate_state(
        dicts[-1]["close"], dicts, profile, flow
    )
    atr = BacktestATRCalculator(p).calculate_atr(dicts)
    return {**profile, **flow, **state, "atr": atr}


def assert_rows_equal(candles: pd.DataFrame, out: pd.DataFrame, p: Params, rows) -> None:
    for t in rows:
        # the window plus a few older bars the calculators must ignore
        first = max(0, t - p.lookback_period - 5)
        got = per_timestamp_row(candle_dicts(candles.iloc[first : t + 1]), p)
        want = out.iloc[t]
        for key, value in got.items():
            assert value == want[key], (
                f"row {t} ({candles.index[t]}): {key} {value!r} != {want[key]!r}"
            )


@pytest.mark.parametrize("name", FILES)
def test_per_timestamp_equals_compute(real, name):
    candles = real[name]
    # every Nth bar, plus the first bars (short windows) and the last one
    rows = sorted(
        {0, 1, 2, len(candles) - 1, *np.linspace(3, len(candles) - 2, SAMPLES).astype(int)}
    )
    for p in param_sets(FILES[name]):
        out = compute(candles, p)
        assert_rows_equal(candles, out, p, rows)


def test_spy_samples_include_bars_after_gaps(real):
    # the SPY file is gappy: check the first bars of sessions, where the window is short
    candles = real["spy-1m-2011-01"]
    gaps = np.flatnonzero(np.diff(candles.index.asi8) > 60 * 60 * 10**9) + 1
    assert len(gaps) > 5
    rows = sorted({int(g) + k for g in gaps[:6] for k in (0, 1, 7)})
    for p in param_sets(0.01)[:2]:
        assert_rows_equal(candles, compute(candles, p), p, rows)


# --- compute_from_trades on a close-only tape == compute(close spread, clr) ----------------


def tape_at_closes(candles: pd.DataFrame) -> pd.DataFrame:
    """Two trades per candle with volume, at its close: a buy of half the volume at
    +10 s and a sell of the other half at +20 s."""
    c = candles[candles["volume"] > 0]
    half = c["volume"].to_numpy() / 2
    ts = np.concatenate(
        [
            (c.index + pd.Timedelta(seconds=10)).to_numpy(),
            (c.index + pd.Timedelta(seconds=20)).to_numpy(),
        ]
    )
    tape = pd.DataFrame(
        {
            "ts": ts,
            "price": np.concatenate([c["close"].to_numpy()] * 2),
            "amount": np.concatenate([half, half]),
            "side": ["buy"] * len(c) + ["sell"] * len(c),
        }
    )
    return tape.sort_values("ts", kind="stable").reset_index(drop=True)


TRADE_PARAMS = [
    Params(volume_spread="close", flow_estimator="clr"),
    Params(
        volume_spread="close",
        flow_estimator="clr",
        value_area_rule="single",
        lookback_period=20,
        value_area_pct=50.0,
        atr_period=3,
        cvd_momentum_buckets=2,
    ),
]


@pytest.mark.parametrize("name", ["xrpeth-1m-2019-10-11", "spy-1m-2011-01", "btcperp-1m-2022-01"])
@pytest.mark.parametrize("p", TRADE_PARAMS, ids=["default", "single-20m"])
def test_compute_from_trades_equals_compute_on_close_tape(real, name, p):
    candles = real[name].iloc[:1500]
    tape = tape_at_closes(candles)
    aggregated = candles_from_trades(tape)
    # the aggregated minute candles are dojis at the close with the whole volume
    kept = candles[candles["volume"] > 0]
    assert (aggregated.index == kept.index).all()
    for col in ("open", "high", "low"):
        assert (aggregated[col] == kept["close"]).all()
    assert (aggregated["volume"] == kept["volume"]).all()
    assert (aggregated["buy_volume"] * 2 == aggregated["volume"]).all()

    exact = compute_from_trades(tape, p)
    from_candles = compute(aggregated[["open", "high", "low", "close", "volume"]], p)
    pd.testing.assert_frame_equal(exact, from_candles, check_exact=True, check_names=False)
