"""`StreamingCalculator` equals `compute` bit for bit, one candle at a time.

The reference is `compute` on the whole history (a different code path: pandas
validation, window starts by ``searchsorted``, the parallel chunked kernel), so
these are differential tests: every column of every row must be identical
(same float bits, NaNs in the same places, same state labels), with gaps, any
parameters, and true buy volume known, unknown or missing.
"""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import assert_bit_equal, candle_dicts, candle_frames, params, stream_frame

from calculators import InvalidInputError, StreamingCalculator, compute

row_candles = candle_frames(1, 40, ticks=(0.01, 0.25, 1.0))


@st.composite
def with_optional_buy_volume(draw):
    candles = draw(row_candles)
    mode = draw(st.sampled_from(["none", "all", "some"]))
    if mode != "none":
        n = len(candles)
        shares = np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
        volume = candles["volume"].to_numpy()
        buy = np.minimum(shares * volume, volume)
        if mode == "some":
            known = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            buy = np.where(known, buy, np.nan)
        candles["buy_volume"] = buy
    return candles


@given(candles=with_optional_buy_volume(), p=params(row_size=True))
def test_streaming_equals_compute(candles, p):
    want = compute(candles, p)
    got = stream_frame(StreamingCalculator(p), candle_dicts(candles), candles.index)
    assert_bit_equal(got, want)


@given(candles=with_optional_buy_volume(), p=params(), data=st.data())
def test_snapshot_restore_mid_stream(candles, p, data):
    want = compute(candles, p)
    dicts = candle_dicts(candles)
    cut = data.draw(st.integers(0, len(dicts)))
    calc = StreamingCalculator(p)
    for d in dicts[:cut]:
        calc.update(d)
    saved = calc.snapshot()
    via = data.draw(st.sampled_from(["json", "pickle", "object"]))
    if via == "json":
        saved = json.loads(json.dumps(saved, allow_nan=False))
    elif via == "pickle":
        saved = pickle.loads(pickle.dumps(saved))
    resumed = StreamingCalculator.restore(saved)
    got = stream_frame(resumed, dicts[cut:], candles.index[cut:])
    assert_bit_equal(got, want.iloc[cut:])
    # the original goes on identically too
    assert_bit_equal(stream_frame(calc, dicts[cut:], candles.index[cut:]), want.iloc[cut:])


@given(candles=candle_frames(2, 25), p=params(), data=st.data())
def test_bad_candle_leaves_state_unchanged(candles, p, data):
    """A refused candle changes nothing: the snapshot is the same and the rest
    of the stream still equals `compute` on the history without it."""
    want = compute(candles, p)
    dicts = candle_dicts(candles)
    cut = data.draw(st.integers(1, len(dicts) - 1))
    calc = StreamingCalculator(p)
    for d in dicts[:cut]:
        calc.update(d)
    before = calc.snapshot()
    last = dicts[cut - 1]
    bad = data.draw(
        st.sampled_from(
            [
                {**last},  # duplicate time
                {**dicts[cut - 1], "ts": dicts[0]["ts"] - pd.Timedelta(minutes=1)},  # out of order
                {**dicts[cut], "high": dicts[cut]["low"] / 2},  # high < low
                {**dicts[cut], "close": dicts[cut]["high"] * 2},  # close above high
                {**dicts[cut], "volume": -1.0},
                {**dicts[cut], "volume": math.nan},
                {**dicts[cut], "open": math.inf},
                {**dicts[cut], "low": 0.0, "open": 0.0, "close": 0.0},
                {**dicts[cut], "buy_volume": dicts[cut]["volume"] + 1.0},
                {**dicts[cut], "buy_volume": -0.5},
                {**dicts[cut], "buy_volume": True},
                {**dicts[cut], "buy_volume": "lots"},
                {**dicts[cut], "ts": dicts[cut]["ts"].tz_localize(None)},  # naive time
                {k: v for k, v in dicts[cut].items() if k != "close"},
            ]
        )
    )
    with pytest.raises(InvalidInputError):
        calc.update(bad)
    assert calc.snapshot() == before
    got = stream_frame(calc, dicts[cut:], candles.index[cut:])
    assert_bit_equal(got, want.iloc[cut:])
