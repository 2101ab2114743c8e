"""The backtest engine wired to the database: a PostgreSQL candle source,
trade-level parity with the live rows, and parameter sweeps.

- `source`: `postgres_candle_source(dsn)` for `backtest.BacktestEngine`;
- `trades`: `trade_parity` — would the backtest have traded as live did?;
- `sweep`: grids of parameters, run and tabulated;
- `report`: the self-contained HTML of a backtest.
"""
