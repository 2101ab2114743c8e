"""The seeded market simulator: determinism, tick grid, regimes, activity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calculators import InvalidInputError, Params, candles_from_trades, validate_trades
from parity_fixtures.simulator import (
    REGIMES,
    SimulationResult,
    SimulatorConfig,
    simulate,
    simulate_candles,
    simulate_trades,
)

MINUTE = pd.Timedelta(minutes=1)


@pytest.fixture(scope="module")
def ten_days() -> SimulationResult:
    return simulate(10, seed=11)


@pytest.fixture(scope="module")
def ten_day_candles(ten_days: SimulationResult) -> pd.DataFrame:
    return candles_from_trades(ten_days.trades)


def _regime_of_trades(result: SimulationResult) -> np.ndarray:
    """The regime label of each trade's minute."""
    return result.regimes.reindex(result.trades["ts"].dt.floor("min")).to_numpy()


def _on_grid(values: np.ndarray, tick: float) -> bool:
    ratio = np.asarray(values, dtype=float) / tick
    return bool(np.all(np.abs(ratio - np.round(ratio)) < 1e-9))


# --- shape of the output -------------------------------------------------------


def test_trade_columns_types_and_order(ten_days: SimulationResult) -> None:
    trades = ten_days.trades
    assert list(trades.columns) == ["ts", "trade_id", "price", "amount", "side"]
    assert isinstance(trades["ts"].dtype, pd.DatetimeTZDtype)
    assert str(trades["ts"].dt.tz) == "UTC"
    assert trades["ts"].dt.unit == "ns"
    assert trades["trade_id"].dtype == np.int64
    assert np.array_equal(trades["trade_id"].to_numpy(), np.arange(len(trades)))
    assert trades["price"].dtype == np.float64
    assert trades["amount"].dtype == np.float64
    assert (trades["amount"] > 0).all()
    assert (trades["price"] > 0).all()
    assert set(trades["side"].unique()) == {"buy", "sell"}
    assert trades["ts"].is_monotonic_increasing
    validate_trades(trades)  # the calculators accept the tape as it is


def test_horizon_and_start() -> None:
    result = simulate(0.5, seed=3, start="2024-03-05T06:00:00Z")
    start = pd.Timestamp("2024-03-05T06:00:00Z")
    assert len(result.regimes) == 720
    assert result.regimes.index[0] == start
    assert result.regimes.index[-1] == start + 719 * MINUTE
    assert result.trades["ts"].min() >= start
    assert result.trades["ts"].max() < start + 720 * MINUTE
    assert int(result.trade_counts.sum()) == len(result.trades)


def test_naive_start_is_utc_and_other_zones_convert() -> None:
    naive = simulate(0.1, seed=1, start="2024-01-01 00:00")
    paris = simulate(0.1, seed=1, start="2024-01-01T01:00:00+01:00")
    assert naive.regimes.index[0] == pd.Timestamp("2024-01-01T00:00:00Z")
    pd.testing.assert_frame_equal(naive.trades, paris.trades)


def test_trade_counts_match_the_tape(ten_days: SimulationResult) -> None:
    per_minute = ten_days.trades.groupby(ten_days.trades["ts"].dt.floor("min")).size()
    counts = ten_days.trade_counts
    assert counts.index.equals(ten_days.regimes.index)
    pd.testing.assert_series_equal(
        counts[counts > 0], per_minute.rename("trades"), check_names=False, check_index_type=False
    )


def test_timestamps_are_whole_milliseconds(ten_days: SimulationResult) -> None:
    # The CSV output stores ts_ms; a round trip must not change any time.
    ns = pd.DatetimeIndex(ten_days.trades["ts"]).asi8
    assert (ns % 1_000_000 == 0).all()


def test_simulate_candles_is_candles_of_simulate_trades() -> None:
    candles = simulate_candles(1, seed=9, tick_size=0.05)
    expected = candles_from_trades(simulate_trades(1, seed=9, tick_size=0.05))
    pd.testing.assert_frame_equal(candles, expected)
    assert {"open", "high", "low", "close", "volume", "buy_volume"} <= set(candles.columns)


