"""backtest-parity: the harness, database access and command line on top of the calculators.

Layers (imports flow one way): ``calculators`` <- ``backtest`` / ``fixtures``
(``parity_fixtures``) <- ``parity``; inside it the library (``db``, ``io``,
``common``, ``harness``, ``backtesting``) <- ``worlds`` <- ``cli``.  See the
README's layout and ``tests/unit/test_architecture.py``.
"""

__version__ = "0.1.0"
