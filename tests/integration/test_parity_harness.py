"""The parity harness against a real PostgreSQL.

The "perfect" world: a simulated tape collapsed so every minute trades only at
its close, half bought and half sold.  Its candles are dojis at the close, so
the candle path with close-only spreading and the close-location estimator
(50/50 on a doji) computes exactly what the trade-exact replay wrote: any
divergence the harness reports there is the harness's own fault.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
import pytest

from calculators import Params, candles_from_trades
from parity.cli import main
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_live_rows, write_trades
from parity_fixtures.replay import Imperfections, replay_live_rows
from parity_fixtures.simulator import simulate_trades

pytestmark = pytest.mark.postgres

SYMBOL = "PERF-USD"
TICK = 0.01
PERFECT_PARAMS = {"volume_spread": "close", "flow_estimator": "clr"}
STRICT = """
[params]
volume_spread = "close"
flow_estimator = "clr"
[tolerance]
poc = 2.0
[gate.poc]
min_match_rate = 1.0
[gate.state]
min_match_rate = 1.0
[gate.buy_pressure]
min_match_rate = 1.0
[gate.cumulative_delta]
min_match_rate = 1.0
"""


def close_only_tape(days: float, seed: int) -> pd.DataFrame:
    """Each minute of a simulated tape becomes two trades at its last price:
    one buy and one sell of half the minute's volume each."""
    trades = simulate_trades(days, seed=seed, tick_size=TICK)
    candles = candles_from_trades(trades)
    half = candles["volume"].to_numpy() / 2
    n = len(candles)
    ts = np.repeat(candles.index + pd.Timedelta(seconds=30), 2)
    return pd.DataFrame(
        {
            "ts": ts,
            "trade_id": np.arange(2 * n),
            "price": np.repeat(candles["close"].to_numpy(), 2),
            "amount": np.repeat(half, 2),
            "side": np.tile(["buy", "sell"], n),
        }
    )


def build_world(dsn: str, tape: pd.DataFrame, imperfections: Imperfections, params: Params) -> dict:
    rows = replay_live_rows(tape, params, imperfections=imperfections, seed=3)
    conn = psycopg2.connect(dsn)
    apply_schema(conn)
    sid = ensure_symbol(conn, SYMBOL, TICK)
    write_trades(conn, sid, tape)
    write_candles(conn, sid, candles_from_trades(tape))
    write_live_rows(conn, sid, **rows.frames())
    conn.commit()
    conn.close()
    return {"rows": rows, "symbol_id": sid}


@pytest.fixture(scope="module")
def tape() -> pd.DataFrame:
    return close_only_tape(3.0, seed=11)


@pytest.fixture
def perfect_world(fresh_db, tape):
    world = build_world(fresh_db, tape, Imperfections.none(), Params(**PERFECT_PARAMS))
    return fresh_db, world


def run_cli(tmp_path: Path, dsn: str, config: str, *extra: str) -> tuple[int, dict]:
    config_file = tmp_path / "parity.toml"
    config_file.write_text(config)
    out = tmp_path / "report"
    code = main(["run", "--dsn", dsn, "--config", str(config_file), "--out", str(out), *extra])
    report = json.loads((out / "parity.json").read_text()) if (out / "parity.json").exists() else {}
    return code, report


def divergences(tmp_path: Path) -> list[dict]:
    path = tmp_path / "report" / "divergences.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_perfect_world_gives_perfect_parity_and_exit_0(perfect_world, tmp_path):
    dsn, _ = perfect_world
    code, report = run_cli(tmp_path, dsn, STRICT)
    assert code == 0
    summary = report["symbols"][SYMBOL]
    for name, stats in summary["metrics"].items():
        if "match_rate" in stats:
            assert stats["match_rate"] == 1.0, name
    assert divergences(tmp_path) == []
    assert summary["compared_minutes"] > 25 * 60 * 0.9  # 25 h of bars, a few quiet minutes
    assert summary["metrics"]["coverage"]["share"] == 1.0
    for name in ("report.md", "report.html", "junit.xml"):
        assert (tmp_path / "report" / name).stat().st_size > 0


