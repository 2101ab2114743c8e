"""What moved between two ``parity.json`` documents: every per-symbol
statistic whose value changed beyond a tolerance (computed with deepdiff).

Compared: each symbol's summary (``symbols.<SYM>``), numbers and labels at
any depth (``metrics.poc.match_rate``, ``live_rows.duplicates.order_flow``,
``trades.match_share``, and any statistic added later).  The lists of
episode runs and the state confusion matrix are left out (their counts and
the statistics derived from them are compared).  Two numbers differ when
``|new - old| > tolerance`` (deepdiff's ``math_epsilon``).
"""

from __future__ import annotations

from collections.abc import Mapping

from deepdiff import DeepDiff

__all__ = ["render_diff", "report_diff"]

_EXCLUDE = (r"\['episodes'\]\['runs'\]", r"\['confusion'\]", r"\['window'\]\['start'\]")


def report_diff(old: Mapping, new: Mapping, tolerance: float = 1e-9) -> list[dict]:
    """One row per moved statistic, sorted by symbol then path:
    ``{symbol, metric, statistic, old, new, change}``; ``metric`` is the
    first level under the symbol (``metrics.poc`` -> ``poc``), ``statistic``
    the rest of the path; ``change`` is ``new - old`` for two numbers, else
    None; a value absent on one side is None there."""
    diff = DeepDiff(
        dict(old.get("symbols", {})),
        dict(new.get("symbols", {})),
        math_epsilon=tolerance,
        exclude_regex_paths=list(_EXCLUDE),
        verbose_level=2,
    )
    rows = []
    for kind, levels in diff.tree.items():
        for level in levels:
            path = [str(p) for p in level.path(output_format="list")]
            before = None if kind.endswith("_added") else level.t1
            after = None if kind.endswith("_removed") else level.t2
            for symbol, sub, value_old, value_new in _leaves(path, before, after):
                rows.append(_row(symbol, sub, value_old, value_new))
    return sorted(rows, key=lambda r: (r["symbol"], r["metric"], r["statistic"]))


def _leaves(path: list[str], old, new):
    """Expand an added/removed/changed subtree into its leaves.  Keys come only
    from the sides that are tables; where a table (or a list) on one side faces
    something else on the other, one "type changed" leaf is yielded with each
    side's shape (`_shape`) as its value."""
    if isinstance(old, Mapping) or isinstance(new, Mapping):
        if not _same_shape(old, new, Mapping):
            yield path[0], [*path[1:], TYPE_CHANGED], _shape(old), _shape(new)
            return
        keys = set(old or {}) | set(new or {})
        for key in sorted(keys, key=str):
            yield from _leaves(
                [*path, str(key)],
                old.get(key) if isinstance(old, Mapping) else None,
                new.get(key) if isinstance(new, Mapping) else None,
            )
        return
    if isinstance(old, list) or isinstance(new, list):
        if not _same_shape(old, new, list):
            yield path[0], [*path[1:], TYPE_CHANGED], _shape(old), _shape(new)
        return  # lists themselves are not compared (module docstring)
    yield path[0], path[1:], old, new


#: The last part of the statistic of a row whose two sides have different shapes.
TYPE_CHANGED = "(type changed)"


def _same_shape(old, new, kind: type) -> bool:
    """Both sides are ``kind``, or one is absent (None) and the other is ``kind``."""
    return (old is None or isinstance(old, kind)) and (new is None or isinstance(new, kind))


def _shape(value):
    """``value`` itself when it is a scalar; "(table)" / "(list)" for a container."""
    if isinstance(value, Mapping):
        return "(table)"
    if isinstance(value, list):
        return "(list)"
    return value


def _row(symbol: str, path: list[str], old, new) -> dict:
    if path and path[0] == "metrics" and len(path) > 1:
        metric, rest = path[1], path[2:]
    else:
        metric, rest = (path[0], path[1:]) if path else ("", [])
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    return {
        "symbol": symbol,
        "metric": metric,
        "statistic": ".".join(rest) or "(value)",
        "old": old,
        "new": new,
        "change": new - old if numbers else None,
    }


def render_diff(rows: list[dict]) -> str:
    """The rows as an aligned text table (one line each), or a one-line all-clear."""
    if not rows:
        return "no statistic moved beyond the tolerance\n"

    def show(value) -> str:
        if value is None:
            return "-"
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    table = [("symbol", "metric", "statistic", "old", "new", "change")] + [
        (r["symbol"], r["metric"], r["statistic"], show(r["old"]), show(r["new"]),
         "" if r["change"] is None else f"{r['change']:+.6g}")
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    return "".join(
        "  ".join(
            cell.ljust(w) if i < 3 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        + "\n"
        for row in table
    )
