"""The accuracy scripts and the calculators benchmark run end to end on small slices."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.realdata


def _run(script: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc


def _doc(tmp_path: Path, start: str, end: str) -> Path:
    doc = tmp_path / "accuracy.md"
    doc.write_text(f"# head\n\nprose before\n\n{start}\nstale table\n{end}\n\nprose after\n")
    return doc


def _table_rows(markdown: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]


def test_estimator_accuracy_quick_has_every_estimator_and_data_set(data_dir, tmp_path) -> None:
    start, end = "<!-- estimator-table:start -->", "<!-- estimator-table:end -->"
    doc = _doc(tmp_path, start, end)
    proc = _run(
        "scripts/estimator_accuracy.py", "--quick", "--data-dir", str(data_dir),
        "--write", "--doc", str(doc),
    )  # fmt: skip
    out = proc.stdout
    rows = _table_rows(out)
    main = [r for r in rows if len(r) == 8 and r[0] != "data set"]
    data_sets = {r[0] for r in main}
    assert data_sets == {
        "XRP/ETH tape, 1-min bars",
        "XRP/ETH tape, 5-min bars",
        "XRP/ETH tape, 15-min bars",
        "linkusdt-perp-1m-2023-02",
        "avaxusdt-perp-1m-2023-09",
        "dotusdt-perp-1m-2024-11",
    }
    estimators = [
        "50/50 baseline", "clr", "tick", "bvc_normal",
        "bvc_t df 0.25", "bvc_t df 1", "bvc_t df 4", "tick_bvc", "path (default)",
    ]  # fmt: skip
    for name in data_sets:
        assert [r[3] for r in main if r[0] == name] == estimators, name
    for r in main:
        accuracy = float(r[4])
        assert 0.0 < accuracy <= 1.0
        if r[3] == "50/50 baseline":
            assert r[5] == "+0.000" and r[6] == "—" and r[7] == "50.0 %"
        else:
            assert -1.0 <= float(r[6]) <= 1.0
    # the BTC tapes are listed with their bar counts, not measured
    assert "`btcusdt-trades-2021-01-08` gives n = 1" in out
    assert "`btcusdt-perp-trades-2024-08-08` gives n = 6" in out
    assert "**Best overall on these files:" in out
    assert "Sensitivity of bvc_t" in out and "acc 1440" in out
    assert "| bvc_df |" in out

    text = doc.read_text()
    assert "stale table" not in text
    assert text.startswith("# head\n\nprose before\n\n" + start + "\n")
    assert text.endswith(end + "\n\nprose after\n")
    assert out.strip() in text


def test_profile_accuracy_quick_has_every_model_rule_and_row_size(data_dir, tmp_path) -> None:
    start, end = "<!-- profile-table:start -->", "<!-- profile-table:end -->"
    doc = _doc(tmp_path, start, end)
    proc = _run(
        "scripts/profile_accuracy.py", "--quick", "--data-dir", str(data_dir),
        "--write", "--doc", str(doc),
    )  # fmt: skip
    rows = [r for r in _table_rows(proc.stdout) if len(r) == 9 and r[0] != "volume_spread"]
    combos = {(r[0], r[1], r[2]) for r in rows}
    assert combos == {
        (spread, rule, size)
        for spread in ("close", "uniform", "typical", "path")
        for rule in ("pair", "single")
        for size in ("auto", "1e-08")
    }
    for r in rows:
        assert int(r[3].replace(",", "")) > 500  # minutes with trades in a day, minus the warm-up
        assert 0.0 <= float(r[4].rstrip(" %")) <= 100.0
        for cell in r[6:]:
            median, p95 = (float(x) for x in cell.split(" / "))
            assert 0 <= median <= p95
    ranked = [r[1] for r in _table_rows(proc.stdout) if len(r) == 6 and r[0] != "rank"]
    assert sorted(ranked) == ["close", "path", "typical", "uniform"]
    assert "**Best spreading model on these files:" in proc.stdout
    text = doc.read_text()
    assert "stale table" not in text and proc.stdout.strip() in text
    assert text.endswith(end + "\n\nprose after\n")


def _fidelity():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import fidelity
    finally:
        sys.path.pop(0)
    return fidelity


def test_fidelity_warmup_mask_leaves_out_the_first_hour_of_every_stretch() -> None:
    fidelity = _fidelity()
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    minutes = [0, 1, 59, 60, 61, 130, 189, 190, 200]  # a 69-minute gap after minute 61
    index = pd.DatetimeIndex([t0 + pd.Timedelta(minutes=m) for m in minutes])
    # stretch 1 starts at 0: minutes >= 60 are kept; stretch 2 starts at 130: >= 190
    assert fidelity.warmup_mask(index, 60).tolist() == [
        False, False, False, True, True, False, False, True, True,
    ]  # fmt: skip


def test_fidelity_functions_on_a_small_slice(data_dir) -> None:
    fidelity = _fidelity()
    sets = fidelity.load_data_sets(data_dir, days=0.25, seeds=(11,), sim_days=0.25)
    names = [ds.name for ds in sets]
    assert names == [
        "XRP/ETH tape", "LTC/USDT tape", "BTC/USDT tape", "BTC/USDT perp tape",
        "LINK perp (true flow)", "AVAX perp (true flow)", "DOT perp (true flow)",
        "simulated seed 11",
    ]  # fmt: skip
    default = fidelity.Setting("default", {})
    tick = fidelity.Setting("tick", {"flow_estimator": "tick"})
    results = fidelity.measure(sets, [default, tick], with_buy_volume=True)
    by = {(r["data set"], r["candles"], r["setting"]): r for _, r in results.iterrows()}
    for (name, candles, _), r in by.items():
        if name.startswith("BTC"):
            # minutes long: nothing after the one-hour warm-up, only the per-bar volume
            assert r["bars"] == 0 and pd.isna(r["kappa"]) and 0.0 < r["vol_acc"] <= 1.0
            continue
        assert r["bars"] > 200
        assert 0.0 <= r["agreement"] <= 1.0 and -1.0 <= r["kappa"] <= 1.0
        assert r["matched"] <= min(r["candidate_trades"], r["reference_trades"])
        if r["candidate_trades"] + r["reference_trades"]:
            union = r["candidate_trades"] + r["reference_trades"] - r["matched"]
            assert r["match"] == pytest.approx(r["matched"] / union)
        if candles == "OHLCV + buy_volume":
            assert r["vol_acc"] == pytest.approx(1.0)  # the true flow, spliced in
    # on a true-flow candle file the candidate given its own buy volume is the reference
    link = next(ds for ds in sets if ds.kind == "flow")
    p = fidelity.Params()
    same = fidelity.fidelity(
        link.bars,
        fidelity.reference_frame(link, p),
        fidelity.candidate_frame(link, p, with_buy_volume=True),
        p,
    )
    assert same["agreement"] == 1.0 and same["kappa"] == 1.0 and same["vol_acc"] == 1.0
    assert same["match"] in (1.0, None)
    table = fidelity.render(results, "test")
    assert "| XRP/ETH tape | OHLCV | default |" in table
    assert "too short for a state or a trade" in table


def test_fidelity_main_writes_its_section(data_dir, tmp_path) -> None:
    start, end = "<!-- fidelity-table:start -->", "<!-- fidelity-table:end -->"
    doc = _doc(tmp_path, start, end)
    proc = _run(
        "scripts/fidelity.py", "--days", "0.15", "--data-dir", str(data_dir),
        "--write", "--doc", str(doc),
    )  # fmt: skip
    assert "path (default)" in proc.stdout and "path / pair (default)" in proc.stdout
    assert "OHLCV + buy_volume" in proc.stdout
    text = doc.read_text()
    assert "stale table" not in text and proc.stdout.strip() in text


def test_bench_calculators_small_prints_one_json_document(data_dir) -> None:
    proc = _run(
        "benchmarks/bench_calculators.py", "--rows", "3000", "--per-timestamp-rows", "100",
        "--streaming-rows", "500", "--repeat", "1", "--no-cold-compile", "--data-dir", str(data_dir),
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert set(report) >= {
        "benchmark", "data", "params", "compute", "per_timestamp", "streaming",
        "naive_reference", "vs_naive", "ratio_per_row", "memory", "targets", "machine",
    }  # fmt: skip
    assert report["data"]["rows"] == 3000
    assert report["data"]["source"] in ("simulator", "random_walk")
    compute = report["compute"]
    assert {"seconds", "us_per_row", "repeat", "first_call_seconds", "cold_compile_seconds"} <= set(
        compute
    )
    assert compute["seconds"] > 0 and compute["cold_compile_seconds"] is None
    per_ts = report["per_timestamp"]
    assert per_ts["rows"] == 100 and per_ts["us_per_row"] > 0
    assert per_ts["rows_equal_to_compute"] == 100  # the two paths agree row for row
    assert per_ts["window_candles_max"] == 60  # the last 60 minutes, no more
    assert report["ratio_per_row"] > 1
    streaming = report["streaming"]
    assert streaming["rows"] == 500 and streaming["rows_equal_to_compute_bitwise"] == 500
    assert report["naive_reference"]["us_per_row"] > 0
    vs = report["vs_naive"]
    assert vs["per_timestamp"] > 0 and vs["streaming"] > 0 and vs["compute"] > 0
    assert set(vs["met"]) == {"per_timestamp", "streaming", "compute", "peak_mib"}
    memory = report["memory"]
    assert 0 < memory["before_compute_mib"] <= memory["peak_mib"]
    assert set(report["targets"]) >= {
        "year_seconds", "year_seconds_met", "ratio_met", "peak_mib_met",
    }  # fmt: skip


def _flow_research():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import flow_research
    finally:
        sys.path.pop(0)
    return flow_research


def test_flow_research_path_feature_equals_the_package_estimator(data_dir) -> None:
    # two implementations of the `path` share: the script's vectorised numpy and
    # the package's per-window Numba kernel (the last bar of each window)
    research = _flow_research()
    fidelity = _fidelity()
    sets = fidelity.load_data_sets(data_dir, days=0.25, seeds=(11,), sim_days=0.25)
    for ds in (s for s in sets if len(s.bars) > 100):
        mine = 0.5 + research.features(ds.bars)["path"].to_numpy()
        theirs = research._package_share(ds)
        close = np.isclose(mine, theirs, rtol=0, atol=1e-9)
        # only a motionless bar whose last tick sign lies before its window may differ
        assert close.mean() > 0.995, ds.name


def test_flow_research_fit_recovers_known_coefficients(data_dir) -> None:
    research = _flow_research()
    fidelity = _fidelity()
    link = next(
        ds
        for ds in fidelity.load_data_sets(data_dir, days=0.5, seeds=(), sim_days=0.5)
        if ds.kind == "flow"
    )
    feats = research.features(link.bars)[list(research.FEATURES)].to_numpy()
    # a market whose share is exactly 0.5 + 0.3 * path - 0.1 * clr
    bars = link.bars.copy()
    share = 0.5 + 0.3 * feats[:, 0] - 0.1 * feats[:, 3]
    bars["buy_volume"] = share * bars["volume"]
    fitted = research.fit_linear([fidelity.DataSet("x", "flow", bars)])
    expected = np.zeros(len(research.FEATURES))
    expected[0], expected[3] = 0.3, -0.1
    np.testing.assert_allclose(fitted, expected, atol=1e-9)
    # the true share as the estimate: window pressure equal, correlation 1
    truth = research.window_pressure(bars, research.true_share(bars))
    np.testing.assert_allclose(truth, research.window_pressure(bars, share), atol=1e-12)
    assert 0.0 <= truth.min() and truth.max() <= 1.0


def test_flow_research_main_writes_its_section(data_dir, tmp_path) -> None:
    start, end = "<!-- flow-research:start -->", "<!-- flow-research:end -->"
    doc = _doc(tmp_path, start, end)
    proc = _run(
        "scripts/flow_research.py", "--days", "0.3", "--data-dir", str(data_dir),
        "--write", "--doc", str(doc),
    )  # fmt: skip
    for label in (
        "path (default)", "learned", "oracle alpha 0.4", "best in-sample", "Noise of the tape",
    ):  # fmt: skip
        assert label in proc.stdout
    text = doc.read_text()
    assert "stale table" not in text and proc.stdout.strip() in text
