"""How close the candle-only volume profile comes to the trade-exact one, per spreading model.

The XRP/ETH world (from ``$PARITY_DATA_DIR`` or ``../shared/data``): its trade
tape (``xrpeth-trades-2019-10-11``) and its 1-minute candles
(``xrpeth-1m-2019-10-11``, aggregated from exactly those trades).  For each
spreading model (``volume_spread``: close, uniform, typical), each value-area
rule (``value_area_rule``: pair, the default, and single) and two row sizes
(the automatic one, and ``1e-8``, the pair's tick), ``compute(candles)`` is
compared with ``compute_from_trades(trades)`` at the same minutes, after the
first ``lookback_period`` minutes (warm-up):

- the share of minutes whose candle POC equals the trade-exact POC (and the
  share within one row of it);
- the median and 95th percentile (observed values, no interpolation) of
  ``|candle - exact|`` in rows for the POC,
  VAH and VAL; a row is that window's row size (the automatic row size is the
  largest power of ten <= 1e-4 * the window's last close, see
  `calculators.grid.auto_row_size`: 1e-7 for XRP/ETH, ten ticks).

Usage::

    python scripts/profile_accuracy.py            # print the Markdown table
    python scripts/profile_accuracy.py --write    # also rewrite docs/accuracy.md's table section
    python scripts/profile_accuracy.py --quick    # the first day only (a smoke test)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from doc_tables import add_table_options, data_dir, write_section

from calculators import Params, compute, compute_from_trades
from calculators.grid import auto_row_size
from calculators.params import VOLUME_SPREADS
from parity.io.tables import candles_frame, read_table, trades_frame

PROJECT_ROOT = Path(__file__).resolve().parents[1]

START_MARKER = "<!-- profile-table:start -->"
END_MARKER = "<!-- profile-table:end -->"
DEFAULT_DOC = PROJECT_ROOT / "docs" / "accuracy.md"
TRADES_FILE = "xrpeth-trades-2019-10-11.csv.gz"
CANDLES_FILE = "xrpeth-1m-2019-10-11.csv.gz"
#: The value-area rules, the default first.
RULES = ("pair", "single")
#: Row sizes: None (automatic) and the XRP/ETH tick.
ROW_SIZES = (None, 1e-8)
QUICK_DAYS = 1.0
LEVELS = ("poc", "vah", "val")


def load(root: Path, days: float | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The XRP/ETH candles and trades, cut to the first ``days`` days if given."""
    candles = candles_frame(read_table(root / CANDLES_FILE))
    trades = trades_frame(read_table(root / TRADES_FILE))
    if days is not None:
        end = candles.index[0] + pd.Timedelta(days=days)
        candles = candles[candles.index < end]
        trades = trades[trades["ts"] < end]
    return candles, trades


def row_sizes(close: np.ndarray, row_size: float | None) -> np.ndarray:
    """The row size of each minute's window (it ends at that minute's close)."""
    if row_size is not None:
        return np.full(close.shape, row_size)
    return np.array([auto_row_size(float(c)) for c in close])


def measure(candles: pd.DataFrame, trades: pd.DataFrame, warmup: int) -> pd.DataFrame:
    rows = []
    exact_cache: dict[tuple[str, float | None], pd.DataFrame] = {}
    for spread in VOLUME_SPREADS:
        for rule in RULES:
            for size in ROW_SIZES:
                params = Params(volume_spread=spread, value_area_rule=rule, row_size=size)
                if (rule, size) not in exact_cache:  # the exact path ignores volume_spread
                    exact_cache[rule, size] = compute_from_trades(trades, params)
                exact = exact_cache[rule, size]
                est = compute(candles[["open", "high", "low", "close", "volume"]], params)
                common = est.index.intersection(exact.index)
                common = common[common >= candles.index[0] + pd.Timedelta(minutes=warmup)]
                e, x = est.loc[common], exact.loc[common]
                rs = row_sizes(candles.loc[common, "close"].to_numpy(), size)
                row = {
                    "spread": spread,
                    "rule": rule,
                    "row size": "auto" if size is None else f"{size:g}",
                    "minutes": len(common),
                }
                for level in LEVELS:
                    err = np.rint(np.abs(e[level].to_numpy() - x[level].to_numpy()) / rs)
                    row[f"{level} med"] = _quantile(err, 50)
                    row[f"{level} p95"] = _quantile(err, 95)
                    if level == "poc":
                        row["poc equal"] = float(np.mean(err == 0)) if err.size else np.nan
                        row["poc within 1"] = float(np.mean(err <= 1)) if err.size else np.nan
                rows.append(row)
    return pd.DataFrame(rows)


