"""Align stored live rows to the candles they describe.

The rule: a live row written at wall-clock time ``w`` describes the bar that
opened at ``floor(w, 1 minute) - bar_offset_minutes`` (default 1): the bar
10:00 closes at 10:01, and the engine writes its row a few seconds later, at
10:01:03.  A row written twice for one bar is kept once (the first written,
then the lowest id) and counted as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Aligned", "align_rows", "bar_of"]

_MINUTE = pd.Timedelta(minutes=1)


@dataclass(frozen=True)
class Aligned:
    """One live table's rows, one per bar, indexed by bar open time (UTC)."""

    rows: pd.DataFrame
    written: int  # rows read
    duplicates: int  # rows dropped because their bar already had a row


def bar_of(written: pd.Series | pd.DatetimeIndex, bar_offset_minutes: int) -> pd.DatetimeIndex:
    """Bar open times described by rows written at ``written`` (UTC)."""
    times = pd.DatetimeIndex(written)
    return times.floor("min") - bar_offset_minutes * _MINUTE


def align_rows(rows: pd.DataFrame, bar_offset_minutes: int) -> Aligned:
    """Index ``rows`` (with a ``ts`` write-time column, and ``id`` if the table
    has one) by the bar each describes, keeping the first row of each bar."""
    order = [c for c in ("ts", "id") if c in rows.columns]
    ordered = rows.sort_values(order, kind="stable")
    bars = bar_of(ordered["ts"], bar_offset_minutes)
    first = ~bars.duplicated(keep="first")
    kept = ordered.loc[first].drop(columns=order)
    kept.index = pd.DatetimeIndex(bars[first], name="bar")
    return Aligned(rows=kept, written=len(rows), duplicates=int((~first).sum()))
