"""Compare live and calculated indicators minute by minute (pure; no I/O).

Input: two DataFrames indexed by bar open time with the metric columns of
`parity.harness.metrics.METRICS` (missing or NaN = no value that minute).
Output: per-metric statistics and one divergence record per (minute, metric)
outside its tolerance.  See docs/parity.md for every statistic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculators import STATES
from calculators.timeutil import MINUTE_NS
from parity.harness.config import IgnoreRule
from parity.harness.metrics import METRICS

__all__ = ["Comparison", "compare", "episodes", "kappa", "state_change_lags", "value_area_iou"]

_FLOAT_SLACK = 1e-9
_MAX_EPISODES = 20
#: A calculated state change this close (minutes) to a live one counts as the same change.
MAX_LAG_MINUTES = 30


@dataclass(frozen=True)
class Comparison:
    """Statistics per metric (``metrics``) and the divergence records (``divergences``)."""

    metrics: dict[str, dict]
    divergences: pd.DataFrame


def compare(
    live: pd.DataFrame,
    calc: pd.DataFrame,
    *,
    symbol: str,
    tick_size: float,
    tolerance: Mapping[str, float],
    ignore: Sequence[IgnoreRule] = (),
) -> Comparison:
    """Compare every metric present in both frames on their common minutes."""
    metrics: dict[str, dict] = {}
    records = []
    for name, metric in METRICS.items():
        if name not in live.columns or name not in calc.columns:
            continue
        both = live[name].notna() & calc[name].reindex(live.index).notna()
        bars = live.index[both.to_numpy()]
        live_v = live.loc[bars, name].to_numpy()
        calc_v = calc.loc[bars, name].to_numpy()
        error, match = _errors(metric.kind, live_v, calc_v, tick_size, tolerance[name])
        divergent = ~match
        ignored = np.zeros(len(bars), bool)
        reasons = np.full(len(bars), None, dtype=object)
        for rule in ignore:
            hit = divergent & ~ignored & rule.mask(symbol, name, bars)
            ignored |= hit
            reasons[hit] = rule.reason
        stats = _summary(metric.kind, live_v, calc_v, error, match, ignored)
        stats["unit"] = metric.unit
        stats["tolerance"] = float(tolerance[name])
        stats["episodes"] = episodes(bars[divergent & ~ignored])
        metrics[name] = stats
        if divergent.any():
            records.append(
                pd.DataFrame(
                    {
                        "minute": bars[divergent],
                        "metric": name,
                        "live": pd.Series(live_v[divergent], dtype=object).to_numpy(),
                        "calculated": pd.Series(calc_v[divergent], dtype=object).to_numpy(),
                        "error": error[divergent],
                        "tolerance": float(tolerance[name]),
                        "unit": metric.unit,
                        "ignored": ignored[divergent],
                        "ignore_reason": reasons[divergent],
                    }
                )
            )
    if "state" in metrics:
        both = live.index[
            (live["state"].notna() & calc["state"].reindex(live.index).notna()).to_numpy()
        ]
        metrics["state"].update(_state_extras(live.loc[both, "state"], calc.loc[both, "state"]))
    if {"vah", "val"} <= set(live.columns) & set(calc.columns):
        metrics["value_area"] = value_area_iou(live, calc, tick_size)
    columns = [
        "minute",
        "metric",
        "live",
        "calculated",
        "error",
        "tolerance",
        "unit",
        "ignored",
        "ignore_reason",
    ]
    divergences = (
        pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=columns)
    )
    return Comparison(
        metrics=metrics,
        divergences=divergences.sort_values(["minute", "metric"], ignore_index=True),
    )


def _errors(kind: str, live: np.ndarray, calc: np.ndarray, tick: float, tol: float):
    if kind == "label":
        match = live == calc
        return (~match).astype(float), match
    live = live.astype(float)
    calc = calc.astype(float)
    diff = np.abs(live - calc)
    if kind == "sign":
        return diff, np.sign(live) == np.sign(calc)
    if kind == "price":
        error = diff / tick
    elif kind == "relative":
        with np.errstate(divide="ignore", invalid="ignore"):
            error = np.where(diff == 0, 0.0, 100.0 * diff / np.abs(live))
    else:
        error = diff
    return error, error <= tol + _FLOAT_SLACK


def _summary(kind, live, calc, error, match, ignored) -> dict:
    compared = len(match)
    counted = compared - int(ignored.sum())
    matches = int(match.sum())
    stats: dict = {
        "compared": compared,
        "matches": matches,
        "divergent": compared - matches,
        "ignored": int(ignored.sum()),
        "match_rate": matches / counted if counted else None,
    }
    if kind != "label":
        finite = error[np.isfinite(error)]
        stats |= {
            "mean_error": float(finite.mean()) if finite.size else None,
            "median_error": float(np.median(finite)) if finite.size else None,
            "p95_error": float(np.percentile(finite, 95)) if finite.size else None,
            "max_error": float(error.max()) if compared else None,
            "correlation": _correlation(live.astype(float), calc.astype(float)),
        }
    return stats


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation; None for fewer than two values or a series that
    is constant up to float noise (relative spread below 1e-9)."""

    def flat(x: np.ndarray) -> bool:
        return bool(np.std(x) <= 1e-9 * max(1.0, float(np.mean(np.abs(x)))))

    if a.size < 2 or flat(a) or flat(b):
        return None
    return float(np.corrcoef(a, b)[0, 1])


