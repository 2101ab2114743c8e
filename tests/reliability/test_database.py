"""Database faults and killed processes (issue 8, parts 3 and 6).

- live rows a foreign engine may really store (a ``state`` NULL on every row),
  unreachable servers, mapped tables or columns that do not exist: exit 2 (or
  a report), one line, the live tables unchanged;
- a server stopped during a run (a private server, never the session's): one
  line naming the table being read and saying the connection was lost;
- SIGKILL during a load: all or nothing; SIGKILL during report writing: the
  previous report folder intact, the user's files beside it too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg2
import pytest
from databases import create_database
from psycopg2.extensions import parse_dsn
from reliability_helpers import (
    assert_one_line,
    assert_refused,
    build_world,
    checksums,
    cli,
    tree,
)

from parity.errors import ParityError

pytestmark = pytest.mark.postgres

LIVE = ("volume_profile", "order_flow", "market_state")


def copy_of(world: str) -> str:
    """A new database that is a copy of ``world`` (CREATE DATABASE ... TEMPLATE)."""
    return create_database(world, "c", template=parse_dsn(world)["dbname"])


def execute(dsn: str, statement: str) -> None:
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def test_state_null_on_every_row_is_reported_not_a_crash(world, sandbox, capsys):
    """The schema allows a NULL state: the run compares what there is (the
    state metric has no evidence, so its threshold fails: exit 1), no traceback."""
    dsn = copy_of(world)
    execute(dsn, "UPDATE market_state SET state = NULL")
    (sandbox / "gate.toml").write_text("[gate.state]\nmin_match_rate = 0.5\n")
    before = checksums(dsn)
    code, _, err = cli(["run", "--dsn", dsn, "--config", "gate.toml", "--out", "out"], capsys)
    assert code == 1, err
    assert not any("Traceback" in line for line in err)
    report = json.loads((sandbox / "out" / "parity.json").read_text())
    assert report["verdict"] == "fail"
    assert checksums(dsn) == before


@pytest.fixture(scope="module")
def extreme_world(world: str) -> str:
    """A copy of the world where another writer stored a candle high of 1e19
    (the loader refuses it; the schema does not)."""
    dsn = copy_of(world)
    execute(dsn, "UPDATE candles SET high = 1e19 WHERE ts = '2025-01-02T03:00Z'")
    return dsn


PERIOD = ["--symbol", "DEMO-USD", "--start", "2025-01-02T02:00Z", "--end", "2025-01-02T05:00Z"]


@pytest.mark.parametrize(
    "argv",
    [["backtest", *PERIOD], ["sweep", *PERIOD, "--grid", "lookback_period=30,60"],
     ["run", "--symbol", "DEMO-USD"]],
    ids=["backtest", "sweep", "run"],
)  # fmt: skip
def test_an_extreme_stored_candle_is_refused_not_a_crash(argv, extreme_world, sandbox, capsys):
    """1e19 once crashed the kernels (LLVM abort, segmentation fault): now the
    bar is named before any kernel runs."""
    before_tree, before_sums = tree(sandbox), checksums(extreme_world)
    code, _, err = cli([*argv, "--dsn", extreme_world, "--out", "out"], capsys)
    assert_refused(code, err, "1e+19", "too large", sandbox=sandbox, before_tree=before_tree,
                   dsn=extreme_world, before_sums=before_sums)  # fmt: skip


#: name -> (config text, words); each run against the world must refuse.
SCHEMA_FAULTS = {
    "missing-table": ('[schema.market_state]\ntable = "no_such_table"\n', "no_such_table"),
    "missing-column": (
        '[schema.order_flow]\ncolumns = { buy_pressure = "no_such_column" }\n', "no_such_column",
    ),
    "missing-namespace": ('[schema]\nnamespace = "nowhere"\n', "nowhere"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SCHEMA_FAULTS))
def test_a_schema_that_does_not_match_the_database_is_refused(case, world, sandbox, capsys):
    text, word = SCHEMA_FAULTS[case]
    (sandbox / "parity.toml").write_text(text)
    before_tree, before_sums = tree(sandbox), checksums(world)
    code, _, err = cli(
        ["run", "--dsn", world, "--config", "parity.toml", "--symbol", "DEMO-USD", "--out", "out"],
        capsys,
    )
    assert_refused(code, err, word, sandbox=sandbox, before_tree=before_tree, dsn=world,
                   before_sums=before_sums)  # fmt: skip


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://alice:s3cret@127.0.0.1:1/nowhere",
        "host=127.0.0.1 port=1 user=alice password=s3cret dbname=x",
        "postgresql://alice:s3cret@[::1",
    ],
    ids=["refused-port", "key-value", "malformed"],
)
@pytest.mark.parametrize("command", ["run", "load"])
def test_an_unreachable_server_is_one_line_without_password(dsn, command, sandbox, capsys):
    (sandbox / "c.csv").write_text("ts,open,high,low,close,volume\n2025-01-01T00:00Z,1,1,1,1,1\n")
    argv = (
        ["run", "--dsn", dsn, "--out", "out"]
        if command == "run"
        else ["load", "candles", "c.csv", "--symbol", "X", "--dsn", dsn]
    )
    before = tree(sandbox)
    code, _, err = cli(argv, capsys)
    assert_refused(code, err, "PostgreSQL", sandbox=sandbox, before_tree=before)
    assert "s3cret" not in err[0]


def _run_parity(args: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "parity", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _waiting_on_lock(dsn: str) -> bool:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'backtest-parity'"
                " AND wait_event_type = 'Lock'"
            )
            return cur.fetchone()[0] > 0
    finally:
        conn.close()


def test_a_server_stopped_during_a_run_names_the_table(tmp_path):
    """A private server: the run blocks reading market_state (another session
    holds a lock on it), the server stops, the run says which table it was
    reading and that the connection was lost."""
    from parity.db import embedded

    # Not under tmp_path: pytest prunes old base folders of other sessions on a shared /tmp.
    data = Path(tempfile.mkdtemp(prefix="parity-reliability-pg-")) / "pgdata"
    server = embedded.start(data)
    try:
        build_world(server.dsn)
        holder = psycopg2.connect(server.dsn)
        with holder.cursor() as cur:
            cur.execute("LOCK TABLE market_state IN ACCESS EXCLUSIVE MODE")
        out = tmp_path / "out"
        child = _run_parity(
            ["run", "--dsn", server.dsn, "--symbol", "DEMO-USD", "--out", str(out)], cwd=tmp_path
        )
        _wait_for(lambda: _waiting_on_lock(server.dsn), what="the run to block on the lock")
        embedded.stop(data)
        _, stderr = child.communicate(timeout=60)
        holder.close()
    finally:
        try:
            embedded.stop(data)  # if the test failed before stopping it
        except ParityError:
            pass  # already stopped
        shutil.rmtree(data.parent, ignore_errors=True)
    lines = stderr.strip().splitlines()
    assert child.returncode == 2, stderr
    assert_one_line(lines, "market_state", "lost the connection")
    assert not out.exists()


def _idle_in_transaction(dsn: str) -> bool:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'backtest-parity'"
                " AND state = 'idle in transaction'"
            )
            return cur.fetchone()[0] > 0
    finally:
        conn.close()


#: Runs ``parity`` with one library function slowed down after it did its work,
#: so a test can SIGKILL the process at a known point.
_SLOWED = textwrap.dedent(
    """
    import importlib, sys, time
    module_name, function_name = sys.argv[1], sys.argv[2]
    module = importlib.import_module(module_name)
    original = getattr(module, function_name)
    def slowed(*args, **kwargs):
        result = original(*args, **kwargs)
        print("SLOWED", flush=True)
        time.sleep(60)
        return result
    setattr(module, function_name, slowed)
    from parity.cli import main
    raise SystemExit(main(sys.argv[3:]))
    """
)


def test_sigkill_during_a_load_stores_nothing(world, tmp_path):
    """Killed after its rows were inserted but before the commit: nothing stored."""
    dsn = copy_of(world)
    rows = ["ts,open,high,low,close,volume"] + [
        f"2026-01-01T{h:02d}:{m:02d}:00Z,10,11,9,10,1" for h in range(24) for m in range(60)
    ]
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n")
    before = checksums(dsn)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOWED, "parity.cli.commands.load", "write_candles",
         "load", "candles", str(tmp_path / "c.csv"), "--symbol", "KILLED", "--dsn", dsn],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "SLOWED"
    _wait_for(lambda: _idle_in_transaction(dsn), what="the load's open transaction")
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    _wait_for(lambda: not _idle_in_transaction(dsn), what="the server to roll back")
    assert checksums(dsn) == before


def test_sigkill_during_report_writing_keeps_the_previous_report(world, sandbox):
    """Killed while the report's files are being written: ``out/`` is exactly the
    previous run's (with the user's file in it), the file beside it survives,
    and the next run cleans the stale staging folder."""
    before = tree(sandbox)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOWED, "parity.harness.report", "render_markdown",
         "run", "--dsn", world, "--out", "out"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=sandbox,
    )  # fmt: skip
    assert child.stdout.readline().strip() == "SLOWED"
    staging = [p for p in sandbox.iterdir() if p.name.startswith(".out.staging-")]
    assert staging and (staging[0] / "parity.json").is_file()  # killed mid-write
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    after = {k: v for k, v in tree(sandbox).items() if ".out.staging-" not in k}
    after.pop(".out.lock", None)
    assert after == before
    # the next run replaces out/ (marked: the tool's) and leaves no staging behind
    done = subprocess.run(
        [sys.executable, "-m", "parity", "run", "--dsn", world, "--out", "out"],
        capture_output=True, text=True, cwd=sandbox,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (sandbox / "out" / "parity.json").is_file() and (sandbox / "beside.txt").is_file()
    assert not [p for p in os.listdir(sandbox) if "staging" in p or "previous" in p]


def test_a_second_run_into_the_same_folder_waits_for_the_first(world, sandbox):
    """Two real processes into one --out: both succeed (the second waits for the
    first's lock), one complete report remains, no staging folder is left."""
    first = _run_parity(["run", "--dsn", world, "--out", "shared"], cwd=sandbox)
    second = _run_parity(["run", "--dsn", world, "--out", "shared"], cwd=sandbox)
    results = [p.communicate(timeout=120) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert json.loads((sandbox / "shared" / "parity.json").read_text())["symbols"]
    assert not [p for p in os.listdir(sandbox) if "staging" in p or "previous" in p]


def test_the_live_tables_are_never_written_by_a_run(world, sandbox, capsys):
    before = checksums(world)
    assert cli(["run", "--dsn", world, "--self-check"], capsys)[0] == 0
    assert checksums(world) == before


def test_demo_ignores_parity_dsn(pg_dsn, fresh_db, sandbox, capsys, monkeypatch):
    """``$PARITY_DSN`` names the user's database for ``parity run``: ``parity
    demo`` must not write its world there; without ``--dsn`` it uses the
    embedded server (here stood in for by another scratch database)."""
    from types import SimpleNamespace

    from databases import scratch_database

    from parity.db import embedded

    monkeypatch.setenv("PARITY_DSN", fresh_db)
    before = checksums(fresh_db)
    with scratch_database(pg_dsn, "emb") as embedded_dsn:
        server = SimpleNamespace(
            dsn=embedded_dsn, already_running=True, start_seconds=0.0, data_dir=sandbox
        )
        monkeypatch.setattr(embedded, "start", lambda *a, **k: server)
        code, _, err = cli(["demo", "--out", "report"], capsys)
        assert code in (0, 1), err
        assert checksums(fresh_db) == before  # the user's database: untouched
        assert checksums(embedded_dsn)["market_state"][0] > 0  # the demo went here