def _quantile(errors: np.ndarray, q: float) -> float:
    """The ``q``-th percentile as an observed value (inverted CDF: whole rows, no interpolation)."""
    return float(np.percentile(errors, q, method="inverted_cdf")) if errors.size else np.nan


def ranking(results: pd.DataFrame) -> pd.DataFrame:
    """Spreading models by mean POC-equal share over rules and row sizes, then by
    the mean of the median |error| of POC, VAH and VAL (smaller first)."""
    med = results[[f"{lv} med" for lv in LEVELS]].mean(axis=1)
    p95 = results[[f"{lv} p95" for lv in LEVELS]].mean(axis=1)
    summary = (
        results.assign(med=med, p95=p95)
        .groupby("spread", sort=False)
        .agg(
            equal=("poc equal", "mean"),
            within=("poc within 1", "mean"),
            med=("med", "mean"),
            p95=("p95", "mean"),
        )
    )
    order = np.lexsort((summary["med"].to_numpy(), -summary["equal"].round(4).to_numpy()))
    return summary.iloc[order]


def _pct(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{100 * x:.1f} %"


def _rows(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:g}"


def render(results: pd.DataFrame, warmup: int, days: float | None) -> str:
    lines: list[str] = []
    if days is not None:
        lines += [f"*Quick run: the first {days:g} day(s) of the XRP/ETH files only.*", ""]
    lines += [
        f"XRP/ETH, `compute(candles)` against `compute_from_trades(trades)` at the same minutes, "
        f"the first {warmup} minutes left out; other parameters at their defaults. Errors in "
        "rows of the window's row size (auto = 1e-7 here, ten ticks; 1e-8 = one tick).",
        "",
        "| volume_spread | value area | row size | minutes | POC equal | POC ≤ 1 row "
        "| POC median / p95 | VAH median / p95 | VAL median / p95 |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for _, r in results.iterrows():
        errs = " | ".join(f"{_rows(r[f'{lv} med'])} / {_rows(r[f'{lv} p95'])}" for lv in LEVELS)
        lines.append(
            f"| {r['spread']} | {r['rule']} | {r['row size']} | {r['minutes']:,} | "
            f"{_pct(r['poc equal'])} | {_pct(r['poc within 1'])} | {errs} |"
        )
    summary = ranking(results)
    lines += [
        "",
        "Per spreading model, averaged over the two rules and two row sizes, best first:",
        "",
        "| rank | volume_spread | POC equal | POC ≤ 1 row | mean median error (rows) | mean p95 error (rows) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for rank, (spread, r) in enumerate(summary.iterrows(), start=1):
        lines.append(
            f"| {rank} | {spread} | {_pct(r['equal'])} | {_pct(r['within'])} | "
            f"{r['med']:.2f} | {r['p95']:.2f} |"
        )
    best = summary.index[0]
    lines += [
        "",
        f"**Best spreading model on these files: {best}** (POC equal in "
        f"{100 * summary.iloc[0]['equal']:.1f} % of minutes on average).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_options(parser, DEFAULT_DOC)
    parser.add_argument("--quick", action="store_true", help=f"only the first {QUICK_DAYS:g} day")
    parser.add_argument("--days", type=float, help="only the first DAYS days")
    args = parser.parse_args(argv)

    days = args.days if args.days is not None else (QUICK_DAYS if args.quick else None)
    candles, trades = load(data_dir(args.data_dir), days)
    warmup = Params().lookback_period
    table = render(measure(candles, trades, warmup), warmup, days)
    sys.stdout.write(table)
    if args.write:
        write_section(args.doc, START_MARKER, END_MARKER, table)
        print(f"\nwrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
