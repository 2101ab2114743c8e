"""The tables of the database: the schema file and the live tables' columns.

``SCHEMA_SQL_PATH`` is the path of ``schema.sql``, the idempotent DDL of every
table the project reads or writes (see ``docs/schema.md``).  This module
imports nothing (the world builders of ``fixtures/`` use it too).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LIVE_COLUMNS", "SCHEMA_SQL_PATH"]

#: The idempotent schema (``CREATE TABLE IF NOT EXISTS`` ...), shipped as package data.
SCHEMA_SQL_PATH: Path = Path(__file__).resolve().with_name("schema.sql")

#: The live engine's tables and each one's value columns (besides ``id``,
#: ``symbol_id``, ``ts``), as named in `calculators.OUTPUT_COLUMNS` (and in
#: ``parity/db/schema.sql``).
LIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "volume_profile": ("poc", "vah", "val", "total_volume"),
    "order_flow": (
        "cumulative_delta",
        "buy_pressure",
        "sell_pressure",
        "cvd_momentum",
        "buy_volume",
        "sell_volume",
    ),
    "market_state": ("state", "confidence", "distance_from_poc_pct", "momentum_score"),
}
