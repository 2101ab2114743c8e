"""How far can a per-bar buy-share estimate from OHLCV go?  The experiments of issue 9's research round.

What decides states and trades is the window's buy pressure ``sum(buy) /
sum(volume)`` crossing ``50 +- cvd_pressure_threshold / 2``.  This script asks
three questions, on the data sets of `fidelity.load_data_sets` (two real
tapes, three perpetual files with the exchange's true ``buy_volume``, five
simulated markets):

1. **A learned estimator.**  A volume-weighted least-squares model of the
   centred buy share ``f - 0.5`` on causal bar-shape features (`features`),
   fitted ONCE on the three perpetual files (each market weighted equally; the
   tapes and the simulated markets stay held out), checked leave-one-market-out
   on the perpetuals.  Its window pressure is compared with the ``path``
   estimator's (the default): the correlation with the true window pressure.
2. **Shrinkage.**  ``sd(true window pressure) / sd(estimated)`` per data set:
   above 1 the estimate is pulled toward 50/50.  The de-shrinking gain is
   taken from the perpetual files only (geometric mean of their ratios) and
   applied everywhere.
3. **How good must an estimate be?**  The share ``alpha * true + (1 - alpha) *
   path`` (an oracle that knows a part ``alpha`` of the truth), run through
   the fidelity measure: the window correlation and the kappa / trade match
   each ``alpha`` buys.  This locates the issue's targets on the scale of
   window correlation, which no OHLCV feature set measured here comes near.

The candidate shares are spliced into the candles as ``buy_volume`` and run
through `fidelity.fidelity` (the project's own compute and backtest walk),
so the figures are those of `scripts/fidelity.py`.  Features use trailing
60-minute statistics and the previous close (causal; a prototype: at the
first bar of a window the package's kernels use the bar's open instead).

Usage::

    python scripts/flow_research.py              # Markdown tables
    python scripts/flow_research.py --write      # also rewrite docs/accuracy.md's research section
    python scripts/flow_research.py --days 0.5   # smoke test
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from doc_tables import add_table_options, data_dir, write_section
from fidelity import (
    CANDLE_COLUMNS,
    DataSet,
    candidate_frame,
    fidelity,
    load_data_sets,
    reference_frame,
    summary,
    warmup_mask,
)
from scipy.special import ndtr

from calculators import STATES, Params, compute
from parity.harness.compare import kappa

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_MARKER = "<!-- flow-research:start -->"
END_MARKER = "<!-- flow-research:end -->"
DEFAULT_DOC = PROJECT_ROOT / "docs" / "accuracy.md"
WINDOW = "60min"
#: The features of the learned model (all centred: 0 = no evidence either way).
FEATURES = ("path", "bvc", "body", "clr", "tick", "gap")
ORACLE_ALPHAS = (0.2, 0.4, 0.6)
#: Block bootstrap of the state kappa: block length (bars) and resamples.
BLOCK_BARS = 60
RESAMPLES = 400


def features(bars: pd.DataFrame) -> pd.DataFrame:
    """Causal bar-shape features of every bar (dimensionless, centred).

    ``prev`` = the previous bar's close, or the bar's open after a gap of an
    hour or more.  ``path``: the `path` estimator's share - 0.5 (legs prev ->
    open -> nearer extreme -> other extreme -> close; a motionless bar takes
    the last tick sign); ``bvc``: ``Phi(dP / sigma) - 0.5`` with ``dP = close -
    prev`` and ``sigma`` its trailing 60-minute population std; ``body``:
    ``(close - open) / range``; ``clr``: close location - 0.5; ``tick``: half
    the last non-zero sign of ``dP``; ``gap``: ``(open - prev) / range`` clipped to +-3 (range 0 gives 0)."""
    o, h, lo, c = (bars[k].to_numpy(np.float64) for k in ("open", "high", "low", "close"))
    t = bars.index.as_unit("ns").asi8
    prev = np.where(np.r_[True, np.diff(t) >= 3_600_000_000_000], o, np.r_[o[0], c[:-1]])
    dp = c - prev
    sigma = pd.Series(dp, bars.index).rolling(WINDOW).std(ddof=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, dp / sigma, 0.0)
        rng = np.where(h > lo, h - lo, np.nan)
    sign = pd.Series(np.where(dp == 0, np.nan, np.sign(dp))).ffill().fillna(0.0).to_numpy()
    high_first = (h - o < o - lo) | ((h - o == o - lo) & ~(h - c < c - lo))
    first, second = np.where(high_first, h, lo), np.where(high_first, lo, h)
    up = np.maximum(o - prev, 0.0)
    down = np.maximum(prev - o, 0.0)
    for a, b in ((o, first), (first, second), (second, c)):
        up = up + np.maximum(b - a, 0.0)
        down = down + np.maximum(a - b, 0.0)
    moved = up + down > 0
    path = np.where(moved, up / np.where(moved, up + down, 1.0), 0.5 + 0.5 * sign) - 0.5
    cols = {
        "path": path,
        "bvc": ndtr(z) - 0.5,
        "body": (c - o) / rng,
        "clr": (c - lo) / rng - 0.5,
        "tick": 0.5 * sign,
        "gap": np.clip((o - prev) / rng, -3, 3),
    }
    return pd.DataFrame(cols, index=bars.index).fillna(0.0)


def true_share(bars: pd.DataFrame) -> np.ndarray:
    """The true buy share of each bar (0.5 for a bar without volume)."""
    v = bars["volume"].to_numpy(np.float64)
    return np.where(v > 0, bars["buy_volume"].to_numpy(np.float64) / np.where(v > 0, v, 1), 0.5)


def fit_linear(sets: Sequence[DataSet]) -> np.ndarray:
    """Coefficients of ``f - 0.5 = X @ b`` (no intercept) by least squares
    weighted by volume, each data set's weights summing to 1."""
    xs, ys, ws = [], [], []
    for ds in sets:
        v = ds.bars["volume"].to_numpy(np.float64)
        xs.append(features(ds.bars)[list(FEATURES)].to_numpy())
        ys.append(true_share(ds.bars) - 0.5)
        ws.append(v / v.sum())
    root = np.sqrt(np.concatenate(ws))
    x, y = np.vstack(xs), np.concatenate(ys)
    return np.linalg.lstsq(x * root[:, None], y * root, rcond=None)[0]


