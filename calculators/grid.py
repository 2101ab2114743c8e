"""The integer price grid of the volume profile.

Prices become whole row numbers with one division and a snap, never by
repeated float steps, so a price already on the grid never lands in the next
row: ``row = round(x)`` when ``x = price / row_size`` lies within a millionth of
a row of a whole number, else ``floor(x)``.  A row's price is its lower edge,
``row * row_size``, rounded by `row_price`.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["AUTO_ROW_FRACTION", "auto_row_size", "price_to_row", "row_price"]

#: The automatic row size is the largest power of ten not above this fraction of price.
AUTO_ROW_FRACTION = 1e-4
_SNAP = 1e-6


@njit(cache=True)
def auto_row_size(price: float) -> float:
    """Row height (price units) for a window whose last close is ``price``:
    the largest power of ten <= one basis point of it (40,000 -> 1.0,
    0.0014 -> 1e-7)."""
    exponent = math.floor(math.log10(price * AUTO_ROW_FRACTION) + 1e-9)
    return 10.0**exponent


@njit(cache=True)
def price_to_row(price: float, row_size: float) -> int:
    """The whole row number holding ``price`` (rows are ``[k, k+1) * row_size``)."""
    x = price / row_size
    nearest = math.floor(x + 0.5)
    if abs(x - nearest) <= _SNAP:
        return int(nearest)
    return int(math.floor(x))


@njit(cache=True)
def row_price(row: int, row_size: float) -> float:
    """The price of whole row ``row`` on a grid of ``row_size``: its lower edge,
    rounded to the row size's decimals plus three so that 0.1-rows print as
    100.3, not 100.30000000000001."""
    decimals = max(0, -math.floor(math.log10(row_size) + 1e-9)) + 3
    return round(row * row_size, decimals)
