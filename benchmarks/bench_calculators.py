"""Benchmark the calculators: a year in one call, the per-timestamp API, the streaming calculator.

Prints one JSON document.  Every speed is also given as a ratio to a naive
reference measured in the same run (``naive_reference``): a serial Numba kernel
that rebuilds each bar's 60-minute volume histogram from scratch (zero the
window's rows, spread each candle's volume uniformly over its rows one row at
a time, take the fullest row), the issue's yardstick of about 1.1 µs a row.

- ``naive_reference``: its microseconds per row over the same candles (best
  of 3), and those of the same rebuild with each candle on its close's row only.
- ``vs_naive``: per-timestamp cost per timestamp, streaming cost per update and
  `compute` cost per row, each divided by the naive microseconds per row; the
  targets of issue 11 and whether they are met.

- ``compute``: seconds of ``calculators.compute`` on ``--rows`` (default one
  year, 525,600) 1-minute candles, best of ``--repeat`` (default 3), numba
  compilation excluded (a small slice is computed first); microseconds per row;
  ``first_call_seconds`` (that first call: compiling, or loading numba's
  on-disk cache) and ``cold_compile_seconds`` (the same first call in a fresh
  process with an empty numba cache directory: the true compile time).
- ``per_timestamp``: ``calculate_profile``, ``calculate_flow`` and
  ``calculate_state`` per bar (the calls of the seed's ``check_entry_signal``),
  on the candles of the last ``lookback_period`` minutes as dicts (each bar a
  new list of the same dicts), over the first ``--per-timestamp-rows``
  (default 20,000) bars; microseconds per timestamp (timed with each result
  dropped, as a caller uses them; a second pass keeps them); how many rows
  equal ``compute``'s exactly.
- ``streaming``: ``StreamingCalculator.update`` on the first
  ``--streaming-rows`` (default 100,000) bars as dicts; microseconds per
  update (each row dropped, as a live engine consumes it; a second pass keeps
  the rows); how many rows equal ``compute``'s exactly (every column, bit for
  bit).
- ``ratio``: per-timestamp microseconds per row / compute microseconds per row.
- ``memory``: peak resident memory (MiB) of a fresh process that builds the
  candles and runs ``compute`` once on them (``VmHWM``, and ``ru_maxrss``,
  which Linux carries over from the parent at fork/exec), its resident
  memory just before that call, the growth during the call, and the peak of
  the memory Python and numpy allocate during the call (``tracemalloc``).
- ``data``: where the candles come from.  ``parity_fixtures.simulator.simulate_candles``
  if it gives a full minute grid; it does not (quiet minutes have no bar, and
  its bars hold about 3 trades), so a deterministic random walk with the
  1-minute statistics of ``btcperp-1m-2022-01`` (return volatility, wick
  sizes, volume level and spread, volume-volatility coupling; measured from
  the file when it is found, else the constants below, measured from it once).

Usage::

    python benchmarks/bench_calculators.py                  # the year
    python benchmarks/bench_calculators.py --rows 5000 --per-timestamp-rows 200 \
        --streaming-rows 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from numba import njit

from calculators import (
    OUTPUT_COLUMNS,
    BacktestMarketStateCalculator,
    BacktestOrderFlowCalculator,
    BacktestVolumeProfileCalculator,
    Params,
    StreamingCalculator,
    compute,
)
from calculators.timeutil import MINUTE_NS
from parity.datadir import resolve_data_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]

YEAR_ROWS = 525_600
CALIBRATION_FILE = "btcperp-1m-2022-01.csv.gz"
#: The random walk's parameters as measured from btcperp-1m-2022-01 (used when
#: the file is not found): sd of the 1-minute log return, mean upper and lower
#: wick (fraction of price), mean and sd of log volume, the correlation of log
#: volume with the standardized log |return|, the first open.
FALLBACK_CALIBRATION = {
    "return_sd": 0.0009875,
    "wick_up_mean": 0.0002656,
    "wick_down_mean": 0.0002579,
    "log_volume_mean": 14.1040219,
    "log_volume_sd": 1.1550798,
    "volume_coupling": 0.4820684,
    "start_price": 46319.0,
}
TICK = 0.1
STUDENT_DF = 3.0
WARMUP_ROWS = 2_000
TARGETS = {"year_seconds_max": 1.0, "ratio_min": 200.0, "peak_mib_max": 1024.0}
#: Issue 11's targets, as ratios to the naive reference (per row / timestamp / update).
NAIVE_TARGETS = {
    "per_timestamp_max": 30.0,
    "streaming_max": 5.0,
    "compute_max": 0.55,
    "peak_mib_max": 300.0,
}


def data_dir(explicit: str | None = None) -> Path:
    return resolve_data_dir(explicit)


def calibrate(root: Path) -> tuple[dict[str, float], str]:
    """The random walk's parameters, measured from btcperp-1m if found."""
    path = root / CALIBRATION_FILE
    if not path.is_file():
        return dict(FALLBACK_CALIBRATION), "constants (measured once from btcperp-1m-2022-01)"
    from parity.io.tables import candles_frame, read_table

    c = candles_frame(read_table(path))
    o, h, lo, cl, v = (c[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    r = np.diff(np.log(cl))
    moved = r != 0
    z = _standardize(np.log(np.abs(r[moved])))
    log_v = np.log(v[1:][moved])
    cal = {
        "return_sd": float(r.std()),
        "wick_up_mean": float(np.mean((h - np.maximum(o, cl)) / cl)),
        "wick_down_mean": float(np.mean((np.minimum(o, cl) - lo) / cl)),
        "log_volume_mean": float(np.log(v).mean()),
        "log_volume_sd": float(np.log(v).std()),
        "volume_coupling": float(np.corrcoef(z, log_v)[0, 1]),
        "start_price": float(o[0]),
    }
    return {k: round(x, 7) for k, x in cal.items()}, f"measured from {CALIBRATION_FILE}"


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def random_walk(rows: int, seed: int, cal: dict[str, float]) -> pd.DataFrame:
    """``rows`` gap-free 1-minute candles from 2024-01-01 UTC, deterministic in ``seed``:
    Student-t (df 3) log returns with sd ``return_sd``, open = previous close,
    exponential wicks, lognormal volume coupled to the size of the move, prices
    on a 0.1 grid."""
    rng = np.random.Generator(np.random.PCG64(seed))
    scale = cal["return_sd"] / math.sqrt(STUDENT_DF / (STUDENT_DF - 2.0))
    r = rng.standard_t(STUDENT_DF, rows) * scale
    close = cal["start_price"] * np.exp(np.cumsum(r))
    open_ = np.r_[cal["start_price"], close[:-1]]
    up = rng.exponential(cal["wick_up_mean"], rows) * close
    down = rng.exponential(cal["wick_down_mean"], rows) * close
    high = np.maximum(open_, close) + up
    low = np.minimum(open_, close) - down
    open_, high, low, close = (np.round(x / TICK) * TICK for x in (open_, high, low, close))
    high = np.maximum.reduce([high, open_, close])
    low = np.minimum.reduce([low, open_, close])
    rho = cal["volume_coupling"]
    z = _standardize(np.log(np.abs(r) + 1e-12))
    log_v = cal["log_volume_mean"] + cal["log_volume_sd"] * (
        rho * z + math.sqrt(1.0 - rho * rho) * rng.standard_normal(rows)
    )
    index = pd.date_range("2024-01-01", periods=rows, freq="1min", tz="UTC", name="ts", unit="ns")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.exp(log_v)},
        index=index,
    )


