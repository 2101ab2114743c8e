"""`parity_fixtures.replay`: the live engine's rows, their timing rule and the injected imperfections."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest

from calculators import InvalidInputError, Params, compute_from_trades
from parity_fixtures.replay import (
    DEFAULT_WINDOW,
    LIVE_COLUMNS,
    Imperfections,
    bar_open_time,
    default_window,
    replay_live_rows,
)
from parity_fixtures.simulator import simulate_trades

MINUTE = pd.Timedelta(minutes=1)


@pytest.fixture(scope="module")
def tape() -> pd.DataFrame:
    return simulate_trades(3, seed=11)


@pytest.fixture(scope="module")
def computed(tape) -> pd.DataFrame:
    return compute_from_trades(tape)


def bars_of(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The bar of every row by the documented rule: floor(ts to the minute) - 1 minute."""
    return pd.DatetimeIndex(bar_open_time(frame["ts"]))


def assert_rows_equal_computed(live, computed: pd.DataFrame) -> None:
    for table, columns in LIVE_COLUMNS.items():
        frame = live.frames()[table]
        assert list(frame.columns) == ["ts", *columns]
        expected = computed.loc[bars_of(frame), list(columns)].reset_index(drop=True)
        got = frame[list(columns)].reset_index(drop=True)
        for col in columns:
            if col == "state":
                assert list(got[col]) == list(expected[col]), table
            else:
                a, b = got[col].to_numpy(np.float64), expected[col].to_numpy(np.float64)
                assert np.array_equal(a, b, equal_nan=True), (table, col)


def test_rows_equal_compute_from_trades_at_their_bars(tape, computed) -> None:
    live = replay_live_rows(tape, seed=4)
    assert live.rows_per_table > 1000
    assert_rows_equal_computed(live, computed)
    # the three tables are written together
    assert live.volume_profile["ts"].equals(live.order_flow["ts"])
    assert live.volume_profile["ts"].equals(live.market_state["ts"])
    assert live.rows == 3 * live.rows_per_table


def test_default_window_is_the_last_25_hours(tape, computed) -> None:
    start, end = default_window(tape)
    last = pd.Timestamp(tape["ts"].iloc[-1])
    assert end == last.floor("min") + MINUTE
    assert end - start == DEFAULT_WINDOW == pd.Timedelta(hours=25)
    live = replay_live_rows(tape, imperfections=Imperfections.none())
    assert (live.start, live.end) == (start, end)
    bars = bars_of(live.volume_profile)
    assert bars.equals(computed.index[(computed.index >= start) & (computed.index < end)])


def test_without_imperfections_one_row_per_bar_at_the_bar_close(tape, computed) -> None:
    start, end = pd.Timestamp("2025-01-02T03:00Z"), pd.Timestamp("2025-01-02T09:00Z")
    live = replay_live_rows(tape, start=start, end=end, imperfections=Imperfections.none())
    expected_bars = computed.index[(computed.index >= start) & (computed.index < end)]
    for frame in live.frames().values():
        assert len(frame) == len(expected_bars)
        assert pd.DatetimeIndex(frame["ts"]).equals(expected_bars + MINUTE)
    assert_rows_equal_computed(live, computed)
    inj = live.injected
    assert inj.gaps == () and inj.duplicated == () and inj.bars_in_gaps == 0
    assert inj.bars_in_window == len(expected_bars)
    assert inj.delay_min_seconds == inj.delay_max_seconds == 0.0


