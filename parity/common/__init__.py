"""Pieces both the parity harness and the backtest runs use, below both.

- `parity.common.trades`: trade-level parity (the backtest's trades on the
  candle-only indicators vs on the stored live rows);
- `parity.common.svg`: the self-contained SVG charts of the HTML reports;
- `parity.common.page`: the HTML page every report shares
  (``parity/templates/base.html``);
- `parity.common.estimation`: the candle-side estimation settings (what
  ``parity calibrate`` searches and the reports show).
- `parity.common.toml`: TOML values and comment text written by hand
  (``parity init``, ``parity calibrate``).

``parity.harness`` and ``parity.backtesting`` both import from here and never
from each other.
"""
