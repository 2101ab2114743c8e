"""Ready-made worlds in PostgreSQL (the recipes; `parity.worlds.recipes`).

- `replay_symbol`: a symbol's stored trades replayed into live rows (``parity replay``);
- `build_demo_world`: the simulated ``DEMO-USD`` world (``parity fixtures demo``, ``parity demo``);
- `build_real_world`: the real XRP/ETH world (``parity fixtures real``).

The SQL they run on the live tables is in `parity.db.live`, the world markers
in `parity.db.meta`; the simulator and the tick replay in ``fixtures/``
(`parity_fixtures`); the words the user reads in `parity.cli.output`.
"""

from parity.worlds.recipes import (
    DEMO_DAYS,
    DEMO_SEED,
    DEMO_SYMBOL,
    REAL_CANDLE_FILES,
    REAL_TRADE_SYMBOL,
    ReplayOutcome,
    WorldOutcome,
    build_demo_world,
    build_real_world,
    replay_symbol,
)

__all__ = [
    "DEMO_DAYS",
    "DEMO_SEED",
    "DEMO_SYMBOL",
    "REAL_CANDLE_FILES",
    "REAL_TRADE_SYMBOL",
    "ReplayOutcome",
    "WorldOutcome",
    "build_demo_world",
    "build_real_world",
    "replay_symbol",
]
