"""The backtest engine wired to the database: a PostgreSQL candle source and
parameter sweeps (trade-level parity with the live rows is in
`parity.common.trades`, shared with the harness).

- `source`: `postgres_candle_source(dsn)` for `backtest.BacktestEngine`;
- `sweep`: grids of parameters, run and tabulated;
- `report`: the self-contained HTML of a backtest.
"""