def make_candles(rows: int, seed: int, source: str, root: Path) -> tuple[pd.DataFrame, dict]:
    """The candles and a description of their source."""
    info: dict = {"rows": rows, "seed": seed}
    if source in ("auto", "simulator"):
        from parity_fixtures.simulator import simulate_candles

        days = rows / 1440
        sim = simulate_candles(days, seed=seed)
        info["simulator_rows"] = len(sim)
        info["simulator_flat_bars_pct"] = round(100 * float((sim["high"] == sim["low"]).mean()), 1)
        if len(sim) >= rows or source == "simulator":
            info["source"] = "simulator"
            info["how"] = f"parity_fixtures.simulator.simulate_candles({days:g}, seed={seed})"
            return sim[["open", "high", "low", "close", "volume"]].iloc[:rows], info
        info["why_not_simulator"] = (
            f"simulate_candles({days:g}, seed={seed}) gives {len(sim):,} bars for {rows:,} minutes "
            "(quiet minutes have no bar) and thin bars (about 3 trades each)"
        )
    cal, origin = calibrate(root)
    info["source"] = "random_walk"
    info["how"] = (
        "deterministic random walk (PCG64 seed), BTC-perp-like 1-minute statistics: "
        "Student-t df 3 log returns, exponential wicks, lognormal volume coupled to |return|, "
        f"tick {TICK:g}, gap-free minutes"
    )
    info["calibration"] = cal
    info["calibration_source"] = origin
    return random_walk(rows, seed, cal), info


