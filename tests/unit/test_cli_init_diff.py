"""``parity init``, ``parity diff`` and ``gate --baseline`` printing the diff,
on a parity.json written by `parity.compare_frames` (no database)."""

from __future__ import annotations

import copy
import json
import tomllib

import pandas as pd
import pytest

import parity
from calculators import candles_from_trades, compute_from_trades
from parity.cli import main
from parity.harness.diff import report_diff
from parity.harness.init import STARTER_STATISTICS
from parity_fixtures.simulator import simulate_trades


@pytest.fixture(scope="module")
def report_path(tmp_path_factory):
    trades = simulate_trades(4 / 24, seed=11, tick_size=0.01)
    live = compute_from_trades(trades)
    live = live.loc[live.index >= live.index[0] + pd.Timedelta(hours=1)]
    candles = candles_from_trades(trades)[["open", "high", "low", "close", "volume"]]
    out = tmp_path_factory.mktemp("rep") / "parity-report"
    parity.compare_frames(candles, live, symbol="SIM", tick_size=0.01).write_report(out)
    return out / "parity.json"


def test_init_writes_thresholds_at_the_measured_values_less_the_margin(report_path, tmp_path):
    toml = tmp_path / "parity.toml"
    assert main(["init", "--from", str(report_path), "--margin", "0.05", "--out", str(toml)]) == 0
    config = tomllib.loads(toml.read_text())
    metrics = json.loads(report_path.read_text())["symbols"]["SIM"]["metrics"]
    gated = 0
    for metric, name, op in STARTER_STATISTICS:
        value = metrics.get(metric, {}).get(name)
        if value is None:
            assert f"{op}_{name}" not in config.get("gate", {}).get(metric, {})
            continue
        threshold = config["gate"][metric][f"{op}_{name}"]
        gated += 1
        if op == "min":  # hand rule: value - 0.05, rounded down at 6 decimals
            assert value - 0.05 - 1e-6 <= threshold <= value - 0.05
        else:  # value + 0.05 * max(1, |value|), rounded up
            loose = value + 0.05 * max(1.0, abs(value))
            assert loose <= threshold <= loose + 1e-6
    assert gated >= 8
    # and that same parity.json passes the gate with it
    assert main(["gate", str(report_path), "--config", str(toml)]) == 0


def test_init_with_margin_zero_still_passes_and_refuses_to_overwrite(report_path, tmp_path, capsys):
    toml = tmp_path / "parity.toml"
    assert main(["init", "--from", str(report_path), "--margin", "0", "--out", str(toml)]) == 0
    assert main(["gate", str(report_path), "--config", str(toml)]) == 0
    before = toml.read_text()
    assert main(["init", "--from", str(report_path), "--out", str(toml)]) == 2
    assert "exists" in capsys.readouterr().err
    assert toml.read_text() == before
    assert (
        main(["init", "--from", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x.toml")])
        == 2
    )
    assert not (tmp_path / "x.toml").exists()


def worse(document: dict) -> dict:
    moved = copy.deepcopy(document)
    metrics = moved["symbols"]["SIM"]["metrics"]
    metrics["poc"]["match_rate"] -= 0.25
    metrics["state"]["kappa"] = None
    moved["symbols"]["SIM"]["metrics"]["true_flow_share"] = {"share": 0.5}
    return moved


def test_diff_lists_exactly_what_moved(report_path, tmp_path, capsys):
    old = json.loads(report_path.read_text())
    new = worse(old)
    rows = report_diff(old, new)
    found = {(r["symbol"], r["metric"], r["statistic"]) for r in rows}
    assert found == {
        ("SIM", "poc", "match_rate"),
        ("SIM", "state", "kappa"),
        ("SIM", "true_flow_share", "share"),
    }
    poc = next(r for r in rows if r["metric"] == "poc")
    assert poc["change"] == pytest.approx(-0.25)
    assert report_diff(old, copy.deepcopy(old)) == []
    # a change within the tolerance is not listed
    assert report_diff(old, worse(old), tolerance=0.3) != [] and not any(
        r["metric"] == "poc" for r in report_diff(old, worse(old), tolerance=0.3)
    )
    path = tmp_path / "new.json"
    path.write_text(json.dumps(new))
    assert main(["diff", str(report_path), str(path)]) == 1
    out = capsys.readouterr().out
    assert "match_rate" in out and "-0.25" in out and "true_flow_share" in out
    assert main(["diff", str(report_path), str(report_path)]) == 0
    assert "no statistic moved" in capsys.readouterr().out


def test_gate_baseline_prints_the_diff_when_the_ratchet_fails(report_path, tmp_path, capsys):
    toml = tmp_path / "parity.toml"
    assert main(["init", "--from", str(report_path), "--margin", "0.5", "--out", str(toml)]) == 0
    capsys.readouterr()
    path = tmp_path / "new.json"
    path.write_text(json.dumps(worse(json.loads(report_path.read_text()))))
    assert main(["gate", str(path), "--config", str(toml), "--baseline", str(report_path)]) == 1
    out = capsys.readouterr().out
    assert "what moved since the baseline" in out and "poc" in out and "-0.25" in out
    assert (
        main(["gate", str(report_path), "--config", str(toml), "--baseline", str(report_path)]) == 0
    )
    assert "what moved" not in capsys.readouterr().out


def test_init_ignores_statistics_it_does_not_know(report_path, tmp_path):
    """A statistic a later version adds (e.g. true_flow_share) does not break init."""
    document = json.loads(report_path.read_text())
    document["symbols"]["SIM"]["metrics"]["true_flow_share"] = {"share": 0.4, "tolerance": 1.0}
    path = tmp_path / "parity.json"
    path.write_text(json.dumps(document))
    toml = tmp_path / "parity.toml"
    assert main(["init", "--from", str(path), "--out", str(toml)]) == 0
    assert "true_flow_share" not in toml.read_text()
    assert main(["gate", str(path), "--config", str(toml)]) == 0