def test_default_imperfections_appear_as_configured(tape, computed) -> None:
    live = replay_live_rows(tape, seed=5)
    inj = live.injected
    frame = live.volume_profile
    bars = bars_of(frame)
    window = computed.index[(computed.index >= live.start) & (computed.index < live.end)]

    # one restart gap of 12 minutes, on whole minutes, in the window's middle half
    (gap,) = inj.gaps
    assert gap.minutes == 12 and gap.end - gap.start == 12 * MINUTE
    assert gap.start == gap.start.floor("min")
    quarter = (live.end - live.start) / 4
    assert gap.start >= live.start + quarter and gap.end <= live.end - quarter
    in_gap = (window >= gap.start) & (window < gap.end)
    assert inj.bars_in_gaps == int(in_gap.sum()) > 0
    assert not ((bars >= gap.start) & (bars < gap.end)).any()
    # every other bar of the window is written
    assert set(bars) == set(window[~in_gap])

    # 0.5 % of the written bars twice, with identical values, a few hundred ms later
    written = len(window) - inj.bars_in_gaps
    assert len(inj.duplicated) == int(np.floor(0.005 * written + 0.5)) >= 1
    counts = pd.Series(bars).value_counts()
    assert set(counts[counts == 2].index) == set(inj.duplicated)
    assert counts.max() == 2
    for table_frame in live.frames().values():
        dup_rows = table_frame[bars.isin(list(inj.duplicated))]
        values = dup_rows.drop(columns="ts").reset_index(drop=True)
        pd.testing.assert_frame_equal(
            values.iloc[0::2].reset_index(drop=True), values.iloc[1::2].reset_index(drop=True)
        )
    ts = pd.DatetimeIndex(frame["ts"])
    second = np.r_[False, bars[1:] == bars[:-1]]
    lags = (ts[second] - ts[np.r_[second[1:], False]]).total_seconds()
    assert len(lags) == len(inj.duplicated)
    assert np.all((lags >= 0.2) & (lags <= 0.8))

    # write delays of the first writes within 1..8 s of the bar close, microsecond resolution
    delays = (ts[~second] - (bars[~second] + MINUTE)).total_seconds()
    assert np.all((delays >= 1.0) & (delays <= 8.0))
    assert delays.min() == inj.delay_min_seconds and delays.max() == inj.delay_max_seconds
    assert np.all(ts.asi8 % 1000 == 0)
    assert len(np.unique(np.round(delays, 3))) > 100  # drawn, not constant
    # rows in write order
    assert ts.is_monotonic_increasing
    assert_rows_equal_computed(live, computed)


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(tape) -> None:
    a = replay_live_rows(tape, seed=9)
    b = replay_live_rows(tape, seed=9)
    c = replay_live_rows(tape, seed=10)
    for table in LIVE_COLUMNS:
        pd.testing.assert_frame_equal(a.frames()[table], b.frames()[table])
    assert a.injected == b.injected
    assert not a.volume_profile["ts"].equals(c.volume_profile["ts"])
    assert a.injected.gaps != c.injected.gaps or a.injected.duplicated != c.injected.duplicated


def test_each_imperfection_switches_off_alone_without_changing_the_others(tape) -> None:
    full = replay_live_rows(tape, seed=3)
    no_dup = replay_live_rows(tape, seed=3, imperfections=Imperfections(duplicate_share=0))
    assert no_dup.injected.duplicated == ()
    assert no_dup.injected.gaps == full.injected.gaps
    assert len(no_dup.volume_profile) == len(full.volume_profile) - len(full.injected.duplicated)
    assert set(no_dup.volume_profile["ts"]) <= set(full.volume_profile["ts"])
    # the same bars, written at the same times: only the second writes are gone
    full_bars = bars_of(full.volume_profile)
    firsts = full.volume_profile[~np.r_[False, full_bars[1:] == full_bars[:-1]]]
    pd.testing.assert_frame_equal(firsts.reset_index(drop=True), no_dup.volume_profile)

    no_gap = replay_live_rows(tape, seed=3, imperfections=Imperfections(restart_gap_minutes=()))
    assert no_gap.injected.gaps == () and no_gap.injected.bars_in_gaps == 0
    assert set(no_dup.volume_profile["ts"]) <= set(no_gap.volume_profile["ts"])

    fixed = replay_live_rows(
        tape,
        seed=3,
        imperfections=Imperfections(
            write_delay_seconds=(2.5, 2.5), restart_gap_minutes=(), duplicate_share=0
        ),
    )
    frame = fixed.volume_profile
    delays = (pd.DatetimeIndex(frame["ts"]) - bars_of(frame) - MINUTE).total_seconds()
    assert np.all(delays == 2.5)


def test_several_gaps_do_not_overlap(tape) -> None:
    live = replay_live_rows(
        tape, seed=1, imperfections=Imperfections(restart_gap_minutes=(30, 5, 60))
    )
    gaps = live.injected.gaps
    assert [g.minutes for g in gaps] == [30, 5, 60]
    for a, b in itertools.pairwise(gaps):
        assert a.end <= b.start
    bars = bars_of(live.volume_profile)
    for g in gaps:
        assert not ((bars >= g.start) & (bars < g.end)).any()