def test_corrupted_live_rows_fail_the_gate_with_exactly_those_minutes(perfect_world, tmp_path):
    dsn, _ = perfect_world
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT id, ts FROM volume_profile ORDER BY ts")
        profile_rows = cur.fetchall()
        cur.execute("SELECT id, ts, state FROM market_state ORDER BY ts")
        state_rows = cur.fetchall()
    rng = np.random.default_rng(5)
    moved = rng.choice(len(profile_rows), size=len(profile_rows) // 10, replace=False)
    flipped = rng.choice(len(state_rows), size=len(state_rows) // 20, replace=False)
    other = {
        "BALANCE": "IMBALANCE_UP",
        "IMBALANCE_UP": "IMBALANCE_DOWN",
        "IMBALANCE_DOWN": "BALANCE",
    }
    with conn.cursor() as cur:
        for i in moved:
            cur.execute(
                "UPDATE volume_profile SET poc = poc + 3 * %s WHERE id = %s",
                (TICK, profile_rows[i][0]),
            )
        for i in flipped:
            cur.execute(
                "UPDATE market_state SET state = %s WHERE id = %s",
                (other[state_rows[i][2]], state_rows[i][0]),
            )
    conn.commit()
    conn.close()

    def bar(written) -> str:  # the documented alignment rule
        return (
            pd.Timestamp(written).tz_convert("UTC").floor("min") - pd.Timedelta(minutes=1)
        ).isoformat()

    code, report = run_cli(tmp_path, dsn, STRICT)
    assert code == 1
    logged = divergences(tmp_path)
    assert {d["minute"] for d in logged if d["metric"] == "poc"} == {
        bar(profile_rows[i][1]) for i in moved
    }
    assert {d["minute"] for d in logged if d["metric"] == "state"} == {
        bar(state_rows[i][1]) for i in flipped
    }
    assert {d["metric"] for d in logged} <= {"poc", "state"}
    poc = [d for d in logged if d["metric"] == "poc"]
    assert all(abs(d["error"] - 3.0) < 1e-6 and d["tolerance"] == 2.0 for d in poc)
    assert all(d["reproduce"].startswith(f"parity run --symbol {SYMBOL} --start ") for d in logged)
    failed = set(report["failed"])
    assert failed == {f"{SYMBOL}.poc.min_match_rate", f"{SYMBOL}.state.min_match_rate"}
    junit = (tmp_path / "report" / "junit.xml").read_text()
    assert junit.count("<failure") == 2 and junit.count("<testcase") == 4

    # parity gate reproduces the verdict offline, from the stored result alone
    config = tmp_path / "parity.toml"
    assert main(["gate", str(tmp_path / "report" / "parity.json"), "--config", str(config)]) == 1


def test_ignore_rules_count_known_mismatches_without_dropping_them(perfect_world, tmp_path):
    dsn, _ = perfect_world
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE market_state SET state = 'IMBALANCE_DOWN' WHERE state <> 'IMBALANCE_DOWN'"
        )
    conn.commit()
    conn.close()
    config = (
        STRICT + '\n[[ignore]]\nmetric = "state"\nreason = "engine mislabelled states that day"\n'
    )
    code, report = run_cli(tmp_path, dsn, config)
    state = report["symbols"][SYMBOL]["metrics"]["state"]
    assert state["ignored"] == state["divergent"] > 0
    assert all(
        d["ignored"] and d["ignore_reason"] for d in divergences(tmp_path) if d["metric"] == "state"
    )
    assert state["match_rate"] == 1.0  # the ignored minutes leave the denominator, not the log
    assert code == 0


def test_imperfections_are_handled_and_counted(fresh_db, tape, tmp_path):
    world = build_world(fresh_db, tape, Imperfections(), Params(**PERFECT_PARAMS))
    injected = world["rows"].injected
    code, report = run_cli(tmp_path, fresh_db, STRICT)
    summary = report["symbols"][SYMBOL]
    assert code == 0  # late writes, a gap and duplicates add no divergence
    assert divergences(tmp_path) == []
    assert summary["live_rows"]["duplicates"] == dict.fromkeys(
        ("volume_profile", "order_flow", "market_state"), len(injected.duplicated)
    )
    assert summary["live_rows"]["minutes_without_live_row"] == injected.bars_in_gaps
    assert summary["metrics"]["coverage"]["share"] == pytest.approx(
        1 - injected.bars_in_gaps / summary["compared_minutes"]
    )


def test_renamed_schema_with_mapped_columns_and_labels_gives_the_same_result(
    perfect_world, tmp_path
):
    dsn, _ = perfect_world
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA engine")
        cur.execute(
            "CREATE TABLE engine.instruments AS SELECT id AS instrument_id, symbol AS name, tick_size AS tick FROM symbols"
        )
        cur.execute(
            "CREATE TABLE engine.bars AS SELECT symbol_id AS instrument, ts AS open_time, open, high, low, close, volume AS qty, "
            "buy_volume AS taker_buy FROM candles"
        )
        cur.execute(
            "CREATE TABLE engine.vp AS SELECT symbol_id AS instrument, ts AS written, poc AS point_of_control, vah, val, total_volume FROM volume_profile"
        )
        cur.execute(
            "CREATE TABLE engine.flow AS SELECT symbol_id AS instrument, ts AS written, cumulative_delta AS cvd, "
            "buy_pressure / 100 AS buy_share, sell_pressure / 100 AS sell_share, cvd_momentum, buy_volume, sell_volume FROM order_flow"
        )
        cur.execute(
            "CREATE TABLE engine.regime AS SELECT symbol_id AS instrument, ts AS written, "
            "CASE state WHEN 'BALANCE' THEN 'balanced' WHEN 'IMBALANCE_UP' THEN 'trend-up' ELSE 'trend-down' END AS label, "
            "confidence, distance_from_poc_pct, momentum_score FROM market_state"
        )
    conn.commit()
    conn.close()
    mapped = (
        STRICT
        + """
[schema]
namespace = "engine"
[schema.symbols]
table = "instruments"
columns = { id = "instrument_id", symbol = "name", tick_size = "tick" }
id_column = "instrument_id"
[schema.candles]
table = "bars"
id_column = ""
columns = { symbol_id = "instrument", ts = "open_time", volume = "qty", buy_volume = "taker_buy" }
[schema.volume_profile]
table = "vp"
id_column = ""
columns = { symbol_id = "instrument", ts = "written", poc = "point_of_control" }
[schema.order_flow]
table = "flow"
id_column = ""
columns = { symbol_id = "instrument", ts = "written", cumulative_delta = "cvd", buy_pressure = "buy_share", sell_pressure = "sell_share" }
[schema.market_state]
table = "regime"
id_column = ""
columns = { symbol_id = "instrument", ts = "written", state = "label" }
[schema.units]
buy_pressure = 100.0
sell_pressure = 100.0
[schema.states]
balanced = "BALANCE"
"trend-up" = "IMBALANCE_UP"
"trend-down" = "IMBALANCE_DOWN"
"""
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code_default, default = run_cli(tmp_path / "a", dsn, STRICT)
    code_mapped, renamed = run_cli(tmp_path / "b", dsn, mapped)
    assert code_default == code_mapped == 0
    from deepdiff import DeepDiff

    # pressures went through / 100 and * 100: equal up to float noise
    assert DeepDiff(default["symbols"], renamed["symbols"], math_epsilon=1e-9) == {}


def test_unknown_state_label_is_bad_input(perfect_world, tmp_path, capsys):
    dsn, _ = perfect_world
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE market_state DROP CONSTRAINT market_state_state_check")
        cur.execute(
            "UPDATE market_state SET state = 'SIDEWAYS' WHERE id = (SELECT min(id) FROM market_state)"
        )
    conn.commit()
    conn.close()
    code, _ = run_cli(tmp_path, dsn, STRICT)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "'SIDEWAYS'" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "report").exists()


def checksum(dsn: str) -> dict[str, str]:
    conn = psycopg2.connect(dsn)
    sums = {}
    with conn.cursor() as cur:
        for table in ("volume_profile", "order_flow", "market_state", "candles", "symbols"):
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
            )
            sums[table] = cur.fetchone()
    conn.close()
    return sums


