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


def test_gate_refuses_a_deeply_nested_report_or_baseline(real_report, sandbox, capsys):
    (sandbox / "good.json").write_text(json.dumps(real_report))
    (sandbox / "gate.toml").write_text("[gate.poc]\nmin_match_rate = 0.0\n")
    for deep in (DEEP, '{"symbols": {"A": ' + "[" * 500 + "]" * 500 + "}}"):
        (sandbox / "deep.json").write_text(deep)
        before = tree(sandbox)
        for argv in (
            ["gate", "deep.json", "--config", "gate.toml"],
            ["gate", "good.json", "--config", "gate.toml", "--baseline", "deep.json"],
        ):
            code, _, err = cli(argv, capsys)
            assert_refused(code, err, "deep.json", "nested too deeply", sandbox=sandbox,
                           before_tree=before)  # fmt: skip


# ---- item 3: parity init --from ----

#: name -> (function of the real report giving the --from document, extra argv, words)
INIT_REFUSED = {
    "symbol-is-a-number": (lambda r: _with(r, "symbols", "SIM", 1), (), "symbols.SIM"),
    "metrics-is-a-number": (lambda r: _with(r, "symbols", "SIM", "metrics", 5), (), "metrics"),
    "metric-is-a-number": (
        lambda r: _with(r, "symbols", "SIM", "metrics", "poc", 5), (), "metrics.poc",
    ),
    "run-is-a-number": (lambda r: _with(r, "run", 5), (), "run"),
    "run-params-is-a-number": (lambda r: _with(r, "run", {"params": 5}), (), "run.params"),
    "margin-inf": (lambda r: r, ("--margin", "inf"), "--margin"),
    "margin-1e308": (lambda r: r, ("--margin", "1e308"), "--margin"),
    "margin-nan": (lambda r: r, ("--margin", "nan"), "--margin"),
    "margin-negative": (lambda r: r, ("--margin", "-0.1"), "--margin"),
    "no-symbols": (lambda r: {"symbols": {}}, (), "no threshold"),
    "only-string-statistics": (
        lambda r: {"symbols": {"A": {"metrics": {"poc": {"match_rate": "0.9"}}}}}, (),
        "not a number",
    ),
    "only-unknown-statistics": (
        lambda r: {"symbols": {"A": {"metrics": {"poc": {"other": 0.9}}}}}, (), "no threshold",
    ),
    "only-non-finite-statistics": (
        lambda r: {"symbols": {"A": {"metrics": {"poc": {"match_rate": float("nan")},
                                                 "state": {"kappa": float("inf")}}}}}, (),
        "no threshold",
    ),
    "deeply-nested": (lambda r: None, (), "nested too deeply"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(INIT_REFUSED))
def test_init_from_a_bad_report_is_refused(case, real_report, sandbox, capsys):
    make, extra, word = INIT_REFUSED[case]
    document = make(real_report)
    (sandbox / "in.json").write_text(DEEP if document is None else json.dumps(document))
    before = tree(sandbox)
    code, _, err = cli(["init", "--from", "in.json", "--out", "parity.toml", *extra], capsys)
    assert_refused(code, err, word, sandbox=sandbox, before_tree=before)


def test_init_skips_a_non_finite_statistic_and_the_gate_accepts_the_result(real_report, sandbox,
                                                                          capsys):  # fmt: skip
    """1e400 (read as infinity) and NaN set no threshold; the others still do, and
    the written parity.toml gates the same report (exit 0)."""
    metrics = real_report["symbols"]["SIM"]["metrics"]
    assert isinstance(metrics["poc"]["p95_error"], float) and "match_rate" in metrics["state"]
    text = json.dumps(real_report)
    document = json.loads(text)
    document["symbols"]["SIM"]["metrics"]["poc"]["p95_error"] = float("nan")
    document["symbols"]["SIM"]["metrics"]["state"]["match_rate"] = float("inf")
    raw = json.dumps(document).replace("Infinity", "1e400")
    (sandbox / "in.json").write_text(raw)
    code, _, err = cli(["init", "--from", "in.json", "--out", "parity.toml"], capsys)
    assert code == 0, err
    config = tomllib.loads((sandbox / "parity.toml").read_text())
    assert "p95_error" not in str(config["gate"].get("poc", {}))
    assert "max_p95_error" not in config["gate"].get("poc", {})
    assert "min_match_rate" not in config["gate"].get("state", {})
    assert "min_match_rate" in config["gate"]["poc"]
    assert cli(["gate", "in.json", "--config", "parity.toml"], capsys)[0] == 0


def test_init_with_a_huge_statistic_writes_a_gate_it_passes(real_report, sandbox, capsys):
    """An error of 1e303 is absurd but finite: the threshold is finite and the gate passes."""
    document = _with(real_report, "symbols", "SIM", "metrics", "poc", "p95_error", 1e303)
    (sandbox / "in.json").write_text(json.dumps(document))
    code, _, err = cli(["init", "--from", "in.json", "--out", "parity.toml", "--margin", "100"],
                       capsys)  # fmt: skip
    assert code == 0, err
    assert cli(["gate", "in.json", "--config", "parity.toml"], capsys)[0] == 0


def test_init_comment_cannot_plant_toml(real_report, sandbox, capsys):
    """A symbol named ``A\\n[schema]\\nnamespace = "evil"\\n#`` stays inside the comment."""
    document = copy.deepcopy(real_report)
    document["symbols"][EVIL] = document["symbols"].pop("SIM")
    (sandbox / "in.json").write_text(json.dumps(document))
    code, _, err = cli(["init", "--from", "in.json", "--out", "parity.toml"], capsys)
    assert code == 0, err
    text = (sandbox / "parity.toml").read_text()
    assert "schema" not in tomllib.loads(text)
    assert all(line.startswith("#") for line in text.splitlines() if "evil" in line)


def test_calibration_header_cannot_plant_toml(monkeypatch):
    """`params_toml` with a symbol (and a command) holding newlines: one comment line each."""
    from types import SimpleNamespace

    from calculators import Params

    when = pd.Timestamp("2025-01-01T00:00Z")
    figures = SimpleNamespace(objective=0.5)
    result = SimpleNamespace(
        symbol=EVIL, fit=(when, when), holdout=(when, when), changed={},
        figures={"holdout": {"baseline": figures, "calibrated": figures}}, calibrated=Params(),
    )  # fmt: skip
    text = params_toml(result, command="parity calibrate --symbol '" + EVIL + "'")
    parsed = tomllib.loads(text)
    assert set(parsed) == {"params"}
    assert Params.from_dict(parsed["params"]) == Params()


# ---- item 4: parameter files and --params-json ----

#: name -> (file name, bytes, words)
PARAMS_FILES = {
    "not-utf8-json": ("p.json", b'{"lookback_period": "\xff\xfe"}', "UTF-8"),
    "not-utf8-toml": ("p.toml", b"lookback_period = '\xff'\n", "UTF-8"),
    "deep-json": ("p.json", DEEP.encode(), "nested too deeply"),
    "deep-json-parsable": ("p.json", ('{"a": ' + "[" * 500 + "]" * 500 + "}").encode(),
                           "nested too deeply"),
    "deep-toml": ("p.toml", ("a = " + "[" * 100_000 + "]" * 100_000 + "\n").encode(),
                  "nested too deeply"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PARAMS_FILES))
def test_bad_params_file_is_refused(case, sandbox, capsys):
    name, data, word = PARAMS_FILES[case]
    (sandbox / name).write_bytes(data)
    before = tree(sandbox)
    code, _, err = cli(
        ["backtest", "--symbol", "X", "--start", "2025-01-02T00:00Z", "--end",
         "2025-01-02T12:00Z", "--params-file", name, "--dsn", "postgresql://nowhere.invalid/x",
         "--out", "out"], capsys,
    )  # fmt: skip
    assert_refused(code, err, word, sandbox=sandbox, before_tree=before)


def test_deep_params_json_is_refused(sandbox, capsys):
    before = tree(sandbox)
    code, _, err = cli(
        ["backtest", "--symbol", "X", "--start", "2025-01-02T00:00Z", "--end",
         "2025-01-02T12:00Z", "--params-json", DEEP, "--dsn", "postgresql://nowhere.invalid/x",
         "--out", "out"], capsys,
    )  # fmt: skip
    assert_refused(code, err, "--params-json", "nested too deeply", sandbox=sandbox,
                   before_tree=before)  # fmt: skip
