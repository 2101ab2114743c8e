"""Benchmark of the PostgreSQL layer; prints one JSON object.

- embedded server: cold start (initdb + start on a new temporary data
  directory), restart (start on that stopped directory) and warm start (attach
  to the running server, from a fresh process), in seconds;
- ``write_candles`` (validation, CSV, COPY into a TEMP table, INSERT ... ON
  CONFLICT DO NOTHING, commit) of N synthetic 1-minute candles, in rows/s, for a
  first load, a reload of the same rows (all already present) and, for
  comparison, a first load into a ``candles`` table without its foreign key;
- ``read_candles`` of the N rows, in rows/s.

Usage: ``python benchmarks/bench_db.py [--rows 1000000]``.  Everything runs on
a temporary embedded server that is stopped and deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2
from psycopg2 import sql

from parity.db import embedded
from parity.db.connect import connect
from parity.db.schema import apply_schema, ensure_symbol
from parity.db.store import read_candles, write_candles


def synthetic_candles(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` valid 1-minute candles (a random walk around 100, full-precision floats)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="min", tz="UTC", name="ts")
    close = 100.0 + np.cumsum(rng.standard_normal(rows)) * 0.01
    close = np.abs(close) + 1.0
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + rng.random(rows) * 0.05
    low = np.minimum(open_, close) - rng.random(rows) * 0.05
    volume = rng.random(rows) * 1000.0
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def create_database(admin_dsn: str, name: str) -> str:
    """Create database ``name`` on the server of ``admin_dsn``; returns its DSN."""
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    params = psycopg2.extensions.parse_dsn(admin_dsn)
    params["dbname"] = name
    return psycopg2.extensions.make_dsn(**params)


def time_load(dsn: str, frame: pd.DataFrame, drop_fk: bool = False) -> tuple[float, float, int]:
    """Seconds of a first load and of a reload of ``frame``, and rows inserted the first time."""
    conn = connect(dsn)
    apply_schema(conn)
    if drop_fk:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE candles DROP CONSTRAINT candles_symbol_id_fkey")
    symbol_id = ensure_symbol(conn, "SYN", 1e-12)
    conn.commit()
    began = time.perf_counter()
    inserted = write_candles(conn, symbol_id, frame)
    conn.commit()
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = write_candles(conn, symbol_id, frame)
    conn.commit()
    reload = time.perf_counter() - began
    assert again == 0, again
    conn.close()
    return first, reload, inserted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="synthetic candles (default 1,000,000)"
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    pgdata = root / "pgdata"
    result: dict[str, object] = {
        "rows": args.rows,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pandas": pd.__version__,
    }
    try:
        cold = embedded.start(pgdata)
        result["embedded_cold_start_s"] = round(cold.start_seconds, 3)
        embedded.stop(pgdata)
        restart = embedded.start(pgdata)
        result["embedded_restart_s"] = round(restart.start_seconds, 3)
        probe = (
            "import json; from pathlib import Path; from parity.db import embedded; "
            f"s = embedded.start(Path({str(pgdata)!r})); "
            "print(json.dumps([s.already_running, s.start_seconds]))"
        )
        began = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        )
        process_seconds = time.perf_counter() - began
        already, warm_seconds = json.loads(out.stdout)
        assert already, "the warm start did not find the server running"
        result["embedded_warm_start_s"] = round(warm_seconds, 4)
        result["embedded_warm_start_whole_process_s"] = round(process_seconds, 3)

        conn = psycopg2.connect(restart.dsn)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            result["postgresql"] = cur.fetchone()[0]
        conn.close()

        frame = synthetic_candles(args.rows)
        bench_dsn = create_database(restart.dsn, "bench")
        first, reload, inserted = time_load(bench_dsn, frame)
        assert inserted == args.rows, inserted
        result["write_candles_s"] = round(first, 3)
        result["write_candles_rows_per_s"] = round(args.rows / first)
        result["reload_all_present_s"] = round(reload, 3)
        result["reload_all_present_rows_per_s"] = round(args.rows / reload)

        conn = connect(bench_dsn)
        began = time.perf_counter()
        back = read_candles(conn, 1)
        read_seconds = time.perf_counter() - began
        conn.close()
        assert len(back) == args.rows
        assert np.array_equal(back["close"].to_numpy(), frame["close"].to_numpy())
        result["read_candles_s"] = round(read_seconds, 3)
        result["read_candles_rows_per_s"] = round(args.rows / read_seconds)

        first, _, _ = time_load(create_database(restart.dsn, "bench_nofk"), frame, drop_fk=True)
        result["write_candles_without_fk_s"] = round(first, 3)
        result["write_candles_without_fk_rows_per_s"] = round(args.rows / first)
    finally:
        embedded.stop(pgdata)
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