def test_live_tables_are_unchanged_by_a_run_even_for_a_user_who_could_write(
    perfect_world, tmp_path
):
    dsn, _ = perfect_world  # the test server's user is a superuser: it could write anything
    before = checksum(dsn)
    run_cli(tmp_path, dsn, STRICT)
    main(["run", "--dsn", dsn, "--self-check"])
    assert checksum(dsn) == before


def test_self_check_is_perfect(perfect_world, capsys):
    dsn, _ = perfect_world
    assert main(["run", "--dsn", dsn, "--self-check"]) == 0
    out = capsys.readouterr().out
    assert "live_vs_live: perfect" in out and "calculated_vs_calculated: perfect" in out


def test_a_failed_run_leaves_the_previous_report_intact(perfect_world, tmp_path, monkeypatch):
    dsn, _ = perfect_world
    assert run_cli(tmp_path, dsn, STRICT)[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "report").iterdir()}

    from parity.harness import report as report_module

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if killed while rendering, after parity.json was written

    monkeypatch.setattr(report_module, "render_junit", crash)
    assert run_cli(tmp_path, dsn, STRICT)[0] == 130
    after = {p.name: p.read_bytes() for p in (tmp_path / "report").iterdir()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_a_killed_run_never_leaves_a_half_written_report(perfect_world, tmp_path):
    dsn, _ = perfect_world
    config = tmp_path / "parity.toml"
    config.write_text(STRICT)
    out = tmp_path / "report"
    command = [
        sys.executable,
        "-m",
        "parity",
        "run",
        "--dsn",
        dsn,
        "--config",
        str(config),
        "--out",
        str(out),
    ]
    assert subprocess.run(command, capture_output=True).returncode == 0
    complete = {p.name: p.read_bytes() for p in out.iterdir()}
    for delay in (0.5, 1.5, 2.5, 3.5):
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # the report is the previous complete one, or (if the run had finished) an equal new one
        report_dir = out if out.exists() else next(tmp_path.glob(".report.swap-*"))
        files = {p.name: p.read_bytes() for p in report_dir.iterdir()}
        assert set(files) == set(complete)
        assert (
            json.loads(files["parity.json"])["symbols"]
            == json.loads(complete["parity.json"])["symbols"]
        )
    assert os.path.exists(out) or list(tmp_path.glob(".report.swap-*"))


def test_baseline_ratchet_fails_on_a_regression(perfect_world, tmp_path):
    dsn, _ = perfect_world
    assert run_cli(tmp_path, dsn, STRICT)[0] == 0
    baseline = tmp_path / "baseline.json"
    baseline.write_text((tmp_path / "report" / "parity.json").read_text())
    config = tmp_path / "parity.toml"
    report_path = tmp_path / "report" / "parity.json"
    assert (
        main(["gate", str(report_path), "--config", str(config), "--baseline", str(baseline)]) == 0
    )

    regressed = json.loads(report_path.read_text())
    regressed["symbols"][SYMBOL]["metrics"]["poc"]["match_rate"] = (
        0.95  # worse than 1.0 by more than the slack
    )
    worse = tmp_path / "worse.json"
    worse.write_text(json.dumps(regressed))
    loose = tmp_path / "loose.toml"
    loose.write_text(
        STRICT.replace("[gate.poc]\nmin_match_rate = 1.0", "[gate.poc]\nmin_match_rate = 0.9")
    )
    assert (
        main(["gate", str(worse), "--config", str(loose)]) == 0
    )  # the threshold alone still holds
    assert main(["gate", str(worse), "--config", str(loose), "--baseline", str(baseline)]) == 1


def test_unreachable_database_is_exit_2_one_line_without_password(tmp_path, capsys):
    code = main(
        [
            "run",
            "--dsn",
            "postgresql://alice:s3cret@127.0.0.1:1/nowhere",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "s3cret" not in err[0]
    assert not (tmp_path / "r").exists()


def test_bad_config_is_exit_2_naming_the_key(tmp_path, capsys):
    config = tmp_path / "parity.toml"
    config.write_text("[gate.poc]\nmin_match_rat = 0.5\n")
    assert main(["run", "--dsn", "postgresql://x@127.0.0.1:1/x", "--config", str(config)]) == 2
    assert "min_match_rat" in capsys.readouterr().err


def test_a_mapped_table_that_does_not_exist_is_exit_2_one_line(perfect_world, tmp_path, capsys):
    dsn, _ = perfect_world
    code, _ = run_cli(tmp_path, dsn, '[schema.market_state]\ntable = "no_such_table"\n')
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "no_such_table" in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize(
    ("symbol", "config_path"),
    [
        ("BTC-USD", "x;id>PWNED;.toml"),
        ("BTC USD", "my configs/parity $(id).toml"),
        ("ETH-USD", "it's.toml"),
        ("ETH-USD", None),
    ],
)
def test_the_reproduce_command_is_shell_quoted(symbol, config_path):
    """A shell splits the logged command back into exactly the arguments it
    names: a config path (or symbol) with shell syntax stays one argument."""
    import shlex

    from parity.harness.runner import reproduce_command

    minute = pd.Timestamp("2025-01-02T03:04Z")
    command = reproduce_command(symbol, minute, config_path)
    expected = ["parity", "run", "--symbol", symbol, "--start", minute.isoformat(),
                "--end", (minute + pd.Timedelta(minutes=1)).isoformat()]  # fmt: skip
    if config_path:
        expected += ["--config", config_path]
    assert shlex.split(command) == expected
