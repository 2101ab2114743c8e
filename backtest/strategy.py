"""The entry rules: one bar's indicators in, an entry `Signal` (or None) out.

Two ways in that give one answer:

- `evaluate_entry_signal`: one bar, scalars, the desk's call;
- `entry_signals`: every bar at once, NumPy arrays, what the engine uses.

Rules, evaluated at a bar's close with ``price`` = that close (all thresholds
from `calculators.Params`):

1. No entry when ``confidence < min_confidence``, when ``atr`` is not a finite
   number ``> 0``, when ``price`` is not a finite number ``> 0``, or when the
   state is missing (None/NaN).  NaN inputs never pass a threshold.
2. ``IMBALANCE_UP`` with ``buy_pressure >= min_pressure`` and ``cvd_momentum
   > 0``: **long**, ``stop = price - stop_atr * atr``, ``target = price +
   target_atr * atr``; reason ``"imbalance_up"``.
3. ``IMBALANCE_DOWN`` with ``sell_pressure >= min_pressure`` and
   ``cvd_momentum < 0``: **short**, ``stop = price + stop_atr * atr``,
   ``target = price - target_atr * atr``; reason ``"imbalance_down"``.
4. ``BALANCE``, only when ``allow_balance_trades``, fades the value area's
   edges back toward the POC:

   - ``price <= val``: **long**, ``target = poc - balance_target_atr * atr``,
     ``stop = price - stop_atr * atr``; reason ``"balance_val"``;
   - otherwise ``price >= vah``: **short**, ``target = poc +
     balance_target_atr * atr``, ``stop = price + stop_atr * atr``; reason
     ``"balance_vah"``;
   - a fade whose target is not strictly beyond the price in the trade's
     direction (the POC sits at the edge, or ``balance_target_atr`` moves the
     target past the price) is no entry.  Missing POC/VAH/VAL: no fade.

Pressures are percent (0..100), confidence points (0..100), ``cvd_momentum``
volume units (only its sign is read), ``atr`` and the levels price units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from calculators import STATES, InvalidInputError, Params

__all__ = [
    "REASONS",
    "Signal",
    "SignalArrays",
    "bar_signal",
    "entry_signals",
    "evaluate_entry_signal",
    "rule_settings",
    "signals_kernel",
    "state_codes",
]

#: Entry reasons; `SignalArrays.reason` holds an index into this tuple (-1: none).
REASONS = ("imbalance_up", "imbalance_down", "balance_val", "balance_vah")
_UP, _DOWN, _VAL, _VAH = range(4)
_BALANCE, _IMBALANCE_UP, _IMBALANCE_DOWN = (STATES.index(s) for s in STATES)


@dataclass(frozen=True, slots=True)
class Signal:
    """An entry decided at a bar's close.

    ``side``: ``"long"`` or ``"short"``; ``reason``: one of `REASONS`;
    ``stop`` and ``target``: price levels, e.g. ``Signal("long",
    "imbalance_up", 41_925.0, 42_150.0)`` for an entry signalled at 42,000
    with an ATR of 50.
    """

    side: str
    reason: str
    stop: float
    target: float


@dataclass(frozen=True, slots=True)
class SignalArrays:
    """Signals of many bars: ``side`` (int8: +1 long, -1 short, 0 none),
    ``reason`` (int8 index into `REASONS`, -1 none), ``stop`` and ``target``
    (float64 price levels, NaN where there is no signal)."""

    side: np.ndarray
    reason: np.ndarray
    stop: np.ndarray
    target: np.ndarray

    def signal(self, i: int) -> Signal | None:
        """Bar ``i``'s signal as a `Signal` (None if there is none)."""
        if self.side[i] == 0:
            return None
        return Signal(
            "long" if self.side[i] > 0 else "short",
            REASONS[self.reason[i]],
            float(self.stop[i]),
            float(self.target[i]),
        )


