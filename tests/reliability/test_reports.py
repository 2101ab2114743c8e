"""Bad ``parity.json`` documents and parameter files given to ``parity diff``,
``parity gate --baseline``, ``parity init --from`` and ``--params-file``.

Each bad input: exit 2, one line naming the problem, nothing written.  A real
regression stays a regression (exit 1) even when the documents differ in
shape somewhere, and ``parity init`` never writes a configuration the gate
would refuse, nor one whose comments plant live TOML.
"""

from __future__ import annotations

import copy
import json
import tomllib

import pandas as pd
import pytest
from reliability_helpers import assert_refused, cli, tree

import parity
from calculators import candles_from_trades, compute_from_trades
from parity.calibration.output import params_toml
from parity_fixtures.simulator import simulate_trades

DEEP = "[" * 100_000 + "]" * 100_000
EVIL = 'A\n[schema]\nnamespace = "evil"\n#'


@pytest.fixture(scope="module")
def real_report(tmp_path_factory) -> dict:
    """A parity.json written by `parity.compare_frames` on simulated trades."""
    trades = simulate_trades(3 / 24, seed=5, tick_size=0.01)
    live = compute_from_trades(trades)
    live = live.loc[live.index >= live.index[0] + pd.Timedelta(hours=1)]
    candles = candles_from_trades(trades)[["open", "high", "low", "close", "volume"]]
    out = tmp_path_factory.mktemp("rep") / "report"
    parity.compare_frames(candles, live, symbol="SIM", tick_size=0.01).write_report(out)
    return json.loads((out / "parity.json").read_text())


def _with(report: dict, *path_and_value) -> dict:
    """A copy of ``report`` with the value at ``path`` replaced."""
    *path, value = path_and_value
    document = copy.deepcopy(report)
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


# ---- item 2: parity diff / gate --baseline on documents of different shapes ----

#: name -> (function of the real report giving the OLD document, words)
DIFF_REFUSED = {
    "symbol-is-a-number": (lambda r: {"symbols": {"A": 1}}, "symbols.A"),
    "same-symbol-is-a-number": (lambda r: _with(r, "symbols", "SIM", 1), "symbols.SIM"),
    "metrics-is-a-list": (lambda r: _with(r, "symbols", "SIM", "metrics", [1]), "metrics"),
    "no-symbols": (lambda r: {"verdict": "pass"}, "symbols"),
    "deeply-nested": (lambda r: None, "nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(DIFF_REFUSED))
def test_diff_of_a_document_that_is_not_a_parity_json_is_refused(case, real_report, sandbox,
                                                                  capsys):  # fmt: skip
    make, word = DIFF_REFUSED[case]
    old = make(real_report)
    (sandbox / "old.json").write_text(DEEP if old is None else json.dumps(old))
    (sandbox / "new.json").write_text(json.dumps(real_report))
    before = tree(sandbox)
    for argv in (["diff", "old.json", "new.json"], ["diff", "new.json", "old.json"]):
        code, _, err = cli(argv, capsys)
        assert_refused(code, err, word, sandbox=sandbox, before_tree=before)


#: name -> (metric entry or statistic path under symbols.SIM.metrics, the odd value)
SHAPE_CHANGES = {
    "metric-table-vs-number": (("vah",), 5),
    "metric-table-vs-list": (("vah",), [1, 2]),
    "statistic-number-vs-table": (("vah", "p95_error"), {"x": 1}),
    "statistic-number-vs-list": (("vah", "p95_error"), [1]),
}


@pytest.mark.parametrize("case", sorted(SHAPE_CHANGES))
def test_diff_reports_a_type_change_as_a_row(case, real_report, sandbox, capsys):
    path, odd = SHAPE_CHANGES[case]
    other = _with(real_report, "symbols", "SIM", "metrics", *path, odd)
    (sandbox / "a.json").write_text(json.dumps(real_report))
    (sandbox / "b.json").write_text(json.dumps(other))
    for argv in (["diff", "a.json", "b.json"], ["diff", "b.json", "a.json"]):
        code, out, err = cli(argv, capsys)
        assert code == 1, err
        assert "(type changed)" in out and path[-1] in out and not err


@pytest.mark.parametrize("case", sorted(SHAPE_CHANGES))
def test_gate_ratchet_failure_with_a_shape_change_is_a_regression(case, real_report, sandbox,
                                                                   capsys):  # fmt: skip
    """The baseline ratchet fails (poc.match_rate dropped) and an ungated metric
    changed shape: the diff is printed and the exit is 1 (a regression), not 3."""
    path, odd = SHAPE_CHANGES[case]
    current = _with(real_report, "symbols", "SIM", "metrics", *path, odd)
    base = real_report["symbols"]["SIM"]["metrics"]["poc"]["match_rate"]
    current["symbols"]["SIM"]["metrics"]["poc"]["match_rate"] = base - 0.25
    (sandbox / "current.json").write_text(json.dumps(current))
    (sandbox / "base.json").write_text(json.dumps(real_report))
    (sandbox / "gate.toml").write_text("[gate.poc]\nmin_match_rate = 0.0\n")
    code, out, err = cli(
        ["gate", "current.json", "--config", "gate.toml", "--baseline", "base.json"], capsys
    )
    assert code == 1, err
    assert "what moved since the baseline" in out and "(type changed)" in out