def window_pressure(bars: pd.DataFrame, share: np.ndarray) -> np.ndarray:
    """Trailing 60-minute ``sum(share * volume) / sum(volume)`` of every bar
    opened at least 60 minutes after the data's first bar (and with volume)."""
    v = pd.Series(bars["volume"].to_numpy(np.float64), bars.index)
    vol = v.rolling(WINDOW).sum()
    buy = (v * np.asarray(share, np.float64)).rolling(WINDOW).sum()
    keep = (bars.index >= bars.index[0] + pd.Timedelta(WINDOW)) & (vol.to_numpy() > 0)
    return (buy / vol).to_numpy()[keep]


def in_sample_ceiling(ds: DataSet) -> float:
    """Correlation with the true window pressure of the least-squares
    combination (with intercept) of every feature's window pressure, fitted on
    this data set itself (optimistic: in-sample)."""
    feats = features(ds.bars)
    x = np.column_stack(
        [window_pressure(ds.bars, feats[n].to_numpy()) for n in FEATURES]
        + [np.ones(len(window_pressure(ds.bars, feats["path"].to_numpy())))]
    )
    truth = window_pressure(ds.bars, true_share(ds.bars))
    fitted = x @ np.linalg.lstsq(x, truth, rcond=None)[0]
    return float(np.corrcoef(truth, fitted)[0, 1])


def run_fidelity(
    sets: Sequence[DataSet], label: str, share: Callable[[DataSet], np.ndarray]
) -> pd.DataFrame:
    """`fidelity.fidelity` of the candles with ``share(ds) * volume`` spliced
    in as ``buy_volume`` (default parameters), one row per data set."""
    params = Params()
    rows = []
    for ds in sets:
        bars = ds.bars[list(CANDLE_COLUMNS)].copy()
        bars["buy_volume"] = np.clip(share(ds), 0.0, 1.0) * bars["volume"].to_numpy()
        figures = fidelity(ds.bars, reference_frame(ds, params), compute(bars, params), params)
        rows.append({"data set": ds.name, "kind": ds.kind, "candles": "OHLCV", **figures})
        rows[-1]["setting"] = label
    return pd.DataFrame(rows)