def kappa(confusion: np.ndarray) -> float | None:
    """Cohen's kappa of a square confusion matrix (rows live, columns calculated)."""
    total = confusion.sum()
    if total == 0:
        return None
    observed = np.trace(confusion) / total
    expected = float((confusion.sum(axis=1) * confusion.sum(axis=0)).sum()) / total**2
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return float((observed - expected) / (1.0 - expected))


def _state_extras(live: pd.Series, calc: pd.Series) -> dict:
    codes = {s: i for i, s in enumerate(STATES)}
    confusion = np.zeros((3, 3), np.int64)
    np.add.at(confusion, (live.map(codes).to_numpy(), calc.map(codes).to_numpy()), 1)
    return {
        "confusion": {
            s: dict(zip(STATES, map(int, confusion[i]), strict=True)) for i, s in enumerate(STATES)
        },
        "kappa": kappa(confusion),
        **state_change_lags(live, calc),
    }


def state_change_lags(live: pd.Series, calc: pd.Series, max_lag: int = MAX_LAG_MINUTES) -> dict:
    """How late (minutes; negative = early) calculated state changes come
    relative to live ones: each live change to state S is paired with the
    nearest calculated change to S within ``max_lag`` minutes (on equal
    distance, the earlier one).  O(n log n): a binary search per live change
    among the calculated changes to the same state."""
    live_at, live_to = _changes(live)
    calc_at, calc_to = _changes(calc)
    lags = np.empty(0)
    for state in np.unique(live_to):
        when = live_at[live_to == state]
        candidates = calc_at[calc_to == state]  # sorted: changes come in time order
        if not candidates.size:
            continue
        right = np.searchsorted(candidates, when, side="left")
        after = candidates[np.minimum(right, candidates.size - 1)]
        before = candidates[np.maximum(right - 1, 0)]
        lag_after = np.where(right < candidates.size, after - when, np.iinfo(np.int64).max)
        lag_before = np.where(right > 0, before - when, np.iinfo(np.int64).min)
        # nearest; on a tie the earlier (negative) lag, as min by (|lag|, lag)
        best = np.where(np.abs(lag_before.astype(float)) <= lag_after, lag_before, lag_after)
        best_minutes = best.astype(float) / MINUTE_NS
        lags = np.concatenate([lags, best_minutes[np.abs(best_minutes) <= max_lag]])
    return {
        "live_changes": int(live_at.size),
        "calculated_changes": int(calc_at.size),
        "changes_matched": int(lags.size),
        "changes_matched_share": lags.size / live_at.size if live_at.size else None,
        "median_lag_minutes": float(np.median(lags)) if lags.size else None,
        "median_abs_lag_minutes": float(np.median(np.abs(lags))) if lags.size else None,
    }


def _changes(states: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Times (int64 ns) and new states of every change of ``states``."""
    values = states.to_numpy()
    changed = np.flatnonzero(values[1:] != values[:-1]) + 1
    return pd.DatetimeIndex(states.index).as_unit("ns").asi8[changed], values[changed]


def value_area_iou(live: pd.DataFrame, calc: pd.DataFrame, tick_size: float) -> dict:
    """Overlap of the live and calculated value areas: intersection over union
    of ``[val, vah + tick]`` (the tick gives a one-row area its width)."""
    both = live[["val", "vah"]].notna().all(axis=1) & calc[["val", "vah"]].reindex(
        live.index
    ).notna().all(axis=1)
    bars = live.index[both.to_numpy()]
    if not len(bars):
        return {"compared": 0, "mean_iou": None, "median_iou": None}
    lo_l, hi_l = live.loc[bars, "val"].to_numpy(), live.loc[bars, "vah"].to_numpy() + tick_size
    lo_c, hi_c = calc.loc[bars, "val"].to_numpy(), calc.loc[bars, "vah"].to_numpy() + tick_size
    inter = np.clip(np.minimum(hi_l, hi_c) - np.maximum(lo_l, lo_c), 0, None)
    union = np.maximum(hi_l, hi_c) - np.minimum(lo_l, lo_c)
    iou = inter / union
    return {
        "compared": len(bars),
        "mean_iou": float(iou.mean()),
        "median_iou": float(np.median(iou)),
    }


def episodes(minutes: pd.DatetimeIndex) -> dict:
    """Runs of consecutive divergent minutes: their count, the longest, and the
    longest runs (at most 20) with their first minute."""
    if not len(minutes):
        return {"count": 0, "longest": 0, "runs": []}
    steps = np.diff(minutes.asi8) != MINUTE_NS
    starts = np.r_[0, np.flatnonzero(steps) + 1]
    lengths = np.diff(np.r_[starts, len(minutes)])
    order = np.lexsort((starts, -lengths))[:_MAX_EPISODES]
    runs = [{"first": minutes[starts[i]].isoformat(), "minutes": int(lengths[i])} for i in order]
    return {"count": len(starts), "longest": int(lengths.max()), "runs": runs}
