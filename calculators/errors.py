"""The one exception type of the calculators package."""

from __future__ import annotations

__all__ = ["InvalidInputError"]


class InvalidInputError(ValueError):
    """Raised for candles, trades or parameters the calculators cannot use.

    The message is one line and names the first offending row or key, e.g.
    ``candle row 17 (2024-01-01 00:17:00+00:00): high < low (101.0 < 102.0)``.
    """
