"""How closely the candle-only path trades like the tick-exact (live) path, per estimation setting.

What the desk acts on is the market state and the trades, so that is what is
measured, per data set and per setting of the candle-side estimation
(``flow_estimator``, ``bvc_df``, ``volume_spread``, ``value_area_rule``, ...):

- **reference** ("live"): on a trade tape, ``compute_from_trades(trades,
  params)`` (the true volume at each price and the true aggressor split); on
  the perpetual candle files that carry the exchange's true ``buy_volume``,
  ``compute(candles with buy_volume, params)`` (candle profile, true flow:
  this isolates the order-flow estimate on 120k+ bars of other markets);
- **candidate**: ``compute(candles, params)`` on the OHLCV candles of the same
  data (built from the same trades), the buy volume estimated; with
  the profile settings also the candle path given the true per-bar
  ``buy_volume`` (tapes and simulated markets: on the perpetual files that
  *is* the reference).

Figures, over the bars after the warm-up (the first ``lookback_period``
minutes of the data and of every stretch after a gap of at least that long):

- ``agreement``: share of bars whose ``state`` is equal; ``kappa``: Cohen's
  kappa of the two state columns (`parity.harness.compare.kappa`);
- ``match``: trade match share = matched / (candidate + reference - matched),
  a match = same side and entries at most one bar apart, from
  `parity.common.trades.trade_parity` (the harness's own code: both walks
  with the project's backtest engine, `BacktestEngine.run_on_indicators`,
  strategy parameters at their defaults, no signal in warm-up bars);
- ``ratio``: trade count ratio candidate / reference;
- ``vol_acc`` (secondary): ``1 - sum|est_buy - true_buy| / sum(volume)``.

Data sets (``$PARITY_DATA_DIR`` or ``../shared/data``, see its SOURCES.md):
every trade tape (the two BTC tapes are minutes long: they are listed with
their bar counts and cannot be measured after a one-hour warm-up), the three
perpetual files with ``buy_volume``, and simulated markets
(`parity_fixtures.simulator`, ``SIM_SEEDS``, ``SIM_DAYS`` days each).

Usage::

    python scripts/fidelity.py                 # the Markdown tables (estimators, then profile)
    python scripts/fidelity.py --json          # JSON instead
    python scripts/fidelity.py --write         # also rewrite docs/accuracy.md's fidelity section
    python scripts/fidelity.py --days 0.5      # the first half day of each data set (smoke test)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from doc_tables import add_table_options, data_dir, write_section
from estimator_accuracy import CANDLE_COLUMNS, first_days

from calculators import STATES, Params, candles_from_trades, compute, compute_from_trades
from parity.common.trades import trade_parity
from parity.harness.compare import kappa
from parity.io.tables import candles_frame, read_table, trades_frame
from parity_fixtures.simulator import simulate_trades

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_MARKER = "<!-- fidelity-table:start -->"
END_MARKER = "<!-- fidelity-table:end -->"
DEFAULT_DOC = PROJECT_ROOT / "docs" / "accuracy.md"

TAPES = (
    ("XRP/ETH tape", "xrpeth-trades-2019-10-11"),
    ("LTC/USDT tape", "ltcusdt-trades-2025-06-21"),
    ("BTC/USDT tape", "btcusdt-trades-2021-01-08"),
    ("BTC/USDT perp tape", "btcusdt-perp-trades-2024-08-08"),
)
FLOW_FILES = (
    ("LINK perp (true flow)", "linkusdt-perp-1m-2023-02"),
    ("AVAX perp (true flow)", "avaxusdt-perp-1m-2023-09"),
    ("DOT perp (true flow)", "dotusdt-perp-1m-2024-11"),
)
SIM_SEEDS = (11, 12, 13, 14, 15)
SIM_DAYS = 3.0
#: The estimation defaults before issue 9, measured beside the others for comparison.
PREVIOUS_DEFAULTS = {
    "flow_estimator": "bvc_t",
    "bvc_df": 0.25,
    "flow_gain": 1.0,
    "volume_spread": "close",
    "value_area_rule": "pair",
}


@dataclass(frozen=True)
class DataSet:
    """One data set: its bars (OHLCV + the true ``buy_volume``) and, for a
    tape, the trades (the reference is then the exact path)."""

    name: str
    kind: str  # "tape", "flow" (candles with true buy volume) or "sim"
    bars: pd.DataFrame
    trades: pd.DataFrame | None = None


@dataclass(frozen=True)
class Setting:
    """A labelled set of parameter overrides of the candle side."""

    label: str
    overrides: dict = field(default_factory=dict)

    def params(self, base: Params) -> Params:
        return base.replace(**self.overrides)


def load_data_sets(
    root: Path,
    days: float | None = None,
    seeds: Sequence[int] = SIM_SEEDS,
    sim_days: float = SIM_DAYS,
) -> list[DataSet]:
    """Every data set (tapes, true-flow candle files, simulated markets), each
    cut to its first ``days`` days if given."""
    sets = []
    for name, stem in TAPES:
        trades = trades_frame(read_table(root / f"{stem}.csv.gz"))
        if days is not None and len(trades):
            trades = trades[trades["ts"] < trades["ts"].iloc[0] + pd.Timedelta(days=days)]
        sets.append(DataSet(name, "tape", candles_from_trades(trades), trades))
    for name, stem in FLOW_FILES:
        bars = candles_frame(read_table(root / f"{stem}.csv.gz"))[[*CANDLE_COLUMNS, "buy_volume"]]
        sets.append(DataSet(name, "flow", first_days(bars, days)))
    for seed in seeds:
        trades = simulate_trades(sim_days if days is None else min(days, sim_days), seed)
        sets.append(DataSet(f"simulated seed {seed}", "sim", candles_from_trades(trades), trades))
    return sets


def warmup_mask(index: pd.DatetimeIndex, minutes: int) -> np.ndarray:
    """True for the bars to measure: those opened at least ``minutes`` after the
    start of their stretch (the first bar, or the first bar after a gap of at
    least ``minutes``), so every measured window is full on both sides."""
    if not len(index):
        return np.zeros(0, bool)
    t = index.as_unit("ns").asi8
    span = minutes * 60_000_000_000
    new = np.r_[True, np.diff(t) >= span]
    stretch_start = np.maximum.accumulate(np.where(new, t, np.iinfo(np.int64).min))
    return t >= stretch_start + span


def reference_frame(ds: DataSet, params: Params) -> pd.DataFrame:
    """The reference indicators: the exact path of a tape, or the candle path
    with the true buy volume for a true-flow candle file."""
    if ds.trades is not None:
        return compute_from_trades(ds.trades, params)
    return compute(ds.bars[[*CANDLE_COLUMNS, "buy_volume"]], params)


def candidate_frame(ds: DataSet, params: Params, with_buy_volume: bool = False) -> pd.DataFrame:
    """The candle path: OHLCV only, or with the true per-bar buy volume."""
    columns = [*CANDLE_COLUMNS, "buy_volume"] if with_buy_volume else list(CANDLE_COLUMNS)
    return compute(ds.bars[columns], params)


def fidelity(
    bars: pd.DataFrame,
    reference: pd.DataFrame,
    candidate: pd.DataFrame,
    params: Params,
) -> dict:
    """State and trade agreement of ``candidate`` with ``reference`` (both
    indicator frames of `calculators.compute`'s columns on ``bars``' index),
    over the bars after the warm-up (`warmup_mask`).  Strategy parameters are
    those of ``params``.  Returns ``bars, agreement, kappa, match, matched,
    candidate_trades, reference_trades, ratio, vol_acc``."""
    keep = warmup_mask(bars.index, params.lookback_period)
    n = int(keep.sum())
    out = {"bars": n}
    if n == 0:
        # too short for a state or a trade after the warm-up: the per-bar buy
        # volume of every bar is all there is to measure
        out["vol_acc"] = _volume_accuracy(bars, reference, candidate, np.ones(len(bars), bool))
        return out
    ref_state = reference["state"].to_numpy()[keep]
    cand_state = candidate["state"].to_numpy()[keep]
    codes = {s: i for i, s in enumerate(STATES)}
    confusion = np.zeros((3, 3), np.int64)
    np.add.at(confusion, ([codes[s] for s in ref_state], [codes[s] for s in cand_state]), 1)
    # no signal in warm-up bars, on either side
    ref_walk = reference.copy()
    cand_walk = candidate.copy()
    ref_walk.loc[~keep, "state"] = None
    cand_walk.loc[~keep, "state"] = None
    start = bars.index[keep][0]
    end = bars.index[-1] + pd.Timedelta(minutes=1)
    walk = trade_parity(bars[list(CANDLE_COLUMNS)], cand_walk, ref_walk, params, start, end)
    out |= {
        "agreement": float(np.trace(confusion) / n),
        "kappa": kappa(confusion),
        "match": walk["match_share"],
        "matched": walk["matched"],
        "candidate_trades": walk["calculated_trades"],
        "reference_trades": walk["live_trades"],
        "ratio": (
            walk["calculated_trades"] / walk["live_trades"] if walk["live_trades"] else None
        ),
        "vol_acc": _volume_accuracy(bars, reference, candidate, keep),
    }
    return out


def _volume_accuracy(
    bars: pd.DataFrame, reference: pd.DataFrame, candidate: pd.DataFrame, keep: np.ndarray
) -> float | None:
    """``1 - sum|candidate buy - reference buy| / sum(volume)`` over the ``keep`` bars."""
    volume = bars["volume"].to_numpy(np.float64)[keep]
    error = np.abs(
        candidate["buy_volume"].to_numpy(np.float64)[keep]
        - reference["buy_volume"].to_numpy(np.float64)[keep]
    )
    return float(1.0 - error.sum() / volume.sum()) if volume.sum() > 0 else None


def measure(
    sets: Iterable[DataSet],
    settings: Iterable[Setting],
    base: Params | None = None,
    with_buy_volume: bool = False,
) -> pd.DataFrame:
    """One row per (data set, setting): the figures of `fidelity`.  With
    ``with_buy_volume``, tapes get one more row per setting: the candle path
    given the true per-bar buy volume."""
    base = base or Params()
    settings = list(settings)
    rows = []
    for ds in sets:
        reference_cache: dict[str, pd.DataFrame] = {}
        for setting in settings:
            params = setting.params(base)
            # the exact path ignores the flow estimator and the spread: cache on the rest
            key_params = params.replace(flow_estimator="clr", volume_spread="close", bvc_df=1.0)
            key = key_params.digest() if ds.trades is not None else params.digest()
            if key not in reference_cache:
                reference_cache[key] = reference_frame(ds, params)
            reference = reference_cache[key]
            variants = [("OHLCV", False)]
            if with_buy_volume and ds.kind != "flow":
                variants.append(("OHLCV + buy_volume", True))
            for candles, flag in variants:
                candidate = candidate_frame(ds, params, flag)
                rows.append(
                    {
                        "data set": ds.name,
                        "kind": ds.kind,
                        "candles": candles,
                        "setting": setting.label,
                        **fidelity(ds.bars, reference, candidate, params),
                    }
                )
    return pd.DataFrame(rows)


def _label(text: str, overrides: dict, base: Params) -> str:
    default = all(getattr(base, k) == v for k, v in overrides.items())
    return f"{text} (default)" if default else text


def estimator_settings(base: Params | None = None) -> list[Setting]:
    """Every flow estimator, and ``flow_gain`` around 1 for the default one
    (the profile at its default)."""
    base = base or Params()
    grid = [
        ("clr", {"flow_estimator": "clr", "flow_gain": 1.0}),
        ("tick", {"flow_estimator": "tick", "flow_gain": 1.0}),
        ("bvc_normal", {"flow_estimator": "bvc_normal", "flow_gain": 1.0}),
        ("bvc_t df 0.25", {"flow_estimator": "bvc_t", "bvc_df": 0.25, "flow_gain": 1.0}),
        ("bvc_t df 1", {"flow_estimator": "bvc_t", "bvc_df": 1.0, "flow_gain": 1.0}),
        ("bvc_t df 4", {"flow_estimator": "bvc_t", "bvc_df": 4.0, "flow_gain": 1.0}),
        ("tick_bvc", {"flow_estimator": "tick_bvc", "flow_gain": 1.0}),
        ("tick_bvc gain 2", {"flow_estimator": "tick_bvc", "flow_gain": 2.0}),
        ("path gain 0.75", {"flow_estimator": "path", "flow_gain": 0.75}),
        ("path", {"flow_estimator": "path", "flow_gain": 1.0}),
        ("path gain 1.5", {"flow_estimator": "path", "flow_gain": 1.5}),
    ]
    settings = [Setting(_label(text, o, base), o) for text, o in grid]
    return [*settings, Setting("before issue 9: bvc_t df 0.25, close spread", PREVIOUS_DEFAULTS)]


def profile_settings(base: Params | None = None) -> list[Setting]:
    """Every spread model and value-area rule (the flow estimator at its default)."""
    base = base or Params()
    grid = [
        (f"{spread} / {rule}", {"volume_spread": spread, "value_area_rule": rule})
        for spread in ("close", "uniform", "typical", "path")
        for rule in ("pair", "single")
    ]
    return [Setting(_label(text, o, base), o) for text, o in grid]


#: Data-set groups of the summary, each weighted equally in the score.
GROUPS = {"tape": "real tapes", "flow": "true-flow perps", "sim": "simulated"}


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per candle kind and setting: kappa and trade match averaged within each
    data-set group (`GROUPS`), their worst value over the data sets, the mean
    count ratio and volume accuracy, and the **score**: the mean over the
    groups of ``(kappa + match) / 2``, each group weighted equally (so five
    simulated seeds do not outvote two real tapes).  Best score first."""
    measured = results.dropna(subset=["kappa", "match"])
    rows = []
    for (candles, setting), g in measured.groupby(["candles", "setting"], sort=False):
        row = {"candles": candles, "setting": setting, "sets": g["data set"].nunique()}
        scores = []
        for kind in GROUPS:
            part = g[g["kind"] == kind]
            row[f"kappa_{kind}"] = part["kappa"].mean() if len(part) else np.nan
            row[f"match_{kind}"] = part["match"].mean() if len(part) else np.nan
            if len(part):
                scores.append((row[f"kappa_{kind}"] + row[f"match_{kind}"]) / 2)
        row |= {
            "kappa_min": g["kappa"].min(),
            "match_min": g["match"].min(),
            "ratio_mean": g["ratio"].mean(),
            "vol_acc_mean": g["vol_acc"].mean(),
            "score": float(np.mean(scores)),
        }
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["candles", "score"], ascending=[True, False], kind="stable")


