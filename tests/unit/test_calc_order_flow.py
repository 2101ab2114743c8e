"""Order flow: hand-computed cases of every estimator, doji and zero-volume bars.

Expected values come from the formulas of the `calculators.order_flow`
docstring, worked out in the comments; the normal and Student-t CDFs are
computed here independently (``math.erf``, closed forms, numerical
integration of the t density) and compared within 1e-7 (the kernel reads
the CDFs from an interpolated table).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from strategies import ESTIMATORS, candle_dicts, frame

from calculators import BacktestOrderFlowCalculator, InvalidInputError, Params, compute
from calculators.order_flow import ESTIMATOR_CODES, buy_fractions, cdf_table

FLOW = [
    "buy_volume",
    "sell_volume",
    "delta",
    "cumulative_delta",
    "buy_pressure",
    "sell_pressure",
    "cvd_momentum",
]


def phi(z: float) -> float:
    """Standard normal CDF."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def student_t_cdf(z: float, df: float) -> float:
    """Student-t CDF by integrating its density (Simpson, after t = tan(theta) to
    tame the heavy tails), independent of SciPy."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density_theta(theta: float) -> float:  # f(tan th) * d tan th / d th
        t = math.tan(theta)
        return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df)) / math.cos(theta) ** 2

    end = math.atan(abs(z))
    steps = 20_000
    h = end / steps
    s = density_theta(0.0) + density_theta(end)
    s += sum((4 if k % 2 else 2) * density_theta(k * h) for k in range(1, steps))
    half = s * h / 3
    return 0.5 + half if z >= 0 else 0.5 - half


def fractions(rows, estimator, df=0.25, gain=1.0):
    """buy_fractions of candles ``(open, high, low, close)``, one window."""
    o, h, lo, c = (np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))
    out = np.empty(len(rows))
    table = cdf_table(estimator, df)
    buy_fractions(o, h, lo, c, 0, len(rows) - 1, ESTIMATOR_CODES[estimator], table, out, gain)
    return out


# --- the independent CDFs are right (so they can judge the kernel) ----------------------


def test_reference_cdfs():
    assert phi(0.0) == 0.5
    assert phi(1.959963984540054) == pytest.approx(0.975, abs=1e-12)
    # t with 1 degree of freedom is Cauchy: 0.5 + atan(z) / pi
    for z in (-3.0, -0.4, 0.7, 12.0):
        assert student_t_cdf(z, 1.0) == pytest.approx(0.5 + math.atan(z) / math.pi, abs=1e-10)
    # t with 2 degrees of freedom: 0.5 + z / (2 sqrt(2 + z^2))
    for z in (-2.5, 0.3, 4.0):
        assert student_t_cdf(z, 2.0) == pytest.approx(
            0.5 + z / (2 * math.sqrt(2 + z * z)), abs=1e-10
        )


# --- clr -----------------------------------------------------------------------------


def test_clr_hand_case():
    # open 10, high 12, low 9, close 11.5, volume 30:
    # f = (11.5 - 9) / (12 - 9) = 2.5 / 3 = 5/6 -> buy 25, sell 5, delta 20;
    # one bar: cumulative delta 20, buy pressure 100 * 25 / 30 = 83.33, sell 16.67.
    out = compute(frame([(10.0, 12.0, 9.0, 11.5, 30.0)]), Params(flow_estimator="clr")).iloc[0]
    assert out["buy_volume"] == pytest.approx(25.0, rel=1e-12)
    assert out["sell_volume"] == pytest.approx(5.0, rel=1e-12)
    assert out["delta"] == pytest.approx(20.0, rel=1e-12)
    assert out["cumulative_delta"] == pytest.approx(20.0, rel=1e-12)
    assert out["buy_pressure"] == pytest.approx(250.0 / 3, rel=1e-12)
    assert out["sell_pressure"] == pytest.approx(50.0 / 3, rel=1e-12)


def test_clr_window_two_bars():
    # bar 0: (c - l) / (h - l) = (9.5 - 9) / (10 - 9) = 0.5 of 40 -> buy 20
    # bar 1: (10 - 9.5) / (11 - 9.5) = 1/3 of 60 -> buy 20, sell 40, delta -20
    # window: buy 40 of 100 -> pressure 40/60, cumulative delta 80 - 100 = -20
    candles = frame([(9.8, 10.0, 9.0, 9.5, 40.0), (9.5, 11.0, 9.5, 10.0, 60.0)])
    out = compute(candles, Params(flow_estimator="clr")).iloc[1]
    assert out["buy_volume"] == pytest.approx(20.0, rel=1e-12)
    assert out["delta"] == pytest.approx(-20.0, rel=1e-12)
    assert out["cumulative_delta"] == pytest.approx(-20.0, rel=1e-12)
    assert out["buy_pressure"] == pytest.approx(40.0, rel=1e-12)
    assert out["sell_pressure"] == pytest.approx(60.0, rel=1e-12)


# --- tick ----------------------------------------------------------------------------

# closes 10, 11, 11, 10.5, 10.5 (bar 0 opens at 10); volumes 10, 20, 30, 40, 50
TICK_BARS = [
    (10.0, 10.5, 9.5, 10.0, 10.0),
    (10.0, 11.5, 9.5, 11.0, 20.0),
    (11.0, 11.5, 10.5, 11.0, 30.0),
    (11.0, 11.5, 10.0, 10.5, 40.0),
    (10.5, 11.0, 10.0, 10.5, 50.0),
]


def test_tick_rule_hand_case_with_carried_sign():
    # bar 0: close 10 vs its own open 10: no change, no sign yet -> f = 0.5 -> buy 5
    # bar 1: 11 > 10 up -> f = 1 -> buy 20
    # bar 2: 11 = 11 no change -> carries "up" -> f = 1 -> buy 30
    # bar 3: 10.5 < 11 down -> f = 0 -> buy 0
    # bar 4: 10.5 = 10.5 -> carries "down" -> f = 0 -> buy 0
    assert fractions([b[:4] for b in TICK_BARS], "tick").tolist() == [0.5, 1.0, 1.0, 0.0, 0.0]
    out = compute(frame(TICK_BARS), Params(flow_estimator="tick", cvd_momentum_buckets=2))
    last = out.iloc[-1]
    # window: buy 5 + 20 + 30 = 55 of 150 -> pressure 100 * 55 / 150 = 36.67;
    # cumulative delta 2 * 55 - 150 = -40; last bar buy 0, sell 50, delta -50;
    # CVD momentum over 2 one-minute buckets: bars 3 and 4: (0 - 40) + (0 - 50) = -90
    assert (last["buy_volume"], last["sell_volume"], last["delta"]) == (0.0, 50.0, -50.0)
    assert last["cumulative_delta"] == -40.0
    assert last["buy_pressure"] == pytest.approx(100 * 55 / 150, rel=1e-12)
    assert last["cvd_momentum"] == -90.0
    # bar 2's own window is bars 0..2: buy 5 + 20 + 30 = 55 of 60
    assert out["buy_pressure"].iloc[2] == pytest.approx(100 * 55 / 60, rel=1e-12)


def test_tick_first_bar_of_the_window_compares_with_its_own_open():
    # bar 0 closes at 100; bar 1 opens 61 minutes later at 90 and closes at 90.5.
    # A 60-minute window at bar 1 holds bar 1 alone: 90.5 > its open 90 -> up -> f = 1
    # (against the previous close 100 it would be down, f = 0).
    candles = frame([(100.0, 100.5, 99.5, 100.0, 5.0), (90.0, 91.0, 89.5, 90.5, 8.0)], [0, 61])
    out = compute(candles, Params(flow_estimator="tick", lookback_period=60)).iloc[1]
    assert (out["buy_volume"], out["sell_volume"]) == (8.0, 0.0)
    # with a 62-minute window bar 0 is in: 90.5 vs 100 -> down -> f = 0
    out = compute(candles, Params(flow_estimator="tick", lookback_period=62)).iloc[1]
    assert (out["buy_volume"], out["sell_volume"]) == (0.0, 8.0)


def test_tick_sign_does_not_carry_across_the_window_start():
    # closes 10 (open 9: up), then 10, 10 one minute apart.  With a 2-minute window
    # bar 2's window is bars 1, 2: bar 1 vs its own open 10 -> no change, no sign;
    # bar 2 vs 10 -> no change -> still no sign: f = 0.5 (not bar 0's "up").
    candles = frame(
        [(9.0, 10.0, 9.0, 10.0, 1.0), (10.0, 10.0, 10.0, 10.0, 2.0), (10.0, 10.0, 10.0, 10.0, 4.0)]
    )
    out = compute(candles, Params(flow_estimator="tick", lookback_period=2))
    assert out["buy_volume"].tolist() == [1.0, 2.0, 2.0]  # bar 1: 10 vs 10 after "up"


# --- bulk volume classification --------------------------------------------------------

BVC_BARS = [
    (100.0, 101.5, 99.5, 101.0, 10.0),
    (101.0, 101.2, 100.2, 100.5, 20.0),
    (100.5, 102.5, 100.4, 102.0, 30.0),
]
# dP: bar 0 close - open = 1; bar 1: 100.5 - 101 = -0.5; bar 2: 102 - 100.5 = 1.5.
# mean 2/3; deviations 1/3, -7/6, 5/6; squares 4/36, 49/36, 25/36 (sum 78/36);
# population variance 78/36/3 = 13/18; sigma = sqrt(13/18) = 0.84984.
SIGMA = math.sqrt(13 / 18)
DP = (1.0, -0.5, 1.5)


def test_bvc_normal_hand_case():
    expected = [phi(dp / SIGMA) for dp in DP]  # 0.8807, 0.2789, 0.9612
    got = fractions([b[:4] for b in BVC_BARS], "bvc_normal")
    assert got == pytest.approx(expected, abs=1e-7)
    out = compute(frame(BVC_BARS), Params(flow_estimator="bvc_normal")).iloc[-1]
    # last bar: buy = 30 * Phi(1.5 / sigma); window buy pressure
    # = 100 * (10 f0 + 20 f1 + 30 f2) / 60
    assert out["buy_volume"] / 30 == pytest.approx(expected[2], abs=1e-7)
    pressure = 100 * (10 * expected[0] + 20 * expected[1] + 30 * expected[2]) / 60
    assert out["buy_pressure"] == pytest.approx(pressure, abs=1e-6)


@pytest.mark.parametrize(
    ("df", "cdf"),
    [
        (1.0, lambda z: 0.5 + math.atan(z) / math.pi),  # Cauchy
        (2.0, lambda z: 0.5 + z / (2 * math.sqrt(2 + z * z))),
        (0.25, lambda z: student_t_cdf(z, 0.25)),  # the default: no closed form
        (5.0, lambda z: student_t_cdf(z, 5.0)),
    ],
)
def test_bvc_t_hand_case(df, cdf):
    expected = [cdf(dp / SIGMA) for dp in DP]
    assert fractions([b[:4] for b in BVC_BARS], "bvc_t", df) == pytest.approx(expected, abs=1e-7)
    out = compute(frame(BVC_BARS), Params(flow_estimator="bvc_t", bvc_df=df)).iloc[-1]
    assert out["buy_volume"] / 30 == pytest.approx(expected[2], abs=1e-7)


def test_bvc_first_bar_uses_its_own_open_and_sigma_zero_is_half():
    # one bar: dP = close - open, sigma of one value = 0 -> f = 0.5
    for est in ("bvc_normal", "bvc_t"):
        assert fractions([(100.0, 103.0, 99.0, 102.0)], est).tolist() == [0.5]
        # equal price changes: sigma = 0 -> 0.5 each
        bars = [(100.0, 101.0, 100.0, 101.0), (101.0, 102.0, 101.0, 102.0)]
        assert fractions(bars, est).tolist() == [0.5, 0.5]


# --- path, tick_bvc and flow_gain -------------------------------------------------------

PATH_BARS = [
    # open, high, low, close, volume
    (10.0, 12.0, 9.0, 11.0, 10.0),
    (11.0, 11.0, 10.0, 10.0, 20.0),
    (10.5, 10.5, 10.5, 10.5, 30.0),
    (10.5, 10.5, 10.5, 10.5, 40.0),
    (10.5, 10.75, 10.25, 10.5, 50.0),
]


def test_path_hand_case():
    # bar 0 (first of the window: no gap leg): the low is nearer the open (1 < 2):
    #   10 -> 9 (fall 1), 9 -> 12 (rise 3), 12 -> 11 (fall 1): f = 3 / 5 = 0.6
    # bar 1: gap 11 -> 11 none; the high is the open (0 < 1): 11 -> 11, 11 -> 10 (fall 1),
    #   10 -> 10: f = 0 / 1 = 0
    # bar 2: gap 10 -> 10.5 (rise 0.5), a flat bar: f = 0.5 / 0.5 = 1
    # bar 3: no gap, flat: no move -> the tick rule's sign, up since bar 2 (10.5 > 10): f = 1
    # bar 4: open in the middle (0.25 each way) and close = open: both tie -> high first:
    #   10.5 -> 10.75 (rise 0.25), 10.75 -> 10.25 (fall 0.5), 10.25 -> 10.5 (rise 0.25):
    #   f = 0.5 / 1.0 = 0.5
    got = fractions([b[:4] for b in PATH_BARS], "path")
    assert got.tolist() == [0.6, 0.0, 1.0, 1.0, 0.5]
    out = compute(frame(PATH_BARS), Params(flow_estimator="path", cvd_momentum_buckets=2))
    last = out.iloc[-1]
    # window buy: 6 + 0 + 30 + 40 + 25 = 101 of 150; last bar 25 / 25
    assert (last["buy_volume"], last["sell_volume"], last["delta"]) == (25.0, 25.0, 0.0)
    assert last["cumulative_delta"] == 2 * 101.0 - 150.0
    assert last["buy_pressure"] == pytest.approx(100 * 101 / 150, rel=1e-12)
    assert last["cvd_momentum"] == (2 * 40.0 - 40.0) + 0.0


def test_path_flat_bars_before_any_sign_are_half():
    bars = [(5.0, 5.0, 5.0, 5.0), (5.0, 5.0, 5.0, 5.0)]
    assert fractions(bars, "path").tolist() == [0.5, 0.5]


def test_path_share_is_half_plus_net_change_over_twice_the_path_length():
    # the identity of the docstring on one bar with a gap: previous close 100, then
    # open 101, high 104, low 100.5, close 103 -> the low is nearer (0.5 < 3):
    # path 100 -> 101 -> 100.5 -> 104 -> 103: length 1 + 0.5 + 3.5 + 1 = 6, net +3
    bars = [(100.0, 100.0, 100.0, 100.0), (101.0, 104.0, 100.5, 103.0)]
    assert fractions(bars, "path")[1] == pytest.approx(0.5 + 3.0 / (2 * 6.0), rel=1e-15)


def test_tick_bvc_hand_case():
    # dP: bar 0 close - open = 1; bar 1: 0; bar 2: -1.  mean 0, sigma = sqrt(2 / 3).
    # bar 0: Phi(1 / sigma); bar 1: no change -> repeats bar 0; bar 2: Phi(-1 / sigma)
    bars = [(10.0, 11.0, 10.0, 11.0), (11.0, 11.5, 10.5, 11.0), (11.0, 11.0, 10.0, 10.0)]
    sigma = math.sqrt(2.0 / 3.0)
    up, down = phi(1.0 / sigma), phi(-1.0 / sigma)
    assert fractions(bars, "tick_bvc") == pytest.approx([up, up, down], abs=1e-7)
    # no change yet, or sigma 0: 0.5
    flat = [(10.0, 10.0, 10.0, 10.0), (10.0, 10.5, 9.5, 10.0)]
    assert fractions(flat, "tick_bvc").tolist() == [0.5, 0.5]


@pytest.mark.parametrize("estimator", ["clr", "path", "bvc_normal"])
def test_flow_gain_pushes_shares_away_from_half_and_clips(estimator):
    bars = [b[:4] for b in PATH_BARS]
    base = fractions(bars, estimator)
    for gain in (0.5, 2.0, 3.0):
        expected = np.clip(0.5 + gain * (base - 0.5), 0.0, 1.0)
        assert fractions(bars, estimator, gain=gain) == pytest.approx(expected, abs=1e-15)


def test_flow_gain_reaches_compute_and_the_per_timestamp_api():
    # clr of bar 0 is (11 - 9) / 3 = 2/3; gain 2 -> 0.5 + 2 / 6 = 5/6 of volume 10
    p = Params(flow_estimator="clr", flow_gain=2.0)
    out = compute(frame(PATH_BARS[:1]), p)
    assert out["buy_volume"].iloc[0] == pytest.approx(10.0 * 5.0 / 6.0, rel=1e-12)
    flow = BacktestOrderFlowCalculator(p).calculate_flow(candle_dicts(frame(PATH_BARS[:1])))
    assert flow["buy_volume"] == out["buy_volume"].iloc[0]


@pytest.mark.parametrize("gain", [0.0, -1.0, 101.0])
def test_flow_gain_out_of_range_is_refused(gain):
    with pytest.raises(InvalidInputError, match="flow_gain"):
        Params(flow_gain=gain)


# --- doji and zero-volume bars, every estimator ------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_doji_bars(estimator):
    # high == low on every bar, prices moving between bars
    bars = [
        (100.0, 100.0, 100.0, 100.0, 3.0),
        (100.5, 100.5, 100.5, 100.5, 5.0),
        (100.5, 100.5, 100.5, 100.5, 0.0),
        (99.0, 99.0, 99.0, 99.0, 7.0),
    ]
    out = compute(frame(bars), Params(flow_estimator=estimator))
    assert not out[FLOW].isna().any().any()
    assert ((out["buy_volume"] >= 0) & (out["sell_volume"] >= 0)).all()
    assert (out["buy_volume"] + out["sell_volume"]).tolist() == [3.0, 5.0, 0.0, 7.0]
    if estimator == "clr":  # a doji has no location: 50/50
        assert out["buy_volume"].tolist() == [1.5, 2.5, 0.0, 3.5]
    if estimator in ("tick", "path"):  # 100 vs own open: none; up; carried up; down
        assert out["buy_volume"].tolist() == [1.5, 5.0, 0.0, 0.0]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_zero_volume_window(estimator):
    bars = [(100.0, 101.0, 99.0, 100.5, 0.0), (100.5, 100.5, 100.5, 100.5, 0.0)]
    out = compute(frame(bars), Params(flow_estimator=estimator))
    for col in ("buy_volume", "sell_volume", "delta", "cumulative_delta", "cvd_momentum"):
        assert out[col].tolist() == [0.0, 0.0]
    assert out["buy_pressure"].tolist() == [50.0, 50.0]
    assert out["sell_pressure"].tolist() == [50.0, 50.0]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_zero_volume_bar_between_bars_with_volume(estimator):
    bars = [
        (100.0, 101.0, 99.0, 100.5, 4.0),
        (100.5, 102.0, 100.0, 101.0, 0.0),
        (101.0, 101.0, 101.0, 101.0, 6.0),
    ]
    out = compute(frame(bars), Params(flow_estimator=estimator))
    assert out.iloc[1][["buy_volume", "sell_volume", "delta"]].tolist() == [0.0, 0.0, 0.0]
    assert (out["buy_pressure"] + out["sell_pressure"]).tolist() == pytest.approx([100.0] * 3)
    assert not out[FLOW].isna().any().any()


def test_pressure_never_exceeds_100():
    # regression (found by this suite, fixed in 73098bf): 100.0 * buy_sum / vol_sum
    # rounded to 100.00000000000001 for about 7 % of volumes, and the sell pressure to
    # -1.4e-14
    # one bar closing at its high: clr f = (10 - 9.99) / (10 - 9.99) = 1, everything is
    # bought; the buy pressure is 100 %, the sell pressure 0 %, not below
    volume = 698415.2833847991
    out = compute(frame([(10.0, 10.0, 9.99, 10.0, volume)]), Params(flow_estimator="clr"))
    assert out["buy_volume"].iloc[0] == volume
    assert out["buy_pressure"].iloc[0] <= 100.0
    assert out["sell_pressure"].iloc[0] >= 0.0


def test_per_timestamp_lookback_buckets_argument():
    # calculate_flow(candles, lookback_buckets=2) is the CVD momentum over 2 buckets
    calc = BacktestOrderFlowCalculator(Params(flow_estimator="tick"))
    dicts = candle_dicts(frame(TICK_BARS))
    assert calc.calculate_flow(dicts, lookback_buckets=2)["cvd_momentum"] == -90.0
    # 5 buckets: every bar: 2 * 55 - 150 = -40
    assert calc.calculate_flow(dicts, lookback_buckets=5)["cvd_momentum"] == -40.0
    # 1 bucket: the last bar's delta
    assert calc.calculate_flow(dicts, lookback_buckets=1)["cvd_momentum"] == -50.0
