"""backtest-parity: the harness, database access and command line on top of the calculators.

Layers (imports flow one way): ``calculators`` <- ``backtest`` / ``fixtures``
(``parity_fixtures``) <- ``parity``; inside it the library (``db``, ``io``,
``common``, ``harness``, ``backtesting``) <- ``worlds`` <- ``cli``.  See the
README's layout and ``tests/unit/test_architecture.py``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "compare_frames"]


def __getattr__(name: str):
    """``parity.compare_frames`` (imported on first use: ``import parity`` stays light)."""
    if name == "compare_frames":
        from parity.harness.frames import compare_frames

        return compare_frames
    raise AttributeError(f"module 'parity' has no attribute {name!r}")
