"""The gate: thresholds and the baseline ratchet, judged from report data alone.

Both `parity run` and `parity gate` call `evaluate` on the ``parity.json``
document, so a stored result is re-checked offline with the same code.
"""

from __future__ import annotations

from collections.abc import Mapping

from parity.errors import ParityError
from parity.harness.config import Check, HarnessConfig

__all__ = ["check_shape", "evaluate", "ratchet", "statistic"]


def check_shape(symbols: object, checks: tuple[Check, ...], where: str) -> None:
    """Refuse a ``parity.json`` ``symbols`` section the gate cannot judge, naming
    the first bad entry: ``symbols`` must map names to tables, their
    ``metrics`` to tables, and every statistic a threshold names must be a
    number (or null), not a string (which would drop the check silently).
    ``where`` names the document in the message (e.g. "baseline ci/b.json")."""
    if not isinstance(symbols, Mapping):
        raise ParityError(f"{where}: 'symbols' is not a table of symbols")
    for symbol, summary in symbols.items():
        if not isinstance(summary, Mapping):
            raise ParityError(f"{where}: symbols.{symbol} is {summary!r}, not a table")
        metrics = summary.get("metrics", {})
        if not isinstance(metrics, Mapping):
            raise ParityError(f"{where}: symbols.{symbol}.metrics is not a table")
        for check in checks:
            stats = metrics.get(check.metric, {})
            if not isinstance(stats, Mapping):
                raise ParityError(
                    f"{where}: symbols.{symbol}.metrics.{check.metric} is not a table"
                )
            value = stats.get(check.statistic)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ParityError(
                    f"{where}: symbols.{symbol}.metrics.{check.metric}.{check.statistic} "
                    f"is {value!r}, not a number"
                )


def statistic(summary: Mapping, metric: str, name: str) -> float | None:
    """``summary["metrics"][metric][name]``, or None when absent."""
    value = summary.get("metrics", {}).get(metric, {}).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def evaluate(symbols: Mapping[str, Mapping], checks: tuple[Check, ...]) -> list[dict]:
    """One verdict per (symbol, threshold): ``{name, symbol, metric, statistic,
    op, threshold, value, passed}``.  A statistic that is absent (no minute
    compared) fails its threshold: no evidence is not parity."""
    verdicts = []
    for symbol, summary in sorted(symbols.items()):
        for check in checks:
            value = statistic(summary, check.metric, check.statistic)
            verdicts.append(
                {
                    "name": f"{symbol}.{check.name}",
                    "symbol": symbol,
                    "metric": check.metric,
                    "statistic": check.statistic,
                    "op": check.op,
                    "threshold": check.threshold,
                    "value": value,
                    "passed": check.passes(value),
                    "kind": "threshold",
                }
            )
    return verdicts


def ratchet(
    current: Mapping[str, Mapping], baseline: Mapping[str, Mapping], config: HarnessConfig
) -> list[dict]:
    """Parity may only improve: every gated statistic of every symbol in the
    baseline must be no worse now than there, up to ``[ratchet] slack``
    (worse = lower for a ``min_`` threshold, higher for a ``max_`` one).  A
    symbol or statistic the baseline has but the current run lacks fails."""
    verdicts = []
    seen = set()
    for symbol, base in sorted(baseline.items()):
        for check in config.checks:
            key = (symbol, check.metric, check.statistic, check.op)
            if key in seen:
                continue
            seen.add(key)
            before = statistic(base, check.metric, check.statistic)
            if before is None:
                continue
            now = statistic(current.get(symbol, {}), check.metric, check.statistic)
            if now is None:
                passed = False
            elif check.op == "min":
                passed = now >= before - config.ratchet_slack
            else:
                passed = now <= before + config.ratchet_slack
            verdicts.append(
                {
                    "name": f"{symbol}.{check.metric}.{check.statistic}.no_worse_than_baseline",
                    "symbol": symbol,
                    "metric": check.metric,
                    "statistic": check.statistic,
                    "op": check.op,
                    "threshold": before,
                    "value": now,
                    "passed": passed,
                    "kind": "ratchet",
                }
            )
    return verdicts