def time_compute(candles: pd.DataFrame, repeat: int) -> dict:
    params = Params()
    began = time.perf_counter()
    compute(candles.iloc[:WARMUP_ROWS], params)
    first = time.perf_counter() - began
    runs = []
    out = None
    for _ in range(repeat):
        began = time.perf_counter()
        out = compute(candles, params)
        runs.append(time.perf_counter() - began)
    best = min(runs)
    return {
        "seconds": round(best, 4),
        "runs_seconds": [round(x, 4) for x in runs],
        "repeat": repeat,
        "us_per_row": round(1e6 * best / len(candles), 4),
        "first_call_seconds": round(first, 3),
        "first_call_rows": min(WARMUP_ROWS, len(candles)),
        "_out": out,
    }


def candle_records(candles: pd.DataFrame, key: str = "timestamp") -> list[dict]:
    """The candles as dicts (``key``: a tz-aware pandas Timestamp), as an engine holds them."""
    return [
        {key: ts, "open": o, "high": h, "low": lo, "close": c, "volume": v}
        for ts, o, h, lo, c, v in zip(
            candles.index,
            *(candles[k].to_numpy().tolist() for k in ("open", "high", "low", "close", "volume")),
            strict=True,
        )
    ]


def time_per_timestamp(candles: pd.DataFrame, rows: int, expected: pd.DataFrame) -> dict:
    """The three per-timestamp calls per bar, on the last ``lookback_period`` minutes as dicts."""
    params = Params()
    rows = min(rows, len(candles))
    records = candle_records(candles.iloc[:rows])
    times = candles.index[:rows].as_unit("ns").asi8  # pandas 3 may hold microseconds
    starts = np.searchsorted(times, times - params.lookback_period * MINUTE_NS, side="right")
    vp = BacktestVolumeProfileCalculator(params)
    of = BacktestOrderFlowCalculator(params)
    ms = BacktestMarketStateCalculator(params)
    vp.calculate_profile(records[:10])  # warm (numba already compiled by compute)

    def run(keep: list | None) -> float:
        began = time.perf_counter()
        for t in range(rows):
            window = records[starts[t] : t + 1]
            profile = vp.calculate_profile(window)
            flow = of.calculate_flow(window)
            state = ms.calculate_state(window[-1]["close"], window, profile, flow)
            if keep is not None:
                keep.append({**profile, **flow, **state})
        return time.perf_counter() - began

    # timed as a caller uses it (each result dropped); a second pass keeps them
    seconds = run(None)
    got: list[dict] = []
    run(got)
    want = expected.iloc[:rows].to_dict("records")
    same = sum(
        all(v == w[k] or (v != v and w[k] != w[k]) for k, v in g.items())
        for g, w in zip(got, want, strict=True)
    )
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "us_per_row": round(1e6 * seconds / rows, 2),
        "calls_per_row": [
            "BacktestVolumeProfileCalculator().calculate_profile",
            "BacktestOrderFlowCalculator().calculate_flow",
            "BacktestMarketStateCalculator().calculate_state",
        ],
        "candles_per_call": f"the last {params.lookback_period} minutes as dicts "
        "(keys timestamp (tz-aware pandas Timestamp), open, high, low, close, volume)",
        "window_candles_max": int((np.arange(rows) - starts + 1).max()),
        "rows_equal_to_compute": int(same),
    }


def time_streaming(candles: pd.DataFrame, rows: int, expected: pd.DataFrame) -> dict:
    """`StreamingCalculator.update` per bar, one candle dict at a time."""
    rows = min(rows, len(candles))
    records = candle_records(candles.iloc[:rows], key="ts")
    StreamingCalculator().update(records[0])  # warm
    # timed as a live engine uses it (each row consumed and dropped) ...
    update = StreamingCalculator().update
    began = time.perf_counter()
    for r in records:
        update(r)
    seconds = time.perf_counter() - began
    # ... and again, keeping the rows, to compare them with compute's
    calc = StreamingCalculator()
    got = [calc.update(r) for r in records]
    frame = pd.DataFrame(got, columns=list(OUTPUT_COLUMNS))
    want = expected.iloc[:rows]
    same = np.ones(rows, bool)
    for col in OUTPUT_COLUMNS:
        a, b = frame[col].to_numpy(), want[col].to_numpy()
        if col == "state":
            same &= a == b
        else:
            a, b = a.astype(np.float64), b.astype(np.float64)
            same &= (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))
    snapshot = calc.snapshot()
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "us_per_update": round(1e6 * seconds / rows, 2),
        "rows_equal_to_compute_bitwise": int(same.sum()),
        "snapshot_json_bytes": len(json.dumps(snapshot)),
    }


