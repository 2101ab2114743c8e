"""A starter ``parity.toml`` from a measured ``parity.json``: thresholds at
today's values less a margin, so the gate passes now and catches a regression.

For each gated statistic (`STARTER_STATISTICS`, where measured) the threshold
is the worst value over the symbols, loosened by the margin: for a ``min_``
(higher is better; shares, kappa, IoU, correlation) ``worst - margin``, for a
``max_`` (an error, in the metric's unit) ``worst + margin * max(1, |worst|)``;
rounded outward at 6 decimals, so the same ``parity.json`` always passes
``parity gate`` with it.  A statistic that is absent, null or not finite
(NaN, or 1e400 read as infinity) for any symbol sets no threshold.  The ``[params]`` that differ from the defaults and
the ``[tolerance]`` per metric are copied, so a new run measures the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from calculators import Params
from parity.common.toml import comment_text, toml_value
from parity.errors import ParityError
from parity.harness.config import Check
from parity.harness.gate import check_shape, statistic
from parity.harness.metrics import METRICS

__all__ = ["MAX_MARGIN", "STARTER_STATISTICS", "starter_config"]

#: Largest ``--margin``: a wider one makes every threshold meaningless.
MAX_MARGIN = 100.0

#: (metric, statistic, op) the starter gate sets where the report measured them.
STARTER_STATISTICS = (
    ("state", "match_rate", "min"),
    ("state", "kappa", "min"),
    ("poc", "match_rate", "min"),
    ("poc", "p95_error", "max"),
    ("vah", "p95_error", "max"),
    ("val", "p95_error", "max"),
    ("value_area", "mean_iou", "min"),
    ("buy_pressure", "mean_error", "max"),
    ("cumulative_delta", "match_rate", "min"),
    ("delta", "correlation", "min"),
    ("confidence", "mean_error", "max"),
    ("coverage", "share", "min"),
)


def starter_config(report: Mapping, margin: float, source: str = "parity.json") -> str:
    """The TOML text of the starter configuration (see the module docstring).

    `ParityError` (naming ``source``) when ``report`` is not shaped like a
    parity.json, or ``margin`` is not a finite number in 0..`MAX_MARGIN`.
    """
    if not (isinstance(margin, int | float) and 0 <= margin <= MAX_MARGIN):
        raise ParityError(f"--margin must be a number from 0 to {MAX_MARGIN:g}, not {margin!r}")
    symbols = report.get("symbols")
    starters = tuple(Check(m, name, op, 0.0) for m, name, op in STARTER_STATISTICS)
    check_shape(symbols, starters, f"report {source}")
    run = report.get("run") or {}
    if not isinstance(run, Mapping) or not isinstance(run.get("params") or {}, Mapping):
        raise ParityError(f"report {source}: 'run' and 'run.params' must be tables")
    lines = [
        f"# Starter parity.toml written by `parity init` from {comment_text(source)}",
        f"# (symbols: {comment_text(', '.join(sorted(symbols))) or 'none'}; margin {margin}).",
        "# Thresholds = the worst measured value over the symbols, less the margin.",
        "# Add [schema] here if the live engine's tables are named differently (docs/parity.md).",
        "",
    ]
    params = run.get("params") or {}
    defaults = Params().to_dict()
    changed = {
        k: v for k, v in params.items() if k in defaults and v != defaults[k] and v is not None
    }
    if changed:
        lines.append("[params]")
        lines += [f"{k} = {toml_value(v)}" for k, v in sorted(changed.items())]
        lines.append("")
    tolerance = {}
    for summary in symbols.values():
        for metric, stats in summary.get("metrics", {}).items():
            if metric not in METRICS or not isinstance(stats, Mapping):
                continue
            value = stats.get("tolerance")
            if _finite(value) and value >= 0:
                tolerance.setdefault(metric, value)
    if tolerance:
        lines.append("[tolerance]")
        lines += [f"{k} = {toml_value(float(v))}" for k, v in tolerance.items()]
        lines.append("")
    by_metric: dict[str, list[str]] = {}
    for metric, name, op in STARTER_STATISTICS:
        values = [statistic(s, metric, name) for s in symbols.values()]
        if not values or not all(_finite(v) for v in values):
            continue
        if op == "min":
            threshold = _round_out(min(values) - margin, up=False)
        else:
            worst = max(values)
            threshold = _round_out(worst + margin * max(1.0, abs(worst)), up=True)
        if not math.isfinite(threshold):
            continue
        by_metric.setdefault(metric, []).append(f"{op}_{name} = {threshold!r}")
    for metric, entries in by_metric.items():
        lines.append(f"[gate.{metric}]")
        lines += entries
        lines.append("")
    return "\n".join(lines)


def _finite(value) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _round_out(value: float, up: bool) -> float:
    """``value`` rounded at 6 decimals, up or down; values too large for 6
    decimals to mean anything (|value| >= 1e9) are returned as they are."""
    if not abs(value) < 1e9:
        return value
    return (math.ceil(value * 1e6) if up else math.floor(value * 1e6)) / 1e6
