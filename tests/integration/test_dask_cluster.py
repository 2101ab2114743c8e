"""`parity run`, `parity backtest` and `parity sweep` on a real Dask cluster.

The cluster is separate processes on 127.0.0.1, started here: ``dask
scheduler`` and two ``dask worker --nthreads 1`` (no nanny, so a SIGKILL
really loses the worker).  The world: three simulated symbols with replayed
live rows in a database of the test PostgreSQL, which the workers reach with
the DSN the tasks carry.  Every result is compared with ``--jobs 1``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import psycopg2
import pytest
from databases import scratch_database

from calculators import candles_from_trades
from parity.cli import main
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import write_candles, write_trades
from parity.execution.cluster import ProcessCluster
from parity.worlds.recipes import replay_symbol
from parity_fixtures.simulator import simulate_trades

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.postgres

SYMBOLS = ("AAA-USD", "BBB-USD", "CCC-USD")
START, END = "2025-01-01T20:00Z", "2025-01-02T02:00Z"


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PARITY_DASK_SCHEDULER", None)
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-thread workers, always stopped afterwards."""
    with ProcessCluster(tmp_path_factory.mktemp("dask"), workers=2, nthreads=1) as running:
        yield running


@pytest.fixture(scope="module")
def world(pg_dsn) -> str:
    """A database with three simulated symbols (trades, candles, 25 h of
    replayed live rows each); its DSN (no password: the server is local)."""
    with scratch_database(pg_dsn, "dask") as dsn:
        conn = psycopg2.connect(dsn)
        apply_schema(conn)
        for k, symbol in enumerate(SYMBOLS):
            tape = simulate_trades(1.2, seed=20 + k, start_price=50.0 + 30 * k)
            sid = ensure_symbol(conn, symbol, 0.01)
            write_trades(conn, sid, tape)
            write_candles(conn, sid, candles_from_trades(tape))
            replay_symbol(conn, symbol, seed=k)
        conn.commit()
        conn.close()
        yield dsn


def _parity_json(out: Path) -> dict:
    document = json.loads((out / "parity.json").read_text())
    document.pop("run")  # run metadata (the same here, but not part of the contract)
    document.pop("reproducibility")  # when and with what it ran: the time differs
    return document


def test_parity_run_on_the_cluster_equals_jobs_1(cluster, world, tmp_path):
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["run", "--dsn", world, "--all", "--out", str(local), "--jobs", "1"]) in (0, 1)
    code = main(
        ["run", "--dsn", world, "--all", "--out", str(remote), "--scheduler", cluster.address]
    )
    assert code in (0, 1)
    reference = _parity_json(local)
    assert sorted(reference["symbols"]) == sorted(SYMBOLS)
    assert _parity_json(remote) == reference


def test_sweep_and_backtests_on_the_cluster_equal_jobs_1(cluster, world, tmp_path, capsys):
    sweep = ["sweep", "--dsn", world, "--symbol", SYMBOLS[1], "--start", START, "--end", END,
             "--grid", "lookback_period=30,60", "--grid", "poc_distance_threshold=0.3,1.5",
             "--grid", "allow_balance_trades=false,true", "--param", "min_confidence=40"]  # fmt: skip
    assert main([*sweep, "--out", str(tmp_path / "s1"), "--jobs", "1"]) == 0
    assert main([*sweep, "--out", str(tmp_path / "s2"), "--scheduler", cluster.address]) == 0
    table = (tmp_path / "s1" / "sweep.csv").read_text()
    assert len(table.splitlines()) == 9
    assert (tmp_path / "s2" / "sweep.csv").read_text() == table

    capsys.readouterr()
    backtest = ["backtest", "--dsn", world, "--start", START, "--end", END, "--json",
                "--param", "min_confidence=40", "--param", "poc_distance_threshold=0.3"]  # fmt: skip
    assert main([*backtest, "--symbols", *SYMBOLS, "--jobs", "1"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*backtest, "--all", "--scheduler", cluster.address]) == 0
    assert json.loads(capsys.readouterr().out) == local
    assert [row["symbol"] for row in local["summary"]] == list(SYMBOLS)
    # each symbol's document is exactly what a single-symbol run prints
    assert main([*backtest, "--symbol", SYMBOLS[2]]) == 0
    assert json.loads(capsys.readouterr().out) == local["results"][2]
    assert sum(row["trade_count"] for row in local["summary"]) > 0


def test_calibrate_on_the_cluster_equals_local(cluster, world, tmp_path, capsys):
    calibrate = ["calibrate", "--dsn", world, "--symbol", SYMBOLS[0]]
    local_code = main([*calibrate, "--out", str(tmp_path / "local.toml")])
    local_out = capsys.readouterr().out
    remote_code = main([*calibrate, "--out", str(tmp_path / "remote.toml"),
                        "--scheduler", cluster.address])  # fmt: skip
    remote_out = capsys.readouterr().out
    assert local_code in (0, 1)
    assert remote_code == local_code
    # the same table, line for line (the search's wall time aside)
    assert [ln.split("tried in")[0] for ln in remote_out.splitlines()] == [
        ln.split("tried in")[0] for ln in local_out.splitlines()
    ]
    files = [tmp_path / "local.toml", tmp_path / "remote.toml"]
    assert [f.exists() for f in files] == [local_code == 0] * 2
    if local_code == 0:
        assert _params_table(files[0]) == _params_table(files[1])


def _params_table(path: Path) -> dict:
    return tomllib.loads(path.read_text())["params"]


def test_a_task_failing_on_bad_data_names_the_symbol(cluster, world, tmp_path, capsys):
    out = tmp_path / "never"
    code = main(["backtest", "--dsn", world, "--start", START, "--end", END, "--out", str(out),
                 "--symbols", SYMBOLS[0], "NOPE-USD", "--scheduler", cluster.address])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "parity: error: NOPE-USD: unknown symbol 'NOPE-USD'"
    assert not out.exists()


def test_a_worker_killed_mid_run_changes_nothing(cluster, world, tmp_path):
    reference = tmp_path / "local"
    assert main(["run", "--dsn", world, "--all", "--out", str(reference)]) in (0, 1)
    with distributed.Client(cluster.address, timeout=10) as client:
        before = set(client.scheduler_info()["workers"])
        victim = cluster.add_worker()
        cluster.wait_for_workers(len(before) + 1)
        (victim_address,) = set(client.scheduler_info()["workers"]) - before
        remote = tmp_path / "remote"
        run = subprocess.Popen(
            [sys.executable, "-m", "parity", "run", "--dsn", world, "--all", "--out", str(remote),
             "--scheduler", cluster.address],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
        )  # fmt: skip
        killed = threading.Event()
        deadline = time.monotonic() + 60
        while run.poll() is None and time.monotonic() < deadline:
            if client.processing().get(victim_address):
                os.kill(victim.pid, signal.SIGKILL)
                killed.set()
                break
            time.sleep(0.02)
        _out, err = run.communicate(timeout=120)
    assert killed.is_set(), "the victim never got a task"
    assert run.returncode in (0, 1), err.decode()
    assert _parity_json(remote) == _parity_json(reference)


def test_an_unreachable_scheduler_exits_2_with_one_line(world, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "parity", "run", "--dsn", world, "--all", "--out",
         str(tmp_path / "r"), "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "parity: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "r").exists()