@njit(cache=True)
def _naive_kernel(high, low, close, volume, window_start, uniform):
    """POC of every bar's window, rebuilding its histogram from scratch: zero
    the rows the window spans, add each candle's volume (spread one row at a
    time over low..high when ``uniform``, else on the close's row), take the
    fullest row.  Rows: floor(price / row size), the row size a power of ten
    near one basis point of the bar's close."""
    n = close.shape[0]
    out = np.empty(n)
    hist = np.zeros(16)
    for t in range(n):
        rs = 10.0 ** math.floor(math.log10(close[t] * 1e-4))
        s = window_start[t]
        base = math.floor(low[s] / rs)
        top = math.floor(high[s] / rs)
        for i in range(s + 1, t + 1):
            base = min(base, math.floor(low[i] / rs))
            top = max(top, math.floor(high[i] / rs))
        rows = int(top - base) + 1
        if hist.shape[0] < rows:
            hist = np.zeros(2 * rows)
        for r in range(rows):
            hist[r] = 0.0
        for i in range(s, t + 1):
            if uniform:
                lo = int(math.floor(low[i] / rs) - base)
                hi = int(math.floor(high[i] / rs) - base)
                share = volume[i] / (hi - lo + 1)
                for r in range(lo, hi + 1):
                    hist[r] += share
            else:
                hist[int(math.floor(close[i] / rs) - base)] += volume[i]
        best = 0
        for r in range(1, rows):
            if hist[r] > hist[best]:
                best = r
        out[t] = (base + best) * rs
    return out


def time_naive(candles: pd.DataFrame, repeat: int = 3) -> dict:
    """The naive reference's microseconds per row (best of ``repeat``), uniform and close spread."""
    times = candles.index.as_unit("ns").asi8
    starts = np.searchsorted(times, times - 60 * MINUTE_NS, side="right").astype(np.int64)
    cols = [
        np.ascontiguousarray(candles[k].to_numpy(np.float64))
        for k in ("high", "low", "close", "volume")
    ]
    figures = {}
    for name, uniform in (("us_per_row", True), ("close_spread_us_per_row", False)):
        _naive_kernel(*(c[:100] for c in cols), starts[:100], uniform)
        runs = []
        for _ in range(repeat):
            began = time.perf_counter()
            _naive_kernel(*cols, starts, uniform)
            runs.append(time.perf_counter() - began)
        figures[name] = round(1e6 * min(runs) / len(candles), 4)
    return {
        **figures,
        "what": "serial Numba kernel: per bar, zero the 60-minute window's histogram rows, add "
        "each candle's volume uniformly over its rows one row at a time, take the fullest row "
        "(close_spread: each candle on its close's row); best of 3",
    }


def child(args: argparse.Namespace) -> int:
    """Run in a fresh process: the memory measurement or the cold compile."""
    if args.child == "compile":
        candles = random_walk(WARMUP_ROWS, args.seed, FALLBACK_CALIBRATION)
        began = time.perf_counter()
        compute(candles, Params())
        print(json.dumps({"seconds": time.perf_counter() - began}))
        return 0
    candles, _ = make_candles(args.rows, args.seed, args.source, data_dir(args.data_dir))
    compute(candles.iloc[:WARMUP_ROWS], Params())
    before = _rss_mib()
    tracemalloc.start()
    compute(candles, Params())
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = _hwm_mib()
    report = {
        "before_compute_mib": before,
        "peak_mib": peak,
        "compute_growth_mib": round(peak - before, 1),
        "tracemalloc_peak_mib": round(traced_peak / 2**20, 1),
        "ru_maxrss_mib": _maxrss_mib(),
    }
    print(json.dumps(report))
    return 0


def _maxrss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib / (1024 * 1024) if sys.platform == "darwin" else kib / 1024, 1)