def evaluate_entry_signal(
    market_state: str | None,
    confidence: float,
    buy_pressure: float,
    sell_pressure: float,
    cvd_momentum: float,
    current_price: float,
    atr: float,
    symbol: str,
    *,
    params: Params,
    poc: float | None = None,
    vah: float | None = None,
    val: float | None = None,
) -> Signal | None:
    """The entry signal of one bar under the module's rules, or None.

    ``market_state`` is a label of `calculators.STATES` (None/NaN: no signal;
    any other label raises `InvalidInputError`).  ``symbol`` is accepted for
    the desk's call signature; the rules do not depend on it.  Pure: the same
    arguments always give the same answer::

        >>> evaluate_entry_signal("IMBALANCE_UP", 70, 60.0, 40.0, 1.0e5, 42_000.0, 50.0,
        ...                       "BTCUSDT", params=Params())
        Signal(side='long', reason='imbalance_up', stop=41925.0, target=42150.0)
    """
    del symbol  # the rules are the same for every symbol
    state = _state_code(market_state)
    price = _number(current_price)
    atr_ = _number(atr)
    if (
        state < 0
        or not _number(confidence) >= params.min_confidence
        or not (math.isfinite(atr_) and atr_ > 0)
        or not (math.isfinite(price) and price > 0)
    ):
        return None
    stop_gap = params.stop_atr * atr_
    if state == _IMBALANCE_UP:
        if _number(buy_pressure) >= params.min_pressure and _number(cvd_momentum) > 0:
            return Signal("long", REASONS[_UP], price - stop_gap, price + params.target_atr * atr_)
        return None
    if state == _IMBALANCE_DOWN:
        if _number(sell_pressure) >= params.min_pressure and _number(cvd_momentum) < 0:
            return Signal(
                "short", REASONS[_DOWN], price + stop_gap, price - params.target_atr * atr_
            )
        return None
    if not params.allow_balance_trades:
        return None
    poc_, vah_, val_ = _number(poc), _number(vah), _number(val)
    short_of_poc = params.balance_target_atr * atr_
    if price <= val_:
        target = poc_ - short_of_poc
        if target > price:
            return Signal("long", REASONS[_VAL], price - stop_gap, target)
    elif price >= vah_:
        target = poc_ + short_of_poc
        if target < price:
            return Signal("short", REASONS[_VAH], price + stop_gap, target)
    return None


def entry_signals(
    states: Any,
    confidence: Any,
    buy_pressure: Any,
    sell_pressure: Any,
    cvd_momentum: Any,
    price: Any,
    atr: Any,
    *,
    params: Params,
    poc: Any = None,
    vah: Any = None,
    val: Any = None,
) -> SignalArrays:
    """`evaluate_entry_signal` for every bar at once (a Numba loop over `bar_signal`).

    Array-likes of one length; ``states`` as labels (see `state_codes`) or
    int codes into `calculators.STATES` (-1: missing); ``poc``, ``vah``,
    ``val`` None means no balance fades.  Element ``i`` of the result equals
    ``evaluate_entry_signal(...)`` on element ``i`` of each input.
    """
    codes = state_codes(states)
    n = codes.shape[0]
    conf, buy, sell, cvd, px, atr_ = (
        _floats(a, n, name)
        for a, name in (
            (confidence, "confidence"),
            (buy_pressure, "buy_pressure"),
            (sell_pressure, "sell_pressure"),
            (cvd_momentum, "cvd_momentum"),
            (price, "price"),
            (atr, "atr"),
        )
    )
    poc_, vah_, val_ = (
        np.full(n, np.nan) if a is None else _floats(a, n, name)
        for a, name in ((poc, "poc"), (vah, "vah"), (val, "val"))
    )
    side, reason, stop, target = signals_kernel(
        codes, conf, buy, sell, cvd, px, atr_, poc_, vah_, val_, *rule_settings(params)
    )
    return SignalArrays(side, reason, stop, target)


def rule_settings(params: Params) -> tuple[float, float, float, float, float, bool]:
    """The settings `bar_signal` reads, in its argument order: ``min_confidence,
    min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance_trades``."""
    return (
        params.min_confidence,
        params.min_pressure,
        params.stop_atr,
        params.target_atr,
        params.balance_target_atr,
        bool(params.allow_balance_trades),
    )