def test_the_window_honours_the_warm_up_and_the_params(tape) -> None:
    params = Params(lookback_period=30, cvd_momentum_buckets=3)
    start, end = pd.Timestamp("2025-01-03T00:00Z"), pd.Timestamp("2025-01-03T02:00Z")
    live = replay_live_rows(tape, params, start=start, end=end, imperfections=Imperfections.none())
    assert_rows_equal_computed(live, compute_from_trades(tape, params))
    # the first bar's window reaches back before the window start
    cold = compute_from_trades(tape[pd.DatetimeIndex(tape["ts"]) >= start], params)
    first = live.volume_profile.iloc[0]
    assert first["total_volume"] > cold["total_volume"].iloc[0]


def test_a_window_that_is_only_bounded_on_one_side(tape) -> None:
    end = pd.Timestamp("2025-01-03T12:00Z")
    live = replay_live_rows(tape, end=end, imperfections=Imperfections.none())
    assert (live.start, live.end) == (end - DEFAULT_WINDOW, end)
    start = pd.Timestamp("2025-01-03T20:00")  # naive: UTC
    live = replay_live_rows(tape, start=start, imperfections=Imperfections.none())
    assert live.start == start.tz_localize("UTC") and live.end == default_window(tape)[1]


def test_bar_open_time_rule() -> None:
    ts = pd.Series(pd.to_datetime(["2025-01-01T10:01:03.5Z", "2025-01-01T10:01:59.999999Z"]))
    assert list(bar_open_time(ts)) == [pd.Timestamp("2025-01-01T10:00Z")] * 2
    assert bar_open_time(pd.Timestamp("2025-01-01T10:01:00Z")) == pd.Timestamp("2025-01-01T10:00Z")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"write_delay_seconds": (5, 1)}, "low <= high"),
        ({"write_delay_seconds": (-1, 1)}, "low <= high"),
        ({"write_delay_seconds": "fast"}, "(low, high)"),
        ({"write_delay_seconds": (1, 59.5)}, "< 60 s"),
        ({"restart_gap_minutes": (0,)}, "whole number"),
        ({"restart_gap_minutes": (1.5,)}, "whole number"),
        ({"restart_gap_minutes": 12}, "tuple"),
        ({"duplicate_share": 1.5}, "[0, 1]"),
        ({"duplicate_share": True}, "[0, 1]"),
    ],
)
def test_bad_imperfections_are_refused(kwargs, message) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        Imperfections(**kwargs)


def test_bad_windows_and_tapes_are_refused(tape) -> None:
    with pytest.raises(InvalidInputError, match="whole minute"):
        replay_live_rows(tape, start="2025-01-02T00:00:30Z")
    with pytest.raises(InvalidInputError, match="empty"):
        replay_live_rows(tape, start="2025-01-02T00:00Z", end="2025-01-02T00:00Z")
    with pytest.raises(InvalidInputError, match="too short"):
        replay_live_rows(tape, start="2025-01-02T00:00Z", end="2025-01-02T00:20Z")
    with pytest.raises(InvalidInputError, match="no trades"):
        replay_live_rows(tape.iloc[:0])
    with pytest.raises(InvalidInputError, match="seed"):
        replay_live_rows(tape, seed=-1)
    # a short window is fine without gaps
    live = replay_live_rows(
        tape,
        start="2025-01-02T00:00Z",
        end="2025-01-02T00:30Z",
        imperfections=Imperfections(restart_gap_minutes=()),
    )
    assert 0 < live.rows_per_table <= 30


@pytest.mark.postgres
def test_rows_survive_the_database_and_join_back_to_their_bars(fresh_db, tape, computed) -> None:
    from parity.db.connect import connect
    from parity.db.schema import apply_schema, ensure_symbol
    from parity.db.store import read_live_rows, write_live_rows

    live = replay_live_rows(tape, seed=2)
    conn = connect(fresh_db)
    try:
        apply_schema(conn)
        sid = ensure_symbol(conn, "SIM", 0.01)
        assert write_live_rows(conn, sid, **live.frames()) == live.rows
        conn.commit()
        for table, columns in LIVE_COLUMNS.items():
            stored = read_live_rows(conn, table, sid)
            written = live.frames()[table]
            assert len(stored) == len(written)
            assert pd.DatetimeIndex(stored["ts"]).equals(pd.DatetimeIndex(written["ts"]))
            bars = pd.DatetimeIndex(bar_open_time(stored["ts"]))
            expected = computed.loc[bars, list(columns)]
            for col in columns:
                if col == "state":
                    assert list(stored[col]) == list(expected[col])
                else:
                    assert np.array_equal(
                        stored[col].to_numpy(), expected[col].to_numpy(), equal_nan=True
                    ), (table, col)
    finally:
        conn.close()
