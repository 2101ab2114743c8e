"""The calibration search: split, grid, objective, held-back judgement.

The compared bars of a symbol (the harness's: full lookback window and a live
row) are split in time order: the first ``1 - holdout_fraction`` of them are
the *fit* part, the rest the *held-back* part.  Every candidate setting (the
product of `parity.common.estimation.ESTIMATION_SETTINGS`' candidates, a
setting only varied where it matters) is one `calculators.compute` call over
the symbol's candles; it is scored on the fit part by the **objective**

    objective = mean(state kappa, trade match)

where kappa is the harness's Cohen's kappa of the live vs calculated state,
and trade match is `parity.common.trades.trade_parity`'s ``match_share`` =
matched / (calculated + live - matched) (same side, entries at most one bar
apart), both walks of the backtest strategy over that part.  A figure that
does not exist (no trades on either side) is left out of the mean.  The best
candidate wins; ties go to the baseline (the configuration's own settings),
then to the earlier candidate.  Both the baseline and the winner are then
judged on the held-back part, which the search never saw; the result is an
improvement only when the winner's held-back objective is strictly higher.

Only the candle-side settings change: every other field of the configuration's
`Params` (expert-mode thresholds, lookback, strategy and execution) is kept.
Indicators at a bar use only candles up to that bar, so computing once over
the whole window and scoring each part separately is the same as computing
each part on its own.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from backtest import BacktestResult
from calculators import STATES, Params, compute
from parity.common.estimation import Setting, estimation_settings, settings_of
from parity.common.trades import live_walk, trade_parity
from parity.db.connect import connect
from parity.errors import ParityError
from parity.harness.compare import kappa
from parity.harness.config import HarnessConfig
from parity.harness.runner import compared_bars, true_flow
from parity.harness.source import SymbolData, load_symbol

__all__ = [
    "MIN_PART_MINUTES",
    "CalibrationOptions",
    "CalibrationResult",
    "Figures",
    "calibrate_data",
    "calibrate_symbol",
    "candidates",
]

#: The fit part and the held-back part need at least this many compared minutes each.
MIN_PART_MINUTES = 60


@dataclass(frozen=True)
class CalibrationOptions:
    """How to calibrate: ``holdout_fraction`` (0..1, exclusive) of the compared
    minutes held back at the end; ``settings`` the search space (None: every
    setting of `ESTIMATION_SETTINGS` that `Params` has)."""

    holdout_fraction: float = 0.4
    settings: tuple[Setting, ...] | None = None

    def __post_init__(self) -> None:
        h = self.holdout_fraction
        if isinstance(h, bool) or not isinstance(h, int | float) or not 0 < h < 1:
            raise ParityError(f"--holdout-fraction {h!r} must be a number between 0 and 1")


@dataclass(frozen=True)
class Figures:
    """Agreement of one setting with the live rows over one part: state
    agreement (share 0..1), state kappa, trade match (share 0..1), buy-pressure
    mean absolute error (points), the trade counts and the objective."""

    state_agreement: float | None
    kappa: float | None
    trade_match: float | None
    buy_pressure_error: float | None
    calculated_trades: int
    live_trades: int
    matched_trades: int
    objective: float

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip


@dataclass(frozen=True)
class CalibrationResult:
    """What `calibrate_data` found for one symbol.

    ``fit`` and ``holdout`` are the parts' ``(start, end)`` bar times (end
    exclusive) and ``*_minutes`` their compared minutes; ``baseline`` the
    configuration's `Params`, ``calibrated`` the winner (equal to the baseline
    when nothing beat it on the fit part); ``figures`` maps ``"fit"`` and
    ``"holdout"`` to ``{"baseline": Figures, "calibrated": Figures}``.
    """

    symbol: str
    fit: tuple[pd.Timestamp, pd.Timestamp]
    holdout: tuple[pd.Timestamp, pd.Timestamp]
    fit_minutes: int
    holdout_minutes: int
    baseline: Params
    calibrated: Params
    figures: dict[str, dict[str, Figures]]
    candidates: int
    seconds: float
    true_flow_share: float | None = None

    @property
    def changed(self) -> dict[str, tuple[Any, Any]]:
        """The settings the calibration changed: ``{name: (baseline, calibrated)}``."""
        before, after = self.baseline.to_dict(), self.calibrated.to_dict()
        return {k: (before[k], after[k]) for k in before if before[k] != after[k]}

    @property
    def improved(self) -> bool:
        """True when the calibrated settings differ from the baseline and beat
        it on the held-back part (strictly higher objective)."""
        held = self.figures["holdout"]
        return bool(self.changed) and held["calibrated"].objective > held["baseline"].objective

    def verdict(self) -> str:
        """One sentence: why the settings are (not) worth writing."""
        held = self.figures["holdout"]
        base, cal = held["baseline"].objective, held["calibrated"].objective
        if not self.changed:
            return "the configured settings already score best on the fit part; nothing to change"
        if self.improved:
            return f"the calibrated settings beat the configured ones on the held-back part (objective {base:.3f} -> {cal:.3f})"
        return (
            "the calibrated settings do not beat the configured ones on the held-back part "
            f"(objective {cal:.3f} vs {base:.3f})"
        )

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "symbol": self.symbol,
            "fit": {"start": self.fit[0].isoformat(), "end": self.fit[1].isoformat(),
                    "minutes": self.fit_minutes},
            "holdout": {"start": self.holdout[0].isoformat(), "end": self.holdout[1].isoformat(),
                        "minutes": self.holdout_minutes},
            "baseline": settings_of(self.baseline),
            "calibrated": settings_of(self.calibrated),
            "changed": sorted(self.changed),
            "improved": self.improved,
            "verdict": self.verdict(),
            "candidates": self.candidates,
            "seconds": round(self.seconds, 3),
            "true_flow_share": self.true_flow_share,
            "figures": {part: {who: f.to_dict() for who, f in sides.items()}
                        for part, sides in self.figures.items()},
        }  # fmt: skip


def candidates(base: Params, settings: tuple[Setting, ...] | None = None) -> list[Params]:
    """Every candidate setting: the product of the settings' candidates applied
    to ``base``, each setting only varied where it applies (elsewhere it keeps
    ``base``'s value), without duplicates, ``base`` first."""
    settings = estimation_settings() if settings is None else settings
    names = [s.name for s in settings]

    def key_of(params: Params) -> tuple:
        return tuple(getattr(params, name) for name in names)

    seen: dict[tuple, Params] = {key_of(base): base}
    for values in itertools.product(*(s.candidates for s in settings)):
        combo = dict(zip((s.name for s in settings), values, strict=True))
        for s in settings:
            if not s.applies(combo):
                combo[s.name] = getattr(base, s.name)
        params = base.replace(**combo)
        seen.setdefault(key_of(params), params)
    return list(seen.values())


def calibrate_symbol(
    dsn: str,
    config: HarnessConfig,
    symbol: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    options: CalibrationOptions | None = None,
    progress: Callable[[float], None] | None = None,
) -> CalibrationResult:
    """Calibrate one symbol: read its candles and live rows (one read-only
    transaction, the harness's source) and run `calibrate_data`.  A pure
    function of its arguments (it opens and closes its own connection), so it
    can run in another process; ``progress(fraction)`` (in this process
    only) follows the candidates tried."""
    conn = connect(dsn)
    try:
        data = load_symbol(conn, config, symbol, start, end)
    finally:
        conn.close()
    return calibrate_data(data, config, options or CalibrationOptions(), progress)


def calibrate_data(
    data: SymbolData,
    config: HarnessConfig,
    options: CalibrationOptions,
    progress: Callable[[float], None] | None = None,
) -> CalibrationResult:
    """Search the candle-side settings on the fit part, judge on the held-back
    part (see the module docstring); ``progress(fraction)`` is called as
    candidates are tried.  Raises `ParityError` when a part has fewer than
    `MIN_PART_MINUTES` compared minutes."""
    began = time.perf_counter()
    base = config.params
    calc = _window(compute(data.candles, base), data)
    bars = compared_bars(data, config, calc)
    bars = (
        bars[data.live.reindex(bars)["state"].notna().to_numpy()]
        if "state" in data.live
        else bars[:0]
    )
    n_hold = int(round(len(bars) * options.holdout_fraction))
    n_fit = len(bars) - n_hold
    if min(n_fit, n_hold) < MIN_PART_MINUTES:
        raise ParityError(
            f"symbol {data.symbol!r}: {len(bars)} compared minutes with a live state; "
            f"the fit ({n_fit}) and held-back ({n_hold}) parts need {MIN_PART_MINUTES} each"
        )
    split = bars[n_fit]
    fit, held = bars[:n_fit], bars[n_fit:]
    parts = {"fit": (fit, fit[0], split), "holdout": (held, split, data.end)}

    # The live side's walk per part: the same for every candidate (the ATR,
    # the only calculated input it takes, is no candle-side setting).
    walks = {
        part: live_walk(data.candles, calc, data.live, base, first, stop)
        for part, (_, first, stop) in parts.items()
    }

    def score(params: Params, frame: pd.DataFrame, part: str) -> Figures:
        minutes, first, stop = parts[part]
        return _figures(data, params, frame, minutes, first, stop, walks[part])

    base_fit = score(base, calc, "fit")
    best, best_score = base, base_fit
    tried = candidates(base, options.settings)
    fit_candles = data.candles.loc[data.candles.index < split]  # no look-ahead: same rows
    for k, params in enumerate(tried[1:], start=2):
        frame = _window(compute(fit_candles, params), data)
        figures = score(params, frame, "fit")
        if figures.objective > best_score.objective:
            best, best_score = params, figures
        if progress is not None:
            progress(k / len(tried))
    calc_best = calc if best is base else _window(compute(data.candles, best), data)
    figures = {
        "fit": {"baseline": base_fit, "calibrated": best_score},
        "holdout": {
            "baseline": score(base, calc, "holdout"),
            "calibrated": score(best, calc_best, "holdout"),
        },
    }
    return CalibrationResult(
        symbol=data.symbol,
        fit=(fit[0], split),
        holdout=(split, data.end),
        fit_minutes=len(fit),
        holdout_minutes=len(held),
        baseline=base,
        calibrated=best,
        figures=figures,
        candidates=len(tried),
        seconds=time.perf_counter() - began,
        true_flow_share=true_flow(data.candles, bars)["share"],
    )


def _window(frame: pd.DataFrame, data: SymbolData) -> pd.DataFrame:
    return frame.loc[(frame.index >= data.start) & (frame.index < data.end)]


def _figures(
    data: SymbolData,
    params: Params,
    calc: pd.DataFrame,
    minutes: pd.DatetimeIndex,
    start: pd.Timestamp,
    end: pd.Timestamp,
    on_live: BacktestResult,
) -> Figures:
    """The figures of ``calc`` against the live rows on ``minutes`` and of the
    trades walked over ``[start, end)``.  The state and buy-pressure figures
    are the harness's (`parity.harness.compare`: agreement = share of equal
    labels, Cohen's `kappa`, mean absolute error in points), on the minutes
    where both sides have a value."""
    live_codes = _state_codes(data.live["state"].reindex(minutes))
    calc_codes = _state_codes(calc["state"].reindex(minutes))
    both = (live_codes >= 0) & (calc_codes >= 0)
    confusion = np.bincount(
        live_codes[both] * len(STATES) + calc_codes[both], minlength=len(STATES) ** 2
    ).reshape(len(STATES), len(STATES))
    agreement = float(np.trace(confusion) / both.sum()) if both.any() else None
    error = None
    if "buy_pressure" in data.live:
        diff = np.abs(
            calc["buy_pressure"].reindex(minutes).to_numpy(np.float64)
            - data.live["buy_pressure"].reindex(minutes).to_numpy(np.float64)
        )
        diff = diff[np.isfinite(diff)]
        error = float(diff.mean()) if diff.size else None
    trades = trade_parity(data.candles, calc, data.live, params, start, end, on_live=on_live)
    k, match = kappa(confusion), trades["match_share"]
    present = [v for v in (k, match) if v is not None]
    return Figures(
        state_agreement=agreement,
        kappa=k,
        trade_match=match,
        buy_pressure_error=error,
        calculated_trades=trades["calculated_trades"],
        live_trades=trades["live_trades"],
        matched_trades=trades["matched"],
        objective=sum(present) / len(present) if present else -math.inf,
    )


def _state_codes(labels: pd.Series) -> np.ndarray:
    """State labels as codes into `calculators.STATES`, -1 where missing."""
    return np.asarray(pd.Categorical(labels, categories=STATES).codes, dtype=np.int64)
