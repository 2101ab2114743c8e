"""How well each order-flow estimator matches the true aggressor split, beside the 50/50 baseline.

Data sets (from ``$PARITY_DATA_DIR`` or ``../shared/data``; see its SOURCES.md):

- the XRP/ETH trade tape, aggregated to 1-, 5- and 15-minute bars with the
  true buy volume (``calculators.compute`` takes any bar spacing: its lookback
  is wall-clock minutes);
- the LINK, AVAX and DOT perpetual-futures 1-minute candles, whose
  ``buy_volume`` column is the exchange's true aggressor-buy volume;
- the two dense BTC tapes at 1 minute, if they give at least ``MIN_BARS`` bars
  (they do not: 1 and 6 bars; they are listed with their bar counts).

For each data set and estimator, over the bars after the first
``lookback_period`` minutes (the warm-up of the window):

- volume accuracy ``1 - sum|est_buy - true_buy| / sum(volume)``;
- the Pearson correlation of estimated and true per-bar delta
  (``delta = 2 * buy - volume``); undefined for the 50/50 split (constant 0);
- the share of bars whose estimated delta has the true delta's sign; bars
  whose true delta is 0 are left out, and an estimated delta of 0 (50/50,
  a flat bar for ``clr``, no sign yet for ``tick``) counts as half right.

``est_buy`` is ``compute(candles, params)["buy_volume"]``: each bar's estimate
made inside its own lookback window, exactly what the strategy sees.

Usage::

    python scripts/estimator_accuracy.py            # print the Markdown tables
    python scripts/estimator_accuracy.py --write    # also rewrite docs/accuracy.md's table section
    python scripts/estimator_accuracy.py --quick    # first two days of each data set (a smoke test)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from doc_tables import add_table_options, data_dir, write_section

from calculators import Params, candles_from_trades, compute
from parity.io.tables import candles_frame, read_table, trades_frame

PROJECT_ROOT = Path(__file__).resolve().parents[1]

START_MARKER = "<!-- estimator-table:start -->"
END_MARKER = "<!-- estimator-table:end -->"
DEFAULT_DOC = PROJECT_ROOT / "docs" / "accuracy.md"
#: A data set with fewer bars than this is listed, not measured.
MIN_BARS = 30
#: Lookbacks (minutes) of the sensitivity check of ``bvc_t``.
SENSITIVITY_LOOKBACKS = (60, 240, 1440)
#: Degrees of freedom of the ``bvc_t`` scan (mean volume accuracy only).
DF_SCAN = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0, 2.0, 4.0)
QUICK_DAYS = 2.0
CANDLE_COLUMNS = ["open", "high", "low", "close", "volume"]


@dataclass(frozen=True)
class Estimator:
    label: str
    estimator: str | None  # None: the 50/50 split
    df: float = 0.25


ESTIMATORS = (
    Estimator("50/50 baseline", None),
    Estimator("clr", "clr"),
    Estimator("tick", "tick"),
    Estimator("bvc_normal", "bvc_normal"),
    Estimator("bvc_t df 0.25", "bvc_t", 0.25),
    Estimator("bvc_t df 1", "bvc_t", 1.0),
    Estimator("bvc_t df 4", "bvc_t", 4.0),
    Estimator("tick_bvc", "tick_bvc"),
    Estimator("path (default)", "path"),
)


@dataclass(frozen=True)
class DataSet:
    name: str
    bars: pd.DataFrame  # open, high, low, close, volume, buy_volume on a UTC index


def tape_bars(trades: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """``minutes``-minute bars of a tape with the true buy volume (bars without trades left out)."""
    one = candles_from_trades(trades)
    if minutes == 1:
        return one[[*CANDLE_COLUMNS, "buy_volume"]]
    key = one.index.floor(f"{minutes}min")
    bars = one.groupby(key).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
        buy_volume=("buy_volume", "sum"),
    )
    bars.index.name = "ts"
    return bars


def first_days(bars: pd.DataFrame, days: float | None) -> pd.DataFrame:
    if days is None or bars.empty:
        return bars
    return bars[bars.index < bars.index[0] + pd.Timedelta(days=days)]


def load_data_sets(root: Path, days: float | None) -> tuple[list[DataSet], list[str]]:
    """The measured data sets, and notes on the ones with too few bars."""
    sets: list[DataSet] = []
    notes: list[str] = []
    xrp = trades_frame(read_table(root / "xrpeth-trades-2019-10-11.csv.gz"))
    for minutes in (1, 5, 15):
        bars = first_days(tape_bars(xrp, minutes), days)
        sets.append(DataSet(f"XRP/ETH tape, {minutes}-min bars", bars))
    for stem in ("linkusdt-perp-1m-2023-02", "avaxusdt-perp-1m-2023-09", "dotusdt-perp-1m-2024-11"):
        bars = candles_frame(read_table(root / f"{stem}.csv.gz"))[[*CANDLE_COLUMNS, "buy_volume"]]
        sets.append(DataSet(stem, first_days(bars, days)))
    for stem in ("btcusdt-trades-2021-01-08", "btcusdt-perp-trades-2024-08-08"):
        bars = first_days(tape_bars(trades_frame(read_table(root / f"{stem}.csv.gz")), 1), days)
        if len(bars) >= MIN_BARS:
            sets.append(DataSet(f"{stem}, 1-min bars", bars))
        else:
            notes.append(
                f"`{stem}` gives n = {len(bars)} one-minute bar{'s' * (len(bars) != 1)}: "
                f"fewer than {MIN_BARS}, left out."
            )
    return sets, notes


def estimate(bars: pd.DataFrame, est: Estimator, lookback: int) -> np.ndarray:
    """Each bar's estimated buy volume (from its own lookback window)."""
    volume = bars["volume"].to_numpy(np.float64)
    if est.estimator is None:
        return 0.5 * volume
    params = Params(flow_estimator=est.estimator, bvc_df=est.df, lookback_period=lookback)
    return compute(bars[CANDLE_COLUMNS], params)["buy_volume"].to_numpy(np.float64)


