"""Bad configuration, options, parameters and gate documents (issue 8, parts 2-6).

Each case: exit 2, one line naming the problem, nothing written (the sandbox
tree, with ``out/`` as a previous run left it) and no table changed.  And the
gate that cannot fail says so (``ungated``).
"""

from __future__ import annotations

import json

import pytest
from reliability_helpers import assert_one_line, assert_refused, checksums, cli, tree

pytestmark = pytest.mark.postgres

START, END = "2025-01-02T00:00Z", "2025-01-02T12:00Z"
GATE = "[gate.poc]\nmin_match_rate = 0.3\n"
GOOD_REPORT = {"symbols": {"X": {"metrics": {"poc": {"match_rate": 0.5}}}}}


def _backtest(*extra: str) -> list[str]:
    return ["backtest", "--symbol", "DEMO-USD", "--start", START, "--end", END, *extra]


#: name -> (config text or None, argv after "parity" ({dsn}, {config} filled in), words)
CASES = {
    "schema-columns-unknown-key": (
        '[schema.market_state]\ncolumns = { stat = "state" }\n',
        ["run", "--config", "{config}"], "unknown key 'stat'",
    ),
    "schema-columns-not-a-table": (
        "[schema.candles]\ncolumns = 3\n", ["run", "--config", "{config}"], "schema.candles.columns",
    ),
    "config-not-toml": ("[gate.poc\n", ["run", "--config", "{config}"], "not valid TOML"),
    "config-unknown-gate-metric": (
        "[gate.pocc]\nmin_match_rate = 0.3\n", ["run", "--config", "{config}"], "pocc",
    ),
    "config-missing": (None, ["run", "--config", "absent.toml"], "not found"),
    "config-params-huge-holding": (
        "[params]\nmax_holding_minutes = 1e18\n", ["run", "--config", "{config}"],
        "max_holding_minutes",
    ),
    "param-holding-1e18": (
        None, _backtest("--param", "max_holding_minutes=1e18"), "max_holding_minutes",
    ),
    "param-lookback-1e18": (None, _backtest("--param", "lookback_period=1e18"), "lookback_period"),
    "param-lookback-inf": (None, _backtest("--param", "lookback_period=inf"), "lookback_period"),
    "param-commission-1e300": (
        None, _backtest("--param", "commission_bps=1e300"), "commission_bps",
    ),
    "param-capital-1e300": (None, _backtest("--param", "initial_capital=1e300"), "initial_capital"),
    "param-row-size-tiny": (None, _backtest("--param", "row_size=1e-300"), "row_size"),
    "param-row-size-subnormal": (None, _backtest("--param", "row_size=5e-324"), "too small"),
    "param-unknown": (None, _backtest("--param", "lookback=30"), "unknown parameter"),
    "param-malformed": (None, _backtest("--param", "lookback_period"), "KEY=VALUE"),
    "params-json-list": (None, _backtest("--params-json", "[1, 2]"), "JSON object"),
    "params-file-missing": (None, _backtest("--params-file", "nope.json"), "nope.json"),
    "start-yesterday": (None, ["run", "--start", "yesterday", "--end", END], "yesterday"),
    "backtest-start-yesterday": (
        None, ["backtest", "--symbol", "DEMO-USD", "--start", "yesterday", "--end", END],
        "yesterday",
    ),
    "start-after-end": (None, ["run", "--start", END, "--end", START], "before"),
    "start-without-end": (None, ["run", "--start", START], "both"),
    "run-window-no-candles": (
        None, ["run", "--start", "2020-01-01T00:00Z", "--end", "2020-01-02T00:00Z"], "no candles",
    ),
    "run-window-no-live-rows": (
        None, ["run", "--start", "2025-01-01T00:00Z", "--end", "2025-01-01T06:00Z"],
        "no live rows",
    ),
    "self-check-window-no-candles": (
        None,
        ["run", "--self-check", "--start", "2030-01-01T00:00Z", "--end", "2030-01-02T00:00Z"],
        "no candles",
    ),
    "run-unknown-symbol": (None, ["run", "--symbol", "NOPE"], "NOPE"),
    "backtest-unknown-symbol": (
        None, ["backtest", "--symbol", "NOPE", "--start", START, "--end", END], "NOPE",
    ),
    "run-jobs-zero": (None, ["run", "--jobs", "0"], "--jobs"),
    "sweep-bad-grid": (
        None, ["sweep", "--symbol", "DEMO-USD", "--start", START, "--end", END, "--grid", "x"],
        "grid",
    ),
    "sweep-grid-huge-holding": (
        None,
        ["sweep", "--symbol", "DEMO-USD", "--start", START, "--end", END,
         "--grid", "max_holding_minutes=60,1e18"],
        "max_holding_minutes",
    ),
    **{
        f"config-wrong-type-{name}": (text, ["run", "--config", "{config}"], word)
        for name, (text, word) in {
            "tolerance-number": ("tolerance = 5\n", "[tolerance]"),
            "gate-number": ("gate = 5\n", "[gate]"),
            "ignore-number": ("ignore = 5\n", "ignore"),
            "ignore-table": ("[ignore]\nreason = 'x'\n", "ignore"),
            "params-number": ("params = 5\n", "[params]"),
            "params-list": ("params = [1]\n", "[params]"),
            "units-number": ("[schema]\nunits = 5\n", "schema.units"),
            "states-number": ("[schema]\nstates = 5\n", "schema.states"),
            "state-label-list": ("[schema.states]\nbalanced = ['BALANCE']\n", "balanced"),
            "ignore-metric-list": (
                "[[ignore]]\nmetric = ['a']\nreason = 'x'\n", "unknown metric",
            ),
            "ignore-symbol-number": ("[[ignore]]\nsymbol = 5\nreason = 'x'\n", "symbol"),
            "ignore-reason-table": ("[[ignore]]\nreason = {a = 1}\n", "reason"),
            "namespace-number": ("[schema]\nnamespace = 5\n", "namespace"),
            "table-name-number": ("[schema.candles]\ntable = 5\n", "schema.candles"),
            "column-name-number": (
                "[schema.market_state]\ncolumns = { state = 5 }\n", "schema.market_state",
            ),
            "id-column-false": ("[schema.market_state]\nid_column = false\n", "id_column"),
            "offset-bool": ("[alignment]\nbar_offset_minutes = true\n", "bar_offset_minutes"),
            "unit-factor-huge": ("[schema.units]\nbuy_pressure = 1e308\n", "buy_pressure"),
            "unit-factor-zero": ("[schema.units]\nbuy_pressure = 0.0\n", "buy_pressure"),
            "deeply-nested": ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        }.items()
    },
    "unknown-command": (None, ["bogus"], "invalid choice"),
    "unknown-option": (None, ["run", "--frobnicate"], "unrecognized"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_option_or_config_is_refused(case, world, sandbox, capsys):
    text, argv, word = CASES[case]
    config = sandbox / "parity.toml"
    if text is not None:
        config.write_text(text)
    argv = [a.format(config=config) for a in argv]
    if argv[0] in ("run", "backtest", "sweep"):
        argv += ["--dsn", world, "--out", "out"]
    before_tree, before_sums = tree(sandbox), checksums(world)
    code, _, err = cli(argv, capsys)
    assert_refused(code, err, word, sandbox=sandbox, before_tree=before_tree, dsn=world,
                   before_sums=before_sums)  # fmt: skip


#: name -> (parity.json text, config text, baseline text or None, words)
GATE_CASES = {
    "wrong-shape-symbol-is-a-number": (json.dumps({"symbols": {"X": 5}}), GATE, None, "symbols.X"),
    "symbols-is-a-list": (json.dumps({"symbols": []}), GATE, None, "symbols"),
    "metrics-is-a-number": (
        json.dumps({"symbols": {"X": {"metrics": 3}}}), GATE, None, "symbols.X.metrics",
    ),
    "metric-is-a-list": (
        json.dumps({"symbols": {"X": {"metrics": {"poc": [1]}}}}), GATE, None, "metrics.poc",
    ),
    "statistic-is-a-string": (
        json.dumps({"symbols": {"X": {"metrics": {"poc": {"match_rate": "0.9"}}}}}), GATE, None,
        "not a number",
    ),
    "baseline-statistic-is-a-string": (
        json.dumps(GOOD_REPORT), GATE,
        json.dumps({"symbols": {"X": {"metrics": {"poc": {"match_rate": "high"}}}}}), "baseline",
    ),
    "baseline-wrong-shape": (json.dumps(GOOD_REPORT), GATE, json.dumps({"symbols": {"X": []}}),
                             "baseline"),
    "nothing-to-gate": (json.dumps(GOOD_REPORT), "", None, "nothing to gate"),
    "no-symbols-to-gate": (json.dumps({"symbols": {}}), GATE, None, "nothing to gate"),
    "not-json": ("{symbols", GATE, None, "not a readable parity.json"),
    "no-symbols-section": (json.dumps({"verdict": "pass"}), GATE, None, "symbols"),
    "json-is-a-list": (json.dumps([1, 2]), GATE, None, "symbols"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(GATE_CASES))
def test_bad_gate_input_is_refused(case, sandbox, capsys):
    report_text, config_text, baseline_text, word = GATE_CASES[case]
    (sandbox / "parity.json").write_text(report_text)
    (sandbox / "gate.toml").write_text(config_text)
    argv = ["gate", "parity.json", "--config", "gate.toml"]
    if baseline_text is not None:
        (sandbox / "baseline.json").write_text(baseline_text)
        argv += ["--baseline", "baseline.json"]
    before = tree(sandbox)
    code, _, err = cli(argv, capsys)
    assert_refused(code, err, word, sandbox=sandbox, before_tree=before)


def test_gate_still_judges_a_good_document(sandbox, capsys):
    """The shape checks refuse only what is wrong: a good document passes and fails."""
    (sandbox / "parity.json").write_text(json.dumps(GOOD_REPORT))
    (sandbox / "gate.toml").write_text(GATE)
    assert cli(["gate", "parity.json", "--config", "gate.toml"], capsys)[0] == 0
    (sandbox / "gate.toml").write_text("[gate.poc]\nmin_match_rate = 0.9\n")
    assert cli(["gate", "parity.json", "--config", "gate.toml"], capsys)[0] == 1


def test_a_run_without_thresholds_is_ungated(world, sandbox, capsys):
    """No thresholds: exit 0, but parity.json and the summary say ``ungated`` and
    the last line says how to add thresholds."""
    code, _, err = cli(["run", "--dsn", world, "--out", "report"], capsys)
    assert code == 0, err
    report = json.loads((sandbox / "report" / "parity.json").read_text())
    assert report["verdict"] == "ungated" and report["gate"] == []
    assert "ungated" in (sandbox / "report" / "report.md").read_text().lower()
    assert "UNGATED" in "\n".join(err)
    assert "no thresholds are configured" in err[-1] and "[gate." in err[-1]
    # and `parity gate` on it, with no thresholds either, is bad input
    code, _, err = cli(["gate", "report/parity.json"], capsys)
    assert code == 2
    assert_one_line(err, "nothing to gate")
