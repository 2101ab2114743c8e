"""backtest-parity: the harness, database access and command line on top of the calculators.

Layers (imports flow one way): ``calculators`` <- ``backtest`` / ``fixtures`` <- ``parity``.
"""

__version__ = "0.1.0"
