"""`BacktestResult`: what a backtest returns, and its stable JSON form.

``to_dict()`` gives plain JSON-ready values with a fixed key order::

    {"symbol": "BTCUSDT", "start": "2022-01-01T00:00:00Z", "end": "2022-02-01T00:00:00Z",
     "params_digest": "3f2a...", "params": {...}, "stats": {...}, "trades": [{...}, ...]}

and, with ``include_equity=True``, ``"equity": [["2022-01-01T00:00:00Z", 10000.0], ...]``.
Times are ISO 8601 UTC with a ``Z``; floats are written with 15 significant
digits (so float noise such as ``0.30000000000000004`` prints as ``0.3``);
non-finite floats (a profit factor of ``inf``) become ``null``.  The same run
twice gives byte-identical ``to_json()``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from backtest.execution import TRADE_COLUMNS
from backtest.stats import STAT_KEYS

__all__ = ["BacktestResult"]


@dataclass(frozen=True)
class BacktestResult:
    """A backtest's trades, equity curve, statistics and inputs.

    - ``trades``: DataFrame with the columns of `backtest.execution.TRADE_COLUMNS`
      (``entry_time, exit_time, side, entry_price, exit_price, quantity, reason,
      pnl, return_pct, commission, bars_held, signal_time, entry_reason, stop,
      target``), one row per trade in time order;
    - ``equity``: mark-to-market equity at each traded bar's close (a Series on
      the candle index, quote currency);
    - ``stats``: the dict of `backtest.stats.compute_stats`;
    - ``params``: the parameters (``Params.to_dict()``);
    - ``symbol``; ``start``, ``end``: the traded span ``[start, end)`` (UTC).
    """

    trades: pd.DataFrame
    equity: pd.Series
    stats: dict[str, Any]
    params: dict[str, Any]
    symbol: str
    start: pd.Timestamp
    end: pd.Timestamp
    params_digest: str = field(default="")

    def to_dict(self, include_equity: bool = False) -> dict[str, Any]:
        """JSON-ready dict with a fixed key order (see the module docstring)."""
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "start": _time(self.start),
            "end": _time(self.end),
            "params_digest": self.params_digest,
            "params": {k: _value(v) for k, v in self.params.items()},
            "stats": {k: _value(self.stats[k]) for k in STAT_KEYS},
            "trades": [
                {c: _value(v) for c, v in zip(TRADE_COLUMNS, row, strict=True)}
                for row in self.trades[list(TRADE_COLUMNS)].itertuples(index=False, name=None)
            ],
        }
        if include_equity:
            out["equity"] = [
                [_time(t), _value(v)]
                for t, v in zip(self.equity.index, self.equity.to_numpy(), strict=True)
            ]
        return out

    def to_json(self, indent: int | None = 2, include_equity: bool = False) -> str:
        """`to_dict` as JSON text: byte-identical for identical runs."""
        return json.dumps(
            self.to_dict(include_equity=include_equity),
            indent=indent,
            allow_nan=False,
            ensure_ascii=True,
        )


def _time(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _value(v: Any) -> Any:
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        x = float(v)
        return float(format(x, ".15g")) if math.isfinite(x) else None
    if isinstance(v, pd.Timestamp):
        return _time(v)
    raise TypeError(f"cannot write {type(v).__name__} to JSON")  # pragma: no cover