@njit(cache=True)
def bar_signal(
    code, conf, buy, sell, cvd, px, atr, poc, vah, val,
    min_confidence, min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance,
):  # fmt: skip
    """The rules of the module docstring for one bar, in Numba: ``(side, reason,
    stop, target)`` with ``side`` +1/-1/0, ``reason`` an index into `REASONS`
    (-1: none) and NaN levels when there is no signal.  ``code``: the state code
    (-1: missing); NaN inputs never pass a threshold."""
    if not (
        code >= 0
        and conf >= min_confidence
        and np.isfinite(atr)
        and atr > 0
        and np.isfinite(px)
        and px > 0
    ):
        return 0, -1, np.nan, np.nan
    stop_gap = stop_atr * atr
    if code == _IMBALANCE_UP:
        if buy >= min_pressure and cvd > 0:
            return 1, _UP, px - stop_gap, px + target_atr * atr
        return 0, -1, np.nan, np.nan
    if code == _IMBALANCE_DOWN:
        if sell >= min_pressure and cvd < 0:
            return -1, _DOWN, px + stop_gap, px - target_atr * atr
        return 0, -1, np.nan, np.nan
    if code != _BALANCE or not allow_balance:
        return 0, -1, np.nan, np.nan
    short_of_poc = balance_target_atr * atr
    if px <= val:
        target = poc - short_of_poc
        if target > px:
            return 1, _VAL, px - stop_gap, target
    elif px >= vah:
        target = poc + short_of_poc
        if target < px:
            return -1, _VAH, px + stop_gap, target
    return 0, -1, np.nan, np.nan


@njit(cache=True)
def signals_kernel(
    codes, conf, buy, sell, cvd, px, atr, poc, vah, val,
    min_confidence, min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance,
):  # fmt: skip
    """`bar_signal` over every bar: ``(side int8, reason int8, stop, target)`` arrays."""
    n = codes.shape[0]
    side = np.zeros(n, np.int8)
    reason = np.full(n, -1, np.int8)
    stop = np.full(n, np.nan)
    target = np.full(n, np.nan)
    for i in range(n):
        s, r, st, tg = bar_signal(
            codes[i], conf[i], buy[i], sell[i], cvd[i], px[i], atr[i], poc[i], vah[i], val[i],
            min_confidence, min_pressure, stop_atr, target_atr, balance_target_atr, allow_balance,
        )  # fmt: skip
        if s != 0:
            side[i] = s
            reason[i] = r
            stop[i] = st
            target[i] = tg
    return side, reason, stop, target


def state_codes(states: Any) -> np.ndarray:
    """Market states as int64 codes into `calculators.STATES`, -1 where missing.

    Accepts labels (``"BALANCE"``, ...; None or NaN = missing) or numbers
    (codes 0..2; NaN or -1 = missing).  An unknown label or code raises
    `InvalidInputError`.
    """
    values = np.asarray(states)
    if values.dtype.kind in "iuf":
        codes = np.where(np.isnan(values), -1, values) if values.dtype.kind == "f" else values
        bad = ~np.isin(codes, (-1, 0, 1, 2))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(f"state row {i}: {values[i]!r} is not a state code 0..2")
        return codes.astype(np.int64)
    codes = np.full(values.shape[0], -1, np.int64)
    objects = values.astype(object)
    for code, label in enumerate(STATES):
        codes[objects == label] = code
    unknown = codes < 0
    if unknown.any():
        missing = np.fromiter((_missing(v) for v in objects[unknown]), bool, int(unknown.sum()))
        if not missing.all():
            i = int(np.flatnonzero(unknown)[np.argmin(missing)])
            raise InvalidInputError(
                f"state row {i}: {objects[i]!r} is not one of {', '.join(STATES)}"
            )
    return codes


def _state_code(state: Any) -> int:
    if _missing(state):
        return -1
    if state in STATES:
        return STATES.index(state)
    raise InvalidInputError(f"market_state {state!r} is not one of {', '.join(STATES)}")


def _missing(value: Any) -> bool:
    return not isinstance(value, str) and bool(pd.isna(value))


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _floats(values: Any, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (n,):
        raise InvalidInputError(f"{name} has shape {out.shape}, expected ({n},)")
    return out
