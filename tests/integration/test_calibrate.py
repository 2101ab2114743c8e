"""``parity calibrate`` end to end on a replayed world (a small demo world:
3 simulated days, the last 25 hours replayed into live rows by the tick replay)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import psycopg2
import pytest
from databases import scratch_database
from psycopg2 import sql

from calculators import Params
from parity.calibration import CalibrationOptions, calibrate_data, calibrate_symbol, search
from parity.cli import main
from parity.common.estimation import NOT_ESTIMATION, Setting, estimation_settings
from parity.db.tables import LIVE_COLUMNS
from parity.harness.config import load_config
from parity.harness.source import load_symbol
from parity.worlds import build_demo_world

pytestmark = pytest.mark.postgres

SYMBOL = "DEMO-USD"
#: The user's strategy, deliberately not the defaults: calibration must keep it.
STRATEGY = {
    "poc_distance_threshold": 1.2,
    "momentum_threshold": 1.4,
    "cvd_pressure_threshold": 12.0,
    "lookback_period": 45,
    "allow_balance_trades": True,
    "min_confidence": 55.0,
    "stop_atr": 2.0,
    "commission_bps": 2.5,
}
#: A fixed baseline of candle-side settings (not the calculators' defaults,
#: which may change): the configuration the calibration starts from.
BASELINE = {
    "flow_estimator": "bvc_t",
    "bvc_df": 0.25,
    "volume_spread": "close",
    "value_area_rule": "pair",
}
#: Today's search space, fixed here so the tests do not move when settings
#: are added to `parity.common.estimation.ESTIMATION_SETTINGS`.
SPACE = (
    Setting("flow_estimator", ("clr", "tick", "bvc_normal", "bvc_t")),
    Setting("bvc_df", (0.25, 1.0, 4.0), only_when={"flow_estimator": ("bvc_t",)}),
    Setting("volume_spread", ("close", "uniform", "typical")),
    Setting("value_area_rule", ("single", "pair")),
)


@pytest.fixture
def space(monkeypatch):
    """Calibrate over `SPACE` (or what the test sets in the returned list)."""
    chosen = list(SPACE)
    monkeypatch.setattr(search, "estimation_settings", lambda: tuple(chosen))
    return chosen


@pytest.fixture(scope="module")
def world(pg_dsn: str):
    """A DSN of a database holding a 3-day demo world (built once per module)."""
    with scratch_database(pg_dsn, "t_cal") as dsn:
        conn = psycopg2.connect(dsn)
        build_demo_world(conn, days=3, seed=5)
        conn.commit()
        conn.close()
        yield dsn


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def checksums(dsn: str) -> dict[str, str]:
    """md5 of every row of the candles, trades and live tables, in a fixed order."""
    conn = psycopg2.connect(dsn)
    try:
        out = {}
        with conn.cursor() as cur:
            for table in ("symbols", "candles", "trades", *LIVE_COLUMNS):
                cur.execute(
                    sql.SQL("SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t").format(sql.Identifier(table))
                )  # fmt: skip
                out[table] = cur.fetchone()
        return out
    finally:
        conn.close()


def config_file(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "parity.toml"
    lines = ["[params]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def objective(dsn: str, config: Path | None, start: str, end: str, out: Path, capsys) -> dict:
    """kappa, trade match and their mean as ``parity run`` reports them on ``[start, end)``."""
    argv = [
        "run",
        "--symbol",
        SYMBOL,
        "--dsn",
        dsn,
        "--start",
        start,
        "--end",
        end,
        "--out",
        str(out),
    ]
    if config is not None:
        argv += ["--config", str(config)]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    report = json.loads((out / "parity.json").read_text())
    summary = report["symbols"][SYMBOL]
    kappa = summary["metrics"]["state"]["kappa"]
    match = summary["trades"]["match_share"]
    return {"kappa": kappa, "match": match, "objective": (kappa + match) / 2, "report": report}


def test_calibrate_writes_params_that_beat_the_configured_ones_on_the_held_back_part(
    world: str, tmp_path: Path, capsys, space
) -> None:
    config = config_file(tmp_path, {**STRATEGY, **BASELINE})
    out = tmp_path / "calibrated.toml"
    before = checksums(world)
    code, stdout, err = run(
        capsys, "calibrate", "--symbol", SYMBOL, "--dsn", world, "--config", str(config),
        "--holdout-fraction", "0.4", "--out", str(out),
    )  # fmt: skip
    assert checksums(world) == before  # read-only: nothing written to any table
    assert code == 0, err
    assert "held-back part" in stdout and "state kappa" in stdout and "trade match" in stdout
    assert "buy pressure err" in stdout and "state agreement" in stdout
    # The held-back window, from the printed header (held back from the fit's end).
    header = stdout.splitlines()[0]
    assert header.startswith(f"{SYMBOL}: fit ")
    assert out.exists() and "wrote" in err
    written = tomllib.loads(out.read_text())
    assert set(written) == {"params"}
    params = Params.from_dict(written["params"])
    assert load_config(out).params == params  # parity.toml accepts it
    # Thresholds and strategy untouched: every non-estimation field is the config's.
    configured = load_config(config).params
    for name in NOT_ESTIMATION:
        assert getattr(params, name) == getattr(configured, name), name
    changed = {k for k in params.to_dict() if getattr(params, k) != getattr(configured, k)}
    assert changed and changed <= {s.name for s in estimation_settings()}

    # The guarantee, checked by the harness itself on the held-back window:
    # `parity run` with the written file beats `parity run` with the config,
    # and calibrate's held-back figures are the harness's own.
    result = calibrate_symbol(world, load_config(config), SYMBOL)
    held_start, end = (t.isoformat() for t in result.holdout)
    base = objective(world, config, held_start, end, tmp_path / "r-base", capsys)
    cal = objective(world, out, held_start, end, tmp_path / "r-cal", capsys)
    assert cal["objective"] > base["objective"]
    for who, figures in (("baseline", base), ("calibrated", cal)):
        mine = result.figures["holdout"][who]
        assert mine.kappa == pytest.approx(figures["kappa"], abs=1e-12)
        assert mine.trade_match == pytest.approx(figures["match"], abs=1e-12)
        metrics = figures["report"]["symbols"][SYMBOL]["metrics"]
        assert mine.state_agreement == pytest.approx(metrics["state"]["match_rate"], abs=1e-12)
        assert mine.buy_pressure_error == pytest.approx(
            metrics["buy_pressure"]["mean_error"], abs=1e-9
        )
    # ... and the later report says which settings were used.
    used = cal["report"]["run"]["candle_settings"]
    assert used == {s.name: getattr(params, s.name) for s in estimation_settings()}
    markdown = (tmp_path / "r-cal" / "report.md").read_text()
    assert f"`flow_estimator={params.flow_estimator}`" in markdown
    html = (tmp_path / "r-cal" / "report.html").read_text()
    assert "Candle-side settings" in html
    assert f"flow_estimator={params.flow_estimator}" in html

    # --params-file (backtest) accepts it too.
    code, stdout, err = run(
        capsys, "backtest", "--symbol", SYMBOL, "--dsn", world, "--start", held_start,
        "--end", end, "--params-file", str(out), "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(stdout)["params_digest"] == params.digest()
    assert checksums(world) == before


def test_calibrate_with_the_full_search_space_keeps_its_promise(
    world: str, tmp_path: Path, capsys
) -> None:
    """Whatever `ESTIMATION_SETTINGS` holds: exit 0 with a file whose settings
    beat the configured ones on the held-back part, or exit 1 with no file."""
    config = config_file(tmp_path, {**STRATEGY, **BASELINE})
    out = tmp_path / "calibrated.toml"
    before = checksums(world)
    argv = ["calibrate", "--symbol", SYMBOL, "--dsn", world, "--config", str(config)]
    code, _, err = run(capsys, *argv, "--out", str(out))
    assert checksums(world) == before
    result = calibrate_symbol(world, load_config(config), SYMBOL)
    held = result.figures["holdout"]
    assert (code == 0) == result.improved == out.exists(), err
    if code == 0:
        assert held["calibrated"].objective > held["baseline"].objective
        assert Params.from_dict(tomllib.loads(out.read_text())["params"]) == result.calibrated
    else:
        assert code == 1 and "nothing written" in err


def test_calibrate_exits_1_and_writes_nothing_when_the_winner_loses_the_held_back_part(
    world: str, tmp_path: Path, capsys, space
) -> None:
    # On this world tick beats clr on the fit part but not on the held-back part.
    config = config_file(
        tmp_path, {**STRATEGY, **BASELINE, "flow_estimator": "clr", "volume_spread": "typical"}
    )
    space[:] = [Setting("flow_estimator", ("clr", "tick"))]
    out = tmp_path / "calibrated.toml"
    out_dir = tmp_path
    before = checksums(world)
    code, stdout, err = run(
        capsys, "calibrate", "--symbol", SYMBOL, "--dsn", world, "--config", str(config),
        "--out", str(out),
    )  # fmt: skip
    assert code == 1
    assert not out.exists() and sorted(p.name for p in out_dir.iterdir()) == ["parity.toml"]
    assert "do not beat the configured ones on the held-back part" in err
    assert "nothing written" in err
    lines = {line.split("  ")[0]: line.split() for line in stdout.splitlines()}
    assert lines["flow_estimator"][-2:] == ["clr", "tick"]  # the fit part chose tick
    assert checksums(world) == before


def test_calibrate_exits_1_when_nothing_beats_the_configured_settings(
    world: str, tmp_path: Path, capsys, space
) -> None:
    config = config_file(tmp_path, {**STRATEGY, **BASELINE})
    space[:] = [Setting("value_area_rule", (BASELINE["value_area_rule"],))]
    out = tmp_path / "calibrated.toml"
    code, _, err = run(
        capsys, "calibrate", "--symbol", SYMBOL, "--dsn", world, "--config", str(config),
        "--out", str(out),
    )  # fmt: skip
    assert code == 1 and not out.exists()
    assert "already score best" in err


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (("--symbol", "NOPE"), "unknown symbol 'NOPE'"),
        (("--symbol", SYMBOL, "--holdout-fraction", "0"), "--holdout-fraction"),
        (("--symbol", SYMBOL, "--holdout-fraction", "1.5"), "--holdout-fraction"),
        (("--symbol", SYMBOL, "--start", "2025-01-03T20:00Z"), "both --start and --end"),
        (
            ("--symbol", SYMBOL, "--start", "2025-01-03T20:00Z", "--end", "2025-01-03T21:30Z"),
            "need 60 each",
        ),
        (("--symbol", SYMBOL, "--config", "/nonexistent/parity.toml"), "not found"),
    ],
    ids=["unknown symbol", "holdout 0", "holdout 1.5", "start only", "too short", "no config"],
)
def test_calibrate_bad_input_exits_2(
    world: str, tmp_path: Path, capsys, extra: tuple, problem: str
) -> None:
    out = tmp_path / "calibrated.toml"
    code, stdout, err = run(capsys, "calibrate", "--dsn", world, *extra, "--out", str(out))
    assert code == 2 and stdout == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("parity: error: ") and problem in lines[0], err
    assert not out.exists()


def test_the_search_never_sees_the_held_back_live_rows(world: str, tmp_path: Path) -> None:
    """Scrambling the live rows of the held-back part changes its figures, never
    the choice made on the fit part."""
    config = load_config(config_file(tmp_path, {**STRATEGY, **BASELINE}))
    conn = psycopg2.connect(world)
    try:
        data = load_symbol(conn, config, SYMBOL)
    finally:
        conn.close()
    options = CalibrationOptions(settings=SPACE)
    honest = calibrate_data(data, config, options)
    live = data.live.copy()
    held = live.index >= honest.holdout[0]
    rng = np.random.default_rng(0)
    live.loc[held, "state"] = rng.permutation(live.loc[held, "state"].to_numpy())
    live.loc[held, "buy_pressure"] = 50.0
    scrambled = calibrate_data(replace(data, live=live), config, options)
    assert scrambled.calibrated == honest.calibrated
    assert scrambled.figures["fit"] == honest.figures["fit"]
    assert scrambled.figures["holdout"] != honest.figures["holdout"]


def test_calibrate_reports_its_progress_over_the_candidates(world: str, tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, {**STRATEGY, **BASELINE}))
    seen: list[float] = []
    result = calibrate_symbol(
        world, config, SYMBOL, options=CalibrationOptions(settings=SPACE), progress=seen.append
    )
    # one call per candidate after the configured settings, rising to 1.0
    assert len(seen) == result.candidates - 1
    assert seen == sorted(seen) and seen[-1] == 1.0