def _f(x, digits: int = 3) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def render(results: pd.DataFrame, title: str) -> str:
    """Markdown: one row per (data set, candles, setting), then the summary."""
    lines = [
        f"**{title}**",
        "",
        "| data set | candles | setting | bars | kappa | agreement | trade match "
        "| trades cand. / ref. | ratio | vol. acc. |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    short = []
    for _, r in results.iterrows():
        if pd.isna(r.get("kappa")):
            short.append(r["data set"])
            lines.append(
                f"| {r['data set']} | {r['candles']} | {r['setting']} | {int(r['bars'])} "
                f"| — | — | — | — | — | {_f(r.get('vol_acc'))}* |"
            )
            continue
        lines.append(
            f"| {r['data set']} | {r['candles']} | {r['setting']} | {int(r['bars']):,} | "
            f"{_f(r['kappa'])} | {_f(r['agreement'])} | {_f(r['match'])} | "
            f"{int(r['candidate_trades'])} / {int(r['reference_trades'])} | {_f(r['ratio'], 2)} | "
            f"{_f(r['vol_acc'])} |"
        )
    if short:
        lines += [
            "",
            f"\\* {', '.join(sorted(set(short)))}: too short for a state or a trade after "
            "the warm-up (no bar is measured); the volume accuracy is over all their bars.",
        ]
    s = summary(results)
    head = " | ".join(f"kappa {g}" for g in GROUPS.values())
    head2 = " | ".join(f"match {g}" for g in GROUPS.values())
    lines += [
        "",
        "Summary, best score first (score = mean over the three groups of (kappa + match) / 2; "
        "min = the worst data set):",
        "",
        f"| candles | setting | sets | {head} | {head2} | kappa min | match min "
        "| ratio mean | vol. acc. mean | score |",
        "| --- | --- | ---: | " + " | ".join(["---:"] * (2 * len(GROUPS) + 5)) + " |",
    ]
    for _, r in s.iterrows():
        kappas = " | ".join(_f(r[f"kappa_{k}"]) for k in GROUPS)
        matches = " | ".join(_f(r[f"match_{k}"]) for k in GROUPS)
        lines.append(
            f"| {r['candles']} | {r['setting']} | {int(r['sets'])} | {kappas} | {matches} | "
            f"{_f(r['kappa_min'])} | {_f(r['match_min'])} | {_f(r['ratio_mean'], 2)} | "
            f"{_f(r['vol_acc_mean'])} | {_f(r['score'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_options(parser, DEFAULT_DOC)
    parser.add_argument("--days", type=float, help="only the first DAYS days of each data set")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)

    sets = load_data_sets(data_dir(args.data_dir), args.days)
    estimators = measure(sets, estimator_settings(), with_buy_volume=False)
    profiles = measure(sets, profile_settings(), with_buy_volume=True)
    if args.json:
        payload = {
            "estimators": estimators.to_dict(orient="records"),
            "profiles": profiles.to_dict(orient="records"),
        }
        sys.stdout.write(json.dumps(payload, indent=1, default=float) + "\n")
        return 0
    table = ""
    if args.days is not None:
        table += f"*Quick run: the first {args.days:g} day(s) of each data set only.*\n\n"
    table += render(estimators, "Flow estimators (profile at its default), OHLCV candles") + "\n"
    table += render(
        profiles,
        "Profile settings (flow estimator at its default), OHLCV candles and OHLCV + the true "
        "buy_volume (tapes and simulated markets; on the perpetual files the true flow is the "
        "reference itself)",
    )
    sys.stdout.write(table)
    if args.write:
        write_section(args.doc, START_MARKER, END_MARKER, table)
        print(f"\nwrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