# --- determinism ---------------------------------------------------------------


def _digest(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=True).to_numpy()


def test_same_seed_gives_identical_bytes() -> None:
    first = simulate(2, seed=42)
    second = simulate(2, seed=42)
    assert np.array_equal(_digest(first.trades), _digest(second.trades))
    assert first.trades["price"].to_numpy().tobytes() == second.trades["price"].to_numpy().tobytes()
    assert (
        first.trades["amount"].to_numpy().tobytes() == second.trades["amount"].to_numpy().tobytes()
    )
    pd.testing.assert_series_equal(first.regimes, second.regimes)
    pd.testing.assert_frame_equal(first.segments, second.segments)


def test_different_seeds_differ() -> None:
    a = simulate_trades(2, seed=1)
    b = simulate_trades(2, seed=2)
    assert len(a) != len(b) or not np.array_equal(_digest(a), _digest(b))
    assert not np.array_equal(a["price"].to_numpy()[:100], b["price"].to_numpy()[:100])


def test_no_global_random_state_is_used() -> None:
    np.random.seed(0)  # noqa: NPY002 - the legacy global state must not matter
    first = simulate_trades(0.5, seed=5)
    np.random.seed(12345)  # noqa: NPY002
    np.random.random(1000)  # noqa: NPY002
    second = simulate_trades(0.5, seed=5)
    assert np.array_equal(_digest(first), _digest(second))


# --- tick grid -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_price", "tick"),
    [
        (100.0, 0.01),
        (100.0, 0.5),
        (40_000.0, 0.1),
        (1.2345, 0.0001),
        (0.00141, 1e-8),
        (2_500.0, 0.25),
        (73.0, 1.0),
    ],
)
def test_prices_and_candles_on_the_tick_grid(start_price: float, tick: float) -> None:
    trades = simulate_trades(2, seed=21, start_price=start_price, tick_size=tick)
    assert _on_grid(trades["price"].to_numpy(), tick)
    # The float is the one that ``ticks * tick`` rounded to the tick's decimals gives.
    ticks = np.round(trades["price"].to_numpy() / tick).astype(np.int64)
    decimals = len(f"{tick:.12f}".rstrip("0").split(".")[1])
    assert np.array_equal(np.round(ticks * tick, decimals), trades["price"].to_numpy())
    candles = candles_from_trades(trades)
    for column in ("open", "high", "low", "close"):
        assert _on_grid(candles[column].to_numpy(), tick), column
    # the price stays in a sane range of the start price over two days
    assert trades["price"].between(start_price * 0.8, start_price * 1.25).all()


def test_amounts_are_lots() -> None:
    config = SimulatorConfig(amount_step=0.5, amount_median=3.0)
    amount = simulate_trades(1, seed=4, config=config)["amount"].to_numpy()
    assert _on_grid(amount, 0.5)
    assert amount.min() >= 0.5


# --- regimes ---------------------------------------------------------------------


def test_both_regimes_occur_and_alternate(ten_days: SimulationResult) -> None:
    labels = set(ten_days.regimes.unique())
    assert labels <= set(REGIMES)
    assert {"BALANCE", "IMBALANCE_UP", "IMBALANCE_DOWN"} <= labels
    share_balance = (ten_days.regimes == "BALANCE").mean()
    assert 0.4 < share_balance < 0.9
    kinds = (ten_days.segments["regime"] == "BALANCE").to_numpy()
    assert (kinds[1:] != kinds[:-1]).all(), "balance and imbalance segments must alternate"
    # the per-minute labels are the segments, expanded
    expanded = np.repeat(
        ten_days.segments["regime"].to_numpy(), ten_days.segments["minutes"].to_numpy()
    )
    assert np.array_equal(expanded, ten_days.regimes.to_numpy())


