"""The metrics the harness compares, each with its live table, kind and unit.

Kinds decide how a live value and a calculated one are compared:

- ``price``: error in ticks of the symbol, ``|live - calc| / tick_size``;
- ``points``: error in the metric's own points (percent or percentage points),
  ``|live - calc|``;
- ``relative``: error in percent of the live value, ``100 * |live - calc| / |live|``;
- ``sign``: a match when both have the same sign (zero only matches zero);
  the error is ``|live - calc|`` in volume units, and the correlation is reported;
- ``label``: the state, a match only when equal; the error is 0 or 1.

A minute matches when ``error <= tolerance`` (plus 1e-9 for float noise).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METRICS", "Metric"]


@dataclass(frozen=True)
class Metric:
    """One compared quantity: where the live engine stores it and how to compare it."""

    name: str
    table: str
    kind: str
    unit: str
    tolerance: float
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("poc", "volume_profile", "price", "ticks", 2.0, "point of control"),
        Metric("vah", "volume_profile", "price", "ticks", 2.0, "value area high"),
        Metric("val", "volume_profile", "price", "ticks", 2.0, "value area low"),
        Metric("total_volume", "volume_profile", "relative", "percent", 0.5, "window volume"),
        Metric("buy_pressure", "order_flow", "points", "percentage points", 5.0, "buy share of window volume"),
        Metric("sell_pressure", "order_flow", "points", "percentage points", 5.0, "sell share of window volume"),
        Metric("cumulative_delta", "order_flow", "sign", "volume", 0.0, "CVD over the window"),
        Metric("cvd_momentum", "order_flow", "sign", "volume", 0.0, "CVD change over the last buckets"),
        Metric("delta", "order_flow", "sign", "volume", 0.0, "bar delta, buy - sell volume"),
        Metric("state", "market_state", "label", "state", 0.0, "BALANCE / IMBALANCE_UP / IMBALANCE_DOWN"),
        Metric("confidence", "market_state", "points", "points", 10.0, "state confidence 0..100"),
        Metric("distance_from_poc_pct", "market_state", "points", "percentage points", 0.05, "price distance from POC"),
        Metric("momentum_score", "market_state", "points", "percentage points", 0.05, "price change over the window"),
    )
}  # fmt: skip