def _hwm_mib() -> float:
    """Peak resident memory of this process image (``VmHWM``); ``ru_maxrss`` on
    Linux if /proc is missing."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:  # pragma: no cover - not Linux
        pass
    return _maxrss_mib()  # pragma: no cover


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:  # pragma: no cover - not Linux
        return _maxrss_mib()


def _run_child(extra: list[str], env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *extra],
        capture_output=True, text=True, check=True, env=env, cwd=PROJECT_ROOT,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=YEAR_ROWS, help="candles for compute (default a year)"
    )
    parser.add_argument("--per-timestamp-rows", type=int, default=20_000)
    parser.add_argument("--streaming-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="compute runs; the best is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", choices=("auto", "simulator", "walk"), default="auto")
    parser.add_argument(
        "--data-dir", help="where btcperp-1m is (default: $PARITY_DATA_DIR or ../shared/data)"
    )
    parser.add_argument(
        "--no-cold-compile", action="store_true", help="skip the cold-compile subprocess"
    )
    parser.add_argument("--child", choices=("memory", "compile"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    load_before = os.getloadavg()
    candles, data_info = make_candles(args.rows, args.seed, args.source, data_dir(args.data_dir))
    # Memory first, in a fresh process, before this one grows (see `_hwm_mib`).
    child_args = ["--child", "memory", "--rows", str(args.rows), "--seed", str(args.seed),
                  "--source", "walk" if data_info["source"] == "random_walk" else "simulator"]  # fmt: skip
    if args.data_dir:
        child_args += ["--data-dir", args.data_dir]
    memory = _run_child(child_args)
    memory["parent_maxrss_at_spawn_mib"] = _maxrss_mib()
    memory["measured_in"] = (
        "a fresh subprocess: build the candles, warm up, one compute. peak_mib is its VmHWM "
        "(peak resident set of the process image); ru_maxrss is also given, but on Linux it "
        "carries over the parent's high-water mark through fork/exec, so it is never below "
        "parent_maxrss_at_spawn_mib"
    )
    timed = time_compute(candles, max(1, args.repeat))
    out = timed.pop("_out")
    per_ts = time_per_timestamp(candles, args.per_timestamp_rows, out)
    streaming = time_streaming(candles, args.streaming_rows, out)
    naive = time_naive(candles)
    if args.no_cold_compile:
        timed["cold_compile_seconds"] = None
    else:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            cold = _run_child(["--child", "compile", "--seed", str(args.seed)], env=env)
        timed["cold_compile_seconds"] = round(cold["seconds"], 2)
        timed["cold_compile_note"] = (
            f"first compute on {WARMUP_ROWS:,} rows with an empty numba cache"
        )

    ratio = per_ts["us_per_row"] / timed["us_per_row"]
    unit = naive["us_per_row"]
    vs_naive = {
        "per_timestamp": round(per_ts["us_per_row"] / unit, 2),
        "streaming": round(streaming["us_per_update"] / unit, 2),
        "compute": round(timed["us_per_row"] / unit, 3),
        "peak_mib": memory["peak_mib"],
        "targets": NAIVE_TARGETS,
    }
    vs_naive["met"] = {
        "per_timestamp": vs_naive["per_timestamp"] <= NAIVE_TARGETS["per_timestamp_max"],
        "streaming": vs_naive["streaming"] <= NAIVE_TARGETS["streaming_max"],
        "compute": vs_naive["compute"] <= NAIVE_TARGETS["compute_max"],
        "peak_mib": memory["peak_mib"] < NAIVE_TARGETS["peak_mib_max"],
    }
    year_seconds = timed["seconds"] * YEAR_ROWS / args.rows
    report = {
        "benchmark": "calculators",
        "data": data_info,
        "params": "defaults (Params())",
        "compute": timed,
        "naive_reference": naive,
        "vs_naive": vs_naive,
        "per_timestamp": per_ts,
        "streaming": streaming,
        "ratio_per_row": round(ratio, 1),
        "memory": memory,
        "targets": {
            **TARGETS,
            "year_seconds": round(year_seconds, 3),
            "year_seconds_extrapolated": args.rows != YEAR_ROWS,
            "year_seconds_met": year_seconds <= TARGETS["year_seconds_max"],
            "ratio_met": ratio >= TARGETS["ratio_min"],
            "peak_mib_met": memory["peak_mib"] < TARGETS["peak_mib_max"],
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m_before_after": [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ],
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numba": numba.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
