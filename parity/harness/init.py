"""A starter ``parity.toml`` from a measured ``parity.json``: thresholds at
today's values less a margin, so the gate passes now and catches a regression.

For each gated statistic (`STARTER_STATISTICS`, where measured) the threshold
is the worst value over the symbols, loosened by the margin: for a ``min_``
(higher is better; shares, kappa, IoU, correlation) ``worst - margin``, for a
``max_`` (an error, in the metric's unit) ``worst + margin * max(1, |worst|)``;
rounded outward at 6 decimals, so the same ``parity.json`` always passes
``parity gate`` with it.  The ``[params]`` that differ from the defaults and
the ``[tolerance]`` per metric are copied, so a new run measures the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from calculators import Params
from parity.harness.gate import statistic
from parity.harness.metrics import METRICS

__all__ = ["STARTER_STATISTICS", "starter_config"]

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


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def starter_config(report: Mapping, margin: float, source: str = "parity.json") -> str:
    """The TOML text of the starter configuration (see the module docstring)."""
    symbols = report.get("symbols", {})
    lines = [
        f"# Starter parity.toml written by `parity init` from {source}",
        f"# (symbols: {', '.join(sorted(symbols)) or 'none'}; margin {margin}).",
        "# Thresholds = the worst measured value over the symbols, less the margin.",
        "# Add [schema] here if the live engine's tables are named differently (docs/parity.md).",
        "",
    ]
    params = (report.get("run") or {}).get("params") or {}
    defaults = Params().to_dict()
    changed = {
        k: v for k, v in params.items() if k in defaults and v != defaults[k] and v is not None
    }
    if changed:
        lines.append("[params]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in sorted(changed.items())]
        lines.append("")
    tolerance = {}
    for summary in symbols.values():
        for metric, stats in summary.get("metrics", {}).items():
            if metric not in METRICS or not isinstance(stats, Mapping):
                continue
            if isinstance(stats.get("tolerance"), int | float):
                tolerance.setdefault(metric, stats["tolerance"])
    if tolerance:
        lines.append("[tolerance]")
        lines += [f"{k} = {_toml_value(float(v))}" for k, v in tolerance.items()]
        lines.append("")
    by_metric: dict[str, list[str]] = {}
    for metric, name, op in STARTER_STATISTICS:
        values = [statistic(s, metric, name) for s in symbols.values()]
        if not values or any(v is None for v in values):
            continue
        if op == "min":
            threshold = math.floor((min(values) - margin) * 1e6) / 1e6
        else:
            worst = max(values)
            threshold = math.ceil((worst + margin * max(1.0, abs(worst))) * 1e6) / 1e6
        by_metric.setdefault(metric, []).append(f"{op}_{name} = {threshold!r}")
    for metric, entries in by_metric.items():
        lines.append(f"[gate.{metric}]")
        lines += entries
        lines.append("")
    return "\n".join(lines)
