"""The schema (``parity/db/schema.sql``) and the ``symbols`` table.

None of these functions commits: callers own the transaction.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import psycopg2.extensions
from numpy.typing import ArrayLike
from psycopg2 import sql

from parity.db.names import DEFAULT_NAMES, TableNames
from parity.db.tables import SCHEMA_SQL_PATH
from parity.errors import ParityError

__all__ = [
    "MAX_TICK_EXPONENT",
    "MIN_TICK_EXPONENT",
    "SymbolRow",
    "apply_schema",
    "ensure_symbol",
    "infer_tick_size",
    "list_symbols",
    "symbol_info",
]

#: The range of powers of ten `infer_tick_size` tries: 1e9 down to 1e-12.
MAX_TICK_EXPONENT = 9
MIN_TICK_EXPONENT = -12
#: How far (in ticks) a price may sit from a multiple of the tick: float noise.
_TICK_TOLERANCE = 1e-6

Connection = psycopg2.extensions.connection


class SymbolRow(NamedTuple):
    """One row of ``symbols``: ``id``, ``symbol`` and ``tick_size`` (price units)."""

    id: int
    symbol: str
    tick_size: float


def apply_schema(conn: Connection) -> None:
    """Create every table and index that does not exist yet (idempotent; no commit)."""
    with conn.cursor() as cur:
        cur.execute(SCHEMA_SQL_PATH.read_text(encoding="utf-8"))


def infer_tick_size(prices: ArrayLike) -> float:
    """The largest power of ten that divides every price (price units), as a float.

    The rule: the largest ``10**k`` with ``MIN_TICK_EXPONENT <= k <=
    MAX_TICK_EXPONENT`` (-12..9) such that every price is within a millionth of
    a tick of a multiple of ``10**k``, so float noise (0.0015784500000000001)
    does not count as digits.  Examples: 0.00141342 -> 1e-8; 46319.0 and
    46320.5 -> 0.1; 46300.0 and 46400.0 -> 100.0.  Only powers of ten are
    inferred, never 0.5 or 0.25 steps: give the tick size explicitly for such
    instruments.  Raises `ParityError` for no prices, a price that is not
    finite and > 0, or prices that no tick down to 1e-12 divides.
    """
    values = np.unique(np.asarray(prices, dtype=np.float64).ravel())
    if values.size == 0:
        raise ParityError("cannot infer a tick size from no prices; give one explicitly")
    if not np.all(np.isfinite(values)) or values[0] <= 0:
        raise ParityError("cannot infer a tick size: prices must be finite and > 0")
    for exponent in range(MAX_TICK_EXPONENT, MIN_TICK_EXPONENT - 1, -1):
        tick = 10.0**exponent
        ticks = values / tick
        whole = np.round(ticks)
        # Every price a whole number (>= 1) of ticks, up to float noise.
        if whole[0] >= 1 and np.all(
            np.abs(ticks - whole) <= _TICK_TOLERANCE * np.maximum(1.0, ticks * 1e-8)
        ):
            return float(f"1e{exponent}")
    ticks = values / 10.0**MIN_TICK_EXPONENT
    worst = values[np.argmax(np.abs(ticks - np.round(ticks)))]
    raise ParityError(
        f"cannot infer a tick size: price {float(worst)!r} has more than "
        f"{-MIN_TICK_EXPONENT} decimals; give the tick size explicitly"
    )


def ensure_symbol(
    conn: Connection,
    symbol: str,
    tick_size: float | None = None,
    prices: ArrayLike | None = None,
) -> int:
    """The id of ``symbol``, inserting it if new; no commit.

    A new symbol gets ``tick_size`` (price units), or when that is None the tick
    `infer_tick_size` finds in ``prices``.  For an existing symbol the stored
    tick size is kept; an explicit ``tick_size`` that differs from it raises
    `ParityError`.
    """
    symbol = _check_name(symbol)
    if tick_size is not None and not (math.isfinite(tick_size) and tick_size > 0):
        raise ParityError(f"tick size {tick_size!r} for {symbol!r} must be a number > 0")
    with conn.cursor() as cur:
        cur.execute("SELECT id, tick_size FROM symbols WHERE symbol = %s", (symbol,))
        row = cur.fetchone()
        if row is None:
            if tick_size is None:
                if prices is None:
                    raise ParityError(f"new symbol {symbol!r} needs a tick size")
                tick_size = infer_tick_size(prices)
            cur.execute(
                "INSERT INTO symbols (symbol, tick_size) VALUES (%s, %s) "
                "ON CONFLICT (symbol) DO NOTHING RETURNING id, tick_size",
                (symbol, float(tick_size)),
            )
            row = cur.fetchone()
            if row is None:  # inserted meanwhile by a concurrent transaction
                cur.execute("SELECT id, tick_size FROM symbols WHERE symbol = %s", (symbol,))
                row = cur.fetchone()
    symbol_id, stored = int(row[0]), float(row[1])
    if tick_size is not None and not math.isclose(stored, tick_size, rel_tol=1e-12):
        raise ParityError(
            f"symbol {symbol!r} exists with tick size {stored!r}, not {float(tick_size)!r}"
        )
    return symbol_id


def symbol_info(
    conn: Connection, symbol: str, names: TableNames | None = None
) -> tuple[int, float]:
    """``(id, tick_size)`` of ``symbol``, from this project's ``symbols`` table or
    the one ``names`` describes; raises ``ParityError("unknown symbol 'X'")``."""
    t = names or DEFAULT_NAMES["symbols"]
    query = sql.SQL("SELECT {}, {} FROM {} WHERE {} = %s").format(
        t.column("id"), t.column("tick_size"), t.identifier(), t.column("symbol")
    )
    with conn.cursor() as cur:
        cur.execute(query, (symbol,))
        row = cur.fetchone()
    if row is None:
        raise ParityError(f"unknown symbol {symbol!r}")
    return int(row[0]), float(row[1])


def list_symbols(conn: Connection, names: TableNames | None = None) -> list[SymbolRow]:
    """Every symbol, ordered by name (from ``names``' table if given)."""
    t = names or DEFAULT_NAMES["symbols"]
    query = sql.SQL("SELECT {}, {}, {} FROM {} ORDER BY {}").format(
        t.column("id"),
        t.column("symbol"),
        t.column("tick_size"),
        t.identifier(),
        t.column("symbol"),
    )
    with conn.cursor() as cur:
        cur.execute(query)
        return [SymbolRow(int(i), str(s), float(t)) for i, s, t in cur.fetchall()]


def _check_name(symbol: str) -> str:
    name = (symbol or "").strip()
    if not name or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise ParityError(f"invalid symbol name {symbol!r}: give a non-empty name without spaces")
    return name
