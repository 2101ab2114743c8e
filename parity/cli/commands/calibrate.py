"""``parity calibrate``: fit the candle-side estimation settings to a symbol's live rows.

Read-only (the harness's source: one READ ONLY transaction).  With
``--scheduler`` the symbol's search runs as one task on that Dask cluster
(the worker reads the data itself; see `parity.execution`).  Splits the
compared minutes in time order, searches the settings of
`parity.common.estimation` on the first part and judges them on the held-back
last part (`parity.calibration`).  Exit codes: 0 the calibrated settings beat
the configured ones on the held-back part (and ``--out`` was written), 1 they
do not (nothing is written), 2 bad input or an unreachable database.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from parity.calibration import CalibrationOptions, CalibrationResult, calibrate_symbol, params_toml
from parity.cli.commands.run import add_window_options
from parity.cli.errors import EXIT_GATE_FAILED, EXIT_OK, ParityError
from parity.cli.options import add_dsn_option, add_scheduler_option, out_file
from parity.cli.progress import progress_bar
from parity.common.estimation import settings_of
from parity.db.connect import resolve_dsn
from parity.execution import Task, executor, run_tasks, scheduler_address
from parity.harness.config import load_config
from parity.io.atomic import atomic_file

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="fit the candle-side estimation settings to the live rows (exit 0 better / 1 not / 2)",
        description=(
            "Search the candle-side estimation settings (flow estimator and its parameters, "
            "volume spread, value-area rule) for the best agreement with the stored live rows "
            "on the first part of the overlap, judge them on the held-back last part, and "
            "write them as a [params] TOML only when they beat the configured settings there. "
            "Thresholds and strategy settings are never changed."
        ),
    )
    parser.add_argument("--symbol", required=True, metavar="SYM")
    add_dsn_option(parser)
    parser.add_argument(
        "--config", default=None, metavar="FILE", help="parity.toml (default: built-in defaults)"
    )
    add_window_options(parser)
    parser.add_argument(
        "--holdout-fraction",
        type=float,
        default=0.4,
        metavar="F",
        help="share of the compared minutes held back at the end to judge (default 0.4)",
    )
    parser.add_argument(
        "--out",
        default=None,
        type=out_file,
        metavar="FILE",
        help="write the calibrated [params] TOML here (only when it beats the configured settings)",
    )
    add_scheduler_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.start is None) != (args.end is None):
        raise ParityError("give both --start and --end, or neither")
    if args.start is not None and args.start >= args.end:
        raise ParityError("--start must be before --end")
    options = CalibrationOptions(holdout_fraction=args.holdout_fraction)
    config = load_config(args.config)
    dsn = resolve_dsn(args.dsn)
    work = (config, args.symbol, args.start, args.end, options)
    with progress_bar(f"calibrate {args.symbol}") as progress:
        if scheduler_address(args.scheduler) is None:  # here: follow the candidates
            result = calibrate_symbol(dsn, *work, progress=progress)
        else:  # one task on the cluster
            with executor(jobs=1, scheduler=args.scheduler) as ex:
                (result,) = run_tasks([Task(calibrate_symbol, work, args.symbol, dsn=dsn)], ex)
    _print(result)
    if not result.improved:
        print(f"not calibrated: {result.verdict()}; nothing written", file=sys.stderr)
        return EXIT_GATE_FAILED
    if args.out:
        with atomic_file(args.out) as handle:
            handle.write(params_toml(result, _command(args)))
        print(f"calibrated: {result.verdict()}; wrote {args.out}", file=sys.stderr)
    else:
        print(f"calibrated: {result.verdict()} (give --out FILE to write them)", file=sys.stderr)
    return EXIT_OK


def _command(args: argparse.Namespace) -> str:
    """The command line that made the file, without the database address."""
    parts = ["parity", "calibrate", "--symbol", args.symbol]
    if args.config:
        parts += ["--config", args.config]
    if args.start is not None:
        parts += ["--start", args.start.isoformat(), "--end", args.end.isoformat()]
    parts += ["--holdout-fraction", repr(args.holdout_fraction), "--out", args.out]
    return " ".join(shlex.quote(p) for p in parts)


def _print(result: CalibrationResult) -> None:
    fit0, fit1 = result.fit
    held1 = result.holdout[1]
    print(
        f"{result.symbol}: fit {fit0:%Y-%m-%d %H:%M} to {fit1:%Y-%m-%d %H:%M} "
        f"({result.fit_minutes} min), held back to {held1:%Y-%m-%d %H:%M} "
        f"({result.holdout_minutes} min); {result.candidates} settings tried in "
        f"{result.seconds:.1f} s"
    )
    if result.true_flow_share:
        print(f"bars with true flow (buy_volume): {result.true_flow_share:.1%}")
    base, cal = result.baseline, result.calibrated
    rows = [("setting", "configured", "calibrated")]
    rows += [(s, str(getattr(base, s)), str(getattr(cal, s))) for s in settings_of(base)]
    rows.append(("held-back part", "configured", "calibrated"))
    held = result.figures["holdout"]
    for label, attr, fmt in (
        ("state agreement", "state_agreement", "{:.1%}"),
        ("state kappa", "kappa", "{:.3f}"),
        ("trade match", "trade_match", "{:.1%}"),
        ("buy pressure err (pts)", "buy_pressure_error", "{:.2f}"),
        ("trades (calc / live)", None, None),
        ("objective", "objective", "{:.3f}"),
    ):
        if attr is None:
            cells = [f"{held[w].calculated_trades} / {held[w].live_trades}" for w in held]
        else:
            cells = [_fmt(getattr(held[w], attr), fmt) for w in held]
        rows.append((label, *cells))
    width = max(len(r[0]) for r in rows)
    for i, (label, a, b) in enumerate(rows):
        if i and label in ("held-back part",):
            print()
        print(f"{label:{width}}  {a:>12}  {b:>12}")


def _fmt(value, pattern: str) -> str:
    return "n/a" if value is None or value != value else pattern.format(value)