def test_regime_lengths_are_tens_of_minutes_to_hours(ten_days: SimulationResult) -> None:
    minutes = ten_days.segments["minutes"].to_numpy()[:-1]  # the last one is cut at the horizon
    assert minutes.min() >= 10
    assert minutes.max() <= 8 * 60
    assert 30 <= np.median(minutes) <= 240
    assert len(ten_days.segments) >= 20


def test_buy_share_by_regime(ten_days: SimulationResult) -> None:
    trades = ten_days.trades
    regime = _regime_of_trades(ten_days)
    buy = np.where(trades["side"].to_numpy() == "buy", trades["amount"].to_numpy(), 0.0)
    share = {}
    for label in REGIMES:
        mask = regime == label
        share[label] = buy[mask].sum() / trades["amount"].to_numpy()[mask].sum()
    assert 0.45 < share["BALANCE"] < 0.55
    assert 0.62 < share["IMBALANCE_UP"] < 0.78
    assert 0.22 < share["IMBALANCE_DOWN"] < 0.38
    assert share["IMBALANCE_UP"] > share["BALANCE"] + 0.1
    assert share["IMBALANCE_DOWN"] < share["BALANCE"] - 0.1


def test_imbalance_moves_reach_the_detector_thresholds(
    ten_days: SimulationResult, ten_day_candles: pd.DataFrame
) -> None:
    params = Params()
    window = params.lookback_period
    index = ten_days.regimes.index
    close = ten_day_candles["close"].reindex(index).ffill()
    momentum = (close / close.shift(window) - 1) * 100
    buy = ten_day_candles["buy_volume"].reindex(index, fill_value=0.0).rolling(window).sum()
    volume = ten_day_candles["volume"].reindex(index, fill_value=0.0).rolling(window).sum()
    pressure = (2 * buy - volume) / volume * 100
    up = (momentum >= params.momentum_threshold) & (pressure >= params.cvd_pressure_threshold)
    down = (momentum <= -params.momentum_threshold) & (pressure <= -params.cvd_pressure_threshold)
    assert up.sum() >= 60, "an hour-long window with strong up momentum and buying should occur"
    assert down.sum() >= 60
    # and not all the time: balance dominates
    assert (up | down).mean() < 0.5
    # those windows end in (or just after) imbalance
    regime = ten_days.regimes
    assert (regime[up] == "IMBALANCE_UP").mean() > 0.5
    assert (regime[down] == "IMBALANCE_DOWN").mean() > 0.5


def test_balance_stays_near_its_center(ten_days: SimulationResult) -> None:
    trades = ten_days.trades
    balance = _regime_of_trades(ten_days) == "BALANCE"
    segment = np.repeat(np.arange(len(ten_days.segments)), ten_days.segments["minutes"].to_numpy())
    segment_of_trade = (
        pd.Series(segment, index=ten_days.regimes.index)
        .reindex(trades["ts"].dt.floor("min"))
        .to_numpy()
    )
    frame = pd.DataFrame(
        {
            "segment": segment_of_trade[balance],
            "price": trades["price"].to_numpy()[balance],
            "amount": trades["amount"].to_numpy()[balance],
        }
    )
    frame["notional"] = frame["price"] * frame["amount"]
    sums = frame.groupby("segment")[["notional", "amount"]].sum()
    center = (sums["notional"] / sums["amount"]).reindex(frame["segment"]).to_numpy()
    distance = np.abs(frame["price"].to_numpy() / center - 1) * 100
    assert (distance < 1.0).mean() > 0.99
    assert distance.max() < 1.5
    # while an imbalance segment moves well beyond that
    imb = ten_days.segments[ten_days.segments["regime"] != "BALANCE"]
    moved = np.abs(imb["end_price"] / imb["start_price"] - 1) * 100
    assert (moved > 1.5).any()


# --- activity ----------------------------------------------------------------------


def test_quiet_minutes_exist(ten_days: SimulationResult) -> None:
    minutes = ten_days.regimes.index
    active = pd.DatetimeIndex(ten_days.trades["ts"].dt.floor("min").unique())
    quiet = minutes.difference(active)
    assert 0.005 * len(minutes) < len(quiet) < 0.10 * len(minutes)
    assert set(quiet) == set(minutes[ten_days.trade_counts.to_numpy() == 0])