def kappa_noise(ds: DataSet, seed: int = 0) -> tuple[float, float, float, int]:
    """How noisy a tape's figures are, for the candle path given the true
    ``buy_volume`` (default parameters): ``(kappa, kappa_se, match_se,
    union)``: the state kappa, its standard error by a moving-block bootstrap
    over the measured bars (``BLOCK_BARS``-bar blocks, ``RESAMPLES``
    resamples), the binomial standard error of the trade match share, and the
    union of trades it is a share of."""
    params = Params()
    reference = reference_frame(ds, params)
    candidate = candidate_frame(ds, params, with_buy_volume=True)
    keep = warmup_mask(ds.bars.index, params.lookback_period)
    codes = {state: i for i, state in enumerate(STATES)}
    ref = np.array([codes[x] for x in reference["state"].to_numpy()[keep]])
    cand = np.array([codes[x] for x in candidate["state"].to_numpy()[keep]])

    def k(idx: np.ndarray) -> float:
        confusion = np.zeros((3, 3), np.int64)
        np.add.at(confusion, (ref[idx], cand[idx]), 1)
        return kappa(confusion)

    rng = np.random.default_rng(seed)
    n = len(ref)
    starts = rng.integers(0, n - BLOCK_BARS + 1, size=(RESAMPLES, -(-n // BLOCK_BARS)))
    draws = [k((s[:, None] + np.arange(BLOCK_BARS)).ravel()[:n]) for s in starts]
    figures = fidelity(ds.bars, reference, candidate, params)
    union = figures["candidate_trades"] + figures["reference_trades"] - figures["matched"]
    match = figures["match"]
    return k(np.arange(n)), float(np.std(draws)), float(np.sqrt(match * (1 - match) / union)), union


def _f(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:.3f}"


def research(sets: Sequence[DataSet]) -> str:
    """The three experiments as Markdown."""
    perps = [ds for ds in sets if ds.kind == "flow"]
    coef = fit_linear(perps)
    lomo = {ds.name: fit_linear([p for p in perps if p is not ds]) for ds in perps}

    def learned(ds: DataSet, b: np.ndarray | None = None) -> np.ndarray:
        b = lomo.get(ds.name, coef) if b is None else b
        return 0.5 + features(ds.bars)[list(FEATURES)].to_numpy() @ b

    def path(ds: DataSet) -> np.ndarray:
        return 0.5 + features(ds.bars)["path"].to_numpy()

    def sd_ratio(ds: DataSet, share: np.ndarray) -> float:
        return float(np.std(window_pressure(ds.bars, true_share(ds.bars))) /
                     np.std(window_pressure(ds.bars, share)))  # fmt: skip

    def corr(ds: DataSet, share: np.ndarray) -> float:
        truth = window_pressure(ds.bars, true_share(ds.bars))
        return float(np.corrcoef(truth, window_pressure(ds.bars, share))[0, 1])

    gain_path = float(np.exp(np.mean([np.log(sd_ratio(p, path(p))) for p in perps])))
    gain_learned = float(np.exp(np.mean([np.log(sd_ratio(p, learned(p, coef))) for p in perps])))
    lines = [
        "**1. Learned linear estimator** (fitted on the three perpetual files; on each perpetual "
        "file the coefficients fitted on the other two): coefficients "
        + ", ".join(f"`{n}` {b:+.3f}" for n, b in zip(FEATURES, coef, strict=True))
        + ".",
        "",
        "| data set | window corr. path | window corr. learned | best in-sample | "
        "sd ratio path | sd ratio learned |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for ds in sets:
        p, q = path(ds), learned(ds)
        lines.append(
            f"| {ds.name} | {_f(corr(ds, p))} | {_f(corr(ds, q))} | {_f(in_sample_ceiling(ds))} "
            f"| {_f(sd_ratio(ds, p))} | {_f(sd_ratio(ds, q))} |"
        )
    lines += [
        "",
        "best in-sample = the correlation of the best linear combination (with intercept) of "
        "the features' window pressures, fitted on that data set's own true window pressure: "
        "an optimistic ceiling for any linear use of these features.  "
        "sd ratio = sd(true window pressure) / sd(estimated): above 1 the estimate is shrunk "
        f"toward 50/50.  Gains from the perpetual files alone: path x{gain_path:.2f}, "
        f"learned x{gain_learned:.2f}.",
        "",
    ]
    candidates: list[tuple[str, Callable[[DataSet], np.ndarray]]] = [
        ("path (default)", lambda ds: _package_share(ds)),
        (f"path x{gain_path:.2f} (perp gain)", lambda ds: 0.5 + gain_path * (path(ds) - 0.5)),
        ("learned", learned),
        (
            f"learned x{gain_learned:.2f} (perp gain)",
            lambda ds: 0.5 + gain_learned * (learned(ds) - 0.5),
        ),
    ]
    for alpha in ORACLE_ALPHAS:
        candidates.append(
            (
                f"oracle alpha {alpha:g}",
                lambda ds, a=alpha: a * true_share(ds.bars) + (1 - a) * path(ds),
            )
        )
    results = pd.concat([run_fidelity(sets, label, fn) for label, fn in candidates])
    table = summary(results).set_index("setting")
    oracle_corr = {
        f"oracle alpha {a:g}": np.mean(
            [corr(ds, a * true_share(ds.bars) + (1 - a) * path(ds)) for ds in sets]
        )
        for a in ORACLE_ALPHAS
    }
    oracle_corr["path (default)"] = np.mean([corr(ds, path(ds)) for ds in sets])
    tapes = [ds.name for ds in sets if ds.kind == "tape"]
    lines += [
        "**2-3. Fidelity** (default parameters; the share spliced in as `buy_volume`; "
        "per tape kappa / trade match):",
        "",
        "| setting | mean window corr. | "
        + " | ".join(tapes)
        + " | tapes kappa / match | perps | simulated | kappa min | match min | score |",
        "| --- | ---: | " + " | ".join(["---:"] * (len(tapes) + 6)) + " |",
    ]
    for label, _ in candidates:
        r = table.loc[label]
        per = results[results["setting"] == label].set_index("data set")
        lines.append(
            f"| {label} | {_f(oracle_corr.get(label, np.nan))} | "
            + " | ".join(f"{per.loc[t, 'kappa']:.3f} / {per.loc[t, 'match']:.3f}" for t in tapes)
            + f" | {_f(r.kappa_tape)} / {_f(r.match_tape)} | {_f(r.kappa_flow)} / "
            f"{_f(r.match_flow)} | {_f(r.kappa_sim)} / {_f(r.match_sim)} | "
            f"{_f(r.kappa_min)} | {_f(r.match_min)} | {_f(r.score)} |"
        )
    lines += [
        "",
        "**4. Noise of the tape figures** (candle path with the true `buy_volume`, default "
        f"parameters; kappa's standard error by a moving-block bootstrap, {BLOCK_BARS}-bar "
        f"blocks, {RESAMPLES} resamples; trade match's binomial standard error over the union "
        "of trades):",
        "",
        "| tape | kappa | s.e. | trade match s.e. | trades (union) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for ds in sets:
        if ds.kind == "tape":
            k, k_se, m_se, union = kappa_noise(ds)
            lines.append(f"| {ds.name} | {k:.3f} | {k_se:.3f} | {m_se:.3f} | {union} |")
    return "\n".join(lines) + "\n"


def _package_share(ds: DataSet) -> np.ndarray:
    """The package's default estimate of each bar's share (the last bar of
    each window, as `calculators.compute` reports it)."""
    v = ds.bars["volume"].to_numpy(np.float64)
    buy = candidate_frame(ds, Params())["buy_volume"].to_numpy(np.float64)
    return np.where(v > 0, buy / np.where(v > 0, v, 1), 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_options(parser, DEFAULT_DOC)
    parser.add_argument("--days", type=float, help="only the first DAYS days of each data set")
    args = parser.parse_args(argv)
    sets = [
        ds
        for ds in load_data_sets(data_dir(args.data_dir), args.days)
        if len(ds.bars) and ds.bars.index[-1] - ds.bars.index[0] > pd.Timedelta(hours=2)
    ]
    text = research(sets)
    if args.days is not None:
        text = f"*Quick run: the first {args.days:g} day(s) of each data set only.*\n\n" + text
    sys.stdout.write(text)
    if args.write:
        write_section(args.doc, START_MARKER, END_MARKER, text)
        print(f"\nwrote {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
