"""`parity.compare_frames` and the report it writes, without a database.

The world: a simulated trade tape; the "live" rows are the exact path
(`compute_from_trades`), the candle-only calculators see the candles without
their buy volume, so the two sides differ the way a real engine and this
project do.  Identity check: live rows = `compute(candles)` give perfect parity.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import parity
from calculators import candles_from_trades, compute, compute_from_trades
from parity.common.plots import minmax_indices, time_trace_arrays
from parity.errors import ParityError
from parity.harness.config import HarnessConfig
from parity.harness.report import DIVERGENCE_COLUMNS, render_html
from parity.harness.report_view import build_view
from parity_fixtures.simulator import simulate_trades

HOURS = 25


def world(hours: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(candles without buy volume, live rows from the tape) over ``hours`` + 1 h lookback."""
    trades = simulate_trades((hours + 1) / 24, seed=seed, tick_size=0.01)
    live = compute_from_trades(trades)
    candles = candles_from_trades(trades)[["open", "high", "low", "close", "volume"]]
    return candles, live.loc[live.index >= live.index[0] + pd.Timedelta(hours=1)]


@pytest.fixture(scope="module")
def small():
    candles, live = world(4, seed=5)
    return candles, live, parity.compare_frames(candles, live, symbol="SIM-USD", tick_size=0.01)


def test_identical_sides_give_perfect_parity():
    candles, _ = world(2, seed=9)
    calc = compute(candles)
    live = calc.loc[calc.index >= calc.index[0] + pd.Timedelta(hours=1)]
    result = parity.compare_frames(candles, live, symbol="SAME", tick_size=0.01)
    assert result.divergences.empty
    metrics = result.summary["metrics"]
    assert metrics["state"]["match_rate"] == 1.0
    assert metrics["poc"]["match_rate"] == 1.0
    assert result.summary["compared_minutes"] == len(live)
    assert result.result.episodes == []


def test_frames_comparison_summary_and_divergences(small):
    _, live, result = small
    assert result.summary["symbol"] == "SIM-USD"
    # every live minute has its full lookback of candles before it: all compared
    assert result.summary["compared_minutes"] == len(live)
    assert not result.divergences.empty
    assert set(result.divergences["metric"]) <= set(result.summary["metrics"])
    counted = sum(m.get("divergent", 0) for m in result.summary["metrics"].values())
    assert len(result.divergences) == counted
    assert "SIM-USD" in repr(result)
    page = result._repr_html_()
    assert "<table" in page and "SIM-USD" in page and "<script" not in page


def test_tick_size_is_inferred_from_the_prices(small):
    candles, live, _ = small
    inferred = parity.compare_frames(candles, live)
    assert inferred.summary["tick_size"] == pytest.approx(0.01)


def test_bad_frames_are_parity_errors(small):
    candles, live, _ = small
    with pytest.raises(ParityError, match="UTC DatetimeIndex"):
        parity.compare_frames(candles, live.reset_index(drop=True))
    with pytest.raises(ParityError, match="overlap"):
        parity.compare_frames(candles, live, start=live.index[-1], end=live.index[0])


def test_written_report_has_typed_parquet_and_reproducibility(small, tmp_path):
    _, _, result = small
    out = result.write_report(tmp_path / "rep")
    document = json.loads((out / "parity.json").read_text())
    repro = document["reproducibility"]
    assert repro["package_version"] == parity.__version__
    assert repro["report_format_version"] >= 2
    assert repro["created_utc"].endswith("+00:00")
    assert set(repro["versions"]) >= {"numpy", "numba", "pandas"}
    assert repro["versions"]["numpy"] == np.__version__
    table = pq.read_table(out / "divergences.parquet")
    assert table.column_names == list(DIVERGENCE_COLUMNS)
    frame = table.to_pandas()
    lines = (out / "divergences.jsonl").read_text().splitlines()
    assert len(frame) == len(lines) == len(result.divergences)
    assert str(table.schema.field("minute").type) == "timestamp[ns, tz=UTC]"
    assert str(table.schema.field("live_value").type) == "double"
    states = frame[frame["metric"] == "state"]
    numbers = frame[frame["metric"] != "state"]
    assert states["live_label"].notna().all() and states["live_value"].isna().all()
    assert numbers["live_value"].notna().all() and numbers["live_label"].isna().all()
    first = json.loads(lines[0])
    row = frame.iloc[0]
    assert (row["metric"], row["symbol"]) == (first["metric"], first["symbol"])