def test_no_quiet_minutes_when_disabled() -> None:
    config = SimulatorConfig(quiet_minute_prob=0.0)
    result = simulate(1, seed=8, config=config)
    assert (result.trade_counts > 0).all()
    assert len(candles_from_trades(result.trades)) == 1440


def test_intraday_seasonality(ten_days: SimulationResult, ten_day_candles: pd.DataFrame) -> None:
    volume = ten_day_candles["volume"].reindex(ten_days.regimes.index, fill_value=0.0)
    by_hour = volume.groupby(volume.index.hour).mean()
    assert len(by_hour) == 24
    assert by_hour.max() > 1.5 * by_hour.min()


def test_seasonality_follows_the_configured_peak() -> None:
    config = SimulatorConfig(seasonality_peak_hour=3.0, seasonality_amplitude=0.8)
    result = simulate(10, seed=2, config=config)
    counts = result.trade_counts
    by_hour = counts.groupby(counts.index.hour).mean()
    assert by_hour.idxmax() in (1, 2, 3, 4, 5)
    assert by_hour.idxmin() in (13, 14, 15, 16, 17)


def test_flat_activity_without_seasonality() -> None:
    config = SimulatorConfig(seasonality_amplitude=0.0)
    counts = simulate(10, seed=2, config=config).trade_counts
    by_hour = counts.groupby(counts.index.hour).mean()
    assert by_hour.max() < 1.3 * by_hour.min()


def test_a_year_of_minutes() -> None:
    result = simulate(365, seed=2025)
    candles = candles_from_trades(result.trades)
    minutes = 365 * 1440
    quiet = minutes - len(candles)
    assert len(result.regimes) == minutes
    assert 0.005 * minutes < quiet < 0.10 * minutes
    assert quiet == int((result.trade_counts == 0).sum())
    assert 1_000_000 <= len(result.trades) <= 3_000_000
    # the pull toward the start price keeps a year in a sane range
    assert 20 < candles["low"].min() and candles["high"].max() < 500


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"symbol_days": 0, "seed": 1},
        {"symbol_days": -1, "seed": 1},
        {"symbol_days": float("nan"), "seed": 1},
        {"symbol_days": 1e-5, "seed": 1},
        {"symbol_days": 1, "seed": -1},
        {"symbol_days": 1, "seed": 1.5},
        {"symbol_days": 1, "seed": 1, "start": "2025-01-01T00:00:30Z"},
        {"symbol_days": 1, "seed": 1, "start": "not a time"},
        {"symbol_days": 1, "seed": 1, "tick_size": 0},
        {"symbol_days": 1, "seed": 1, "tick_size": 1e-14},
        {"symbol_days": 1, "seed": 1, "start_price": -5},
        {"symbol_days": 1, "seed": 1, "config": {"trades_per_minute": 3}},
    ],
)
def test_bad_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(InvalidInputError):
        simulate(**kwargs)


@pytest.mark.parametrize(
    "changes",
    [
        {"trades_per_minute": 0},
        {"quiet_minute_prob": 1.0},
        {"seasonality_amplitude": 1.0},
        {"balance_reversion": 0.0},
        {"balance_minutes_min": 0},
        {"imbalance_minutes_max": 10},
        {"imbalance_drift_max_pct": 1.0},
        {"imbalance_aggression_max": 0.45},
        {"amount_step": 0},
        {"count_dispersion": float("inf")},
        {"trade_noise_bps": "1"},
    ],
)
def test_bad_config_raises(changes: dict) -> None:
    with pytest.raises(InvalidInputError):
        SimulatorConfig(**changes)


def test_config_is_frozen() -> None:
    config = SimulatorConfig()
    with pytest.raises(AttributeError):
        config.trades_per_minute = 5.0  # type: ignore[misc]