def figures(est_buy: np.ndarray, bars: pd.DataFrame) -> dict[str, float]:
    """Volume accuracy, delta correlation and sign-right share of the estimates."""
    volume = bars["volume"].to_numpy(np.float64)
    true_buy = bars["buy_volume"].to_numpy(np.float64)
    est_delta = 2.0 * est_buy - volume
    true_delta = 2.0 * true_buy - volume
    accuracy = 1.0 - np.abs(est_buy - true_buy).sum() / volume.sum()
    if np.ptp(est_delta) > 0 and np.ptp(true_delta) > 0:
        corr = float(np.corrcoef(est_delta, true_delta)[0, 1])
    else:
        corr = float("nan")
    signed = true_delta != 0
    est_sign = np.sign(est_delta[signed])
    right = np.where(est_sign == 0, 0.5, est_sign == np.sign(true_delta[signed]))
    return {
        "accuracy": float(accuracy),
        "corr": corr,
        "sign": float(right.mean()) if right.size else float("nan"),
        "bars": int(len(volume)),
        "zero_delta": int((~signed).sum()),
    }


def after_warmup(bars: pd.DataFrame, minutes: int) -> np.ndarray:
    """Mask of the bars opened at least ``minutes`` after the data set's first bar."""
    return (
        (bars.index >= bars.index[0] + pd.Timedelta(minutes=minutes))
        if len(bars)
        else np.zeros(0, bool)
    )


def measure(sets: list[DataSet], lookback: int) -> pd.DataFrame:
    rows = []
    for ds in sets:
        keep = after_warmup(ds.bars, lookback)
        for est in ESTIMATORS:
            buy = estimate(ds.bars, est, lookback)
            rows.append(
                {"data set": ds.name, "estimator": est.label, **figures(buy[keep], ds.bars[keep])}
            )
    return pd.DataFrame(rows)