def test_report_view_explains_the_longest_episodes(small):
    _, _, result = small
    episodes = result.result.episodes
    assert 1 <= len(episodes) <= 5
    lengths = [e["minutes"] for e in episodes]
    assert lengths == sorted(lengths, reverse=True)
    longest = max(
        m["episodes"]["longest"] for m in result.summary["metrics"].values() if "episodes" in m
    )
    assert lengths[0] == longest
    for e in episodes:
        assert len(e["candles"]["time"]) <= 60
        assert e["candles"]["time"][-1].startswith(e["first"][:16])
        assert sum(e["profile"]["volume"]) == pytest.approx(sum(e["candles"]["volume"]))
        for side in ("live", "calculated"):
            state = e["state"][side]
            assert state["rule"] in (1, 2, 3, 4)
            # the rule the side's inputs fire gives the state that side stored
            expected = {1: "BALANCE", 2: "IMBALANCE_UP", 3: "IMBALANCE_DOWN", 4: "BALANCE"}
            assert expected[state["rule"]] == state["state"]


def test_twenty_symbols_of_25_hours_make_a_page_under_5_mb(tmp_path):
    results = []
    reports = []
    for n in range(20):
        candles, live = world(HOURS, seed=100 + n)
        r = parity.compare_frames(candles, live, symbol=f"SYM{n:02d}", tick_size=0.01)
        results.append(r.result)
        reports.append(r.report)
    report = dict(reports[0])
    report["symbols"] = {k: v for r in reports for k, v in r["symbols"].items()}
    report["gate"] = []
    page = render_html(report, results)
    size = len(page.encode("utf-8"))
    (tmp_path / "size.txt").write_text(str(size))
    print(f"page for 20 symbols x {HOURS} h: {size / 1e6:.2f} MB")
    assert size <= 5_000_000
    assert page.count('id="plotly-js-gz"') == 1
    assert page.count('class="plot"') >= 20


@given(
    values=st.lists(st.floats(-1e6, 1e6) | st.just(float("nan")), min_size=1, max_size=400),
    buckets=st.integers(1, 50),
)
def test_minmax_downsampling_keeps_every_bucket_extreme(values, buckets):
    y = np.array(values)
    keep = minmax_indices(y, buckets)
    assert np.all(np.diff(keep) > 0) and keep[0] == 0 and keep[-1] == len(y) - 1
    assert len(keep) <= max(len(y) if len(y) <= 4 * buckets else 0, 4 * buckets)
    if len(y) > 4 * buckets:
        edges = np.linspace(0, len(y), buckets + 1).astype(int)
        for lo, hi in itertools.pairwise(edges):
            part = y[lo:hi]
            kept = y[keep[(keep >= lo) & (keep < hi)]]
            if np.isfinite(part).any():
                assert np.nanmax(kept) == np.nanmax(part)
                assert np.nanmin(kept) == np.nanmin(part)


def test_a_long_window_is_downsampled_visibly_and_keeps_its_spike():
    index = pd.date_range("2025-01-01", periods=5000, freq="1min", tz="UTC")
    y = np.sin(np.arange(5000) / 50.0)
    y[3217] = 40.0  # one minute's spike
    arrays, thinned = time_trace_arrays(index, y)
    assert thinned and len(arrays["y"]) < 5000 / 1.5
    assert max(arrays["y"]) == 40.0
    assert arrays["x"][int(np.argmax(arrays["y"]))] == index[3217].value // 1_000_000
    short, thinned_short = time_trace_arrays(index[:1500], y[:1500])
    assert not thinned_short and short["dx"] == 60_000 and len(short["y"]) == 1500


def test_the_timeline_says_when_it_is_downsampled():
    candles, live = world(60, seed=3)
    result = parity.compare_frames(candles, live, HarnessConfig(), tick_size=0.01)
    view = build_view(result.report, [result.result])
    symbol = view.symbols[0]
    assert symbol.downsampled
    notes = [a.text for a in symbol.timeline.layout.annotations]
    assert any("downsampled" in n for n in notes)


def test_svg_charts_of_the_backtest_pages_keep_a_one_minute_spike():
    from parity.common import svg

    index = pd.date_range("2025-01-01", periods=200_000, freq="1min", tz="UTC")
    y = np.zeros(len(index))
    y[123_457] = 1.0  # one minute in 200,000
    chart = svg.line_chart("equity", index, [("equity", y, "#000", "")])
    points = chart.split('points="')[1].split('"')[0].split()
    assert len(points) <= 2 * svg.MAX_POINTS
    top = min(float(p.split(",")[1]) for p in points)
    assert top == pytest.approx(svg.TOP)  # the spike reaches the top of the plot