def sensitivity(sets: list[DataSet]) -> pd.DataFrame:
    """bvc_t (df 0.25) at each of `SENSITIVITY_LOOKBACKS`, and 50/50, on the same bars:
    those opened after the longest lookback."""
    bvc = next(e for e in ESTIMATORS if e.estimator == "bvc_t" and e.df == 0.25)
    rows = []
    for ds in sets:
        keep = after_warmup(ds.bars, max(SENSITIVITY_LOOKBACKS))
        if keep.sum() < MIN_BARS:
            continue
        row = {"data set": ds.name, "bars": int(keep.sum())}
        base = figures(estimate(ds.bars, ESTIMATORS[0], 60)[keep], ds.bars[keep])
        row["50/50"] = base["accuracy"]
        for lookback in SENSITIVITY_LOOKBACKS:
            f = figures(estimate(ds.bars, bvc, lookback)[keep], ds.bars[keep])
            row[f"acc {lookback}"] = f["accuracy"]
            row[f"corr {lookback}"] = f["corr"]
        rows.append(row)
    return pd.DataFrame(rows)


def df_scan(sets: list[DataSet], lookback: int) -> pd.DataFrame:
    """Volume accuracy of bvc_t for each df of `DF_SCAN`: the mean over all data sets
    and over the perpetual-futures ones (same bars as the main table)."""
    rows = []
    for df in DF_SCAN:
        est = Estimator(f"bvc_t df {df:g}", "bvc_t", df)
        accs = {}
        for ds in sets:
            keep = after_warmup(ds.bars, lookback)
            accs[ds.name] = figures(estimate(ds.bars, est, lookback)[keep], ds.bars[keep])[
                "accuracy"
            ]
        perp = [a for name, a in accs.items() if "perp-1m" in name]
        rows.append(
            {
                "df": df,
                "all": float(np.mean(list(accs.values()))),
                "perp": float(np.mean(perp)) if perp else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def ranking(results: pd.DataFrame) -> pd.DataFrame:
    """Estimators by mean volume accuracy over the data sets, then mean delta correlation."""
    perp = results["data set"].str.contains("perp-1m")
    summary = results.groupby("estimator", sort=False).agg(
        accuracy=("accuracy", "mean"), corr=("corr", "mean"), sign=("sign", "mean")
    )
    summary["perp accuracy"] = results[perp].groupby("estimator", sort=False)["accuracy"].mean()
    summary["sets"] = results.groupby("estimator", sort=False)["data set"].nunique()
    order = np.lexsort(
        (-summary["corr"].fillna(-2.0).to_numpy(), -summary["accuracy"].round(4).to_numpy())
    )
    return summary.iloc[order]


def _f(x: float, digits: int = 3) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _pct(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{100 * x:.1f} %"


def render(
    results: pd.DataFrame,
    sens: pd.DataFrame,
    scan: pd.DataFrame,
    notes: list[str],
    lookback: int,
    quick: bool,
) -> str:
    lines: list[str] = []
    if quick:
        lines += [f"*Quick run: the first {QUICK_DAYS:g} days of each data set only.*", ""]
    lines += [
        f"Default parameters except the estimator (lookback {lookback} min); bars of the first "
        f"{lookback} minutes of each data set left out (warm-up). *n* = bars measured, "
        "*zero Δ* = bars with true delta 0, left out of the sign column.",
        "",
        "| data set | n | zero Δ | estimator | volume accuracy | vs 50/50 | delta corr | sign right |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, group in results.groupby("data set", sort=False):
        base = group.iloc[0]["accuracy"]
        for _, r in group.iterrows():
            lines.append(
                f"| {name} | {r['bars']:,} | {r['zero_delta']:,} | {r['estimator']} | "
                f"{_f(r['accuracy'])} | {r['accuracy'] - base:+.3f} | {_f(r['corr'])} | {_pct(r['sign'])} |"
            )
    for note in notes:
        lines += ["", note]

    summary = ranking(results)
    n_sets = int(summary["sets"].max())
    lines += [
        "",
        f"Averages over the {n_sets} data sets above (the perpetual column: the three "
        "liquid perpetual-futures months only), best first:",
        "",
        "| rank | estimator | mean volume accuracy | mean on perpetuals | mean delta corr | mean sign right |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for rank, (label, r) in enumerate(summary.iterrows(), start=1):
        lines.append(
            f"| {rank} | {label} | {_f(r['accuracy'])} | {_f(r['perp accuracy'])} | "
            f"{_f(r['corr'])} | {_pct(r['sign'])} |"
        )
    best = summary.index[0]
    lines += [
        "",
        f"**Best overall on these files: {best}** (mean volume accuracy "
        f"{summary.iloc[0]['accuracy']:.3f}, mean delta correlation {summary.iloc[0]['corr']:.3f}).",
    ]
    if not scan.empty:
        best_all = scan.loc[scan["all"].idxmax()]
        lines += [
            "",
            "bvc_t volume accuracy by `bvc_df` (same bars as the first table; mean over all "
            "data sets, and over the three perpetuals):",
            "",
            "| bvc_df | " + " | ".join(f"{d:g}" for d in scan["df"]) + " |",
            "| --- | " + " | ".join(["---:"] * len(scan)) + " |",
            "| all data sets | " + " | ".join(_f(x, 4) for x in scan["all"]) + " |",
            "| perpetuals | " + " | ".join(_f(x, 4) for x in scan["perp"]) + " |",
            "",
            f"Best df over all data sets: {best_all['df']:g} ({best_all['all']:.4f}).",
        ]
    if not sens.empty:
        longest = max(SENSITIVITY_LOOKBACKS)
        head = " | ".join(f"acc {lb}" for lb in SENSITIVITY_LOOKBACKS)
        head2 = " | ".join(f"corr {lb}" for lb in SENSITIVITY_LOOKBACKS)
        lines += [
            "",
            f"Sensitivity of bvc_t (df 0.25) to `lookback_period` (minutes; sigma is estimated "
            f"over the window), measured on the same bars for every lookback: those opened "
            f"after the first {longest} minutes of each data set.",
            "",
            f"| data set | n | 50/50 acc | {head} | {head2} |",
            "| --- | ---: | ---: | " + " | ".join(["---:"] * 2 * len(SENSITIVITY_LOOKBACKS)) + " |",
        ]
        for _, r in sens.iterrows():
            accs = " | ".join(_f(r[f"acc {lb}"]) for lb in SENSITIVITY_LOOKBACKS)
            corrs = " | ".join(_f(r[f"corr {lb}"]) for lb in SENSITIVITY_LOOKBACKS)
            lines.append(
                f"| {r['data set']} | {r['bars']:,} | {_f(r['50/50'])} | {accs} | {corrs} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_options(parser, DEFAULT_DOC)
    parser.add_argument(
        "--quick", action="store_true", help=f"only the first {QUICK_DAYS:g} days of each data set"
    )
    parser.add_argument("--days", type=float, help="only the first DAYS days of each data set")
    args = parser.parse_args(argv)

    days = args.days if args.days is not None else (QUICK_DAYS if args.quick else None)
    sets, notes = load_data_sets(data_dir(args.data_dir), days)
    lookback = Params().lookback_period
    results = measure(sets, lookback)
    table = render(
        results, sensitivity(sets), df_scan(sets, lookback), notes, lookback, days is not None
    )
    sys.stdout.write(table)
    if args.write:
        write_section(args.doc, START_MARKER, END_MARKER, table)
        print(f"\nwrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
