"""`Params`: every knob of the calculators and the strategy, typed, validated, frozen.

One object carries the expert-mode thresholds, the profile and order-flow model
choices and the backtest's execution settings, so a parameter set can be hashed,
logged and replayed as a whole.  Build it with keywords or with
``Params.from_dict(d)``, which rejects unknown keys and invalid values with a
message naming the key::

    >>> Params(poc_distance_threshold=2.5).poc_distance_threshold
    2.5
    >>> Params.from_dict({"lookback_period": "30"}).lookback_period
    30
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from calculators.errors import InvalidInputError

__all__ = ["FLOW_ESTIMATORS", "VALUE_AREA_RULES", "VOLUME_SPREADS", "Params", "as_params"]

#: How a candle's volume is spread over the profile rows its range covers.
VOLUME_SPREADS = ("close", "uniform", "typical", "path")
#: How the value area grows from the POC: one row or two rows at a time.
VALUE_AREA_RULES = ("single", "pair")
#: How a candle's volume is split into buy and sell volume.
FLOW_ESTIMATORS = ("clr", "tick", "bvc_normal", "bvc_t", "path", "tick_bvc")


@dataclass(frozen=True, slots=True)
class Params:
    """All parameters, with their units and defaults.

    Market state (the expert-mode thresholds):

    - ``poc_distance_threshold`` (percent of price, default 1.5): price closer
      than this to the POC, and inside the value area, is BALANCE.
    - ``momentum_threshold`` (percent, default 1.5): a price change over the
      lookback window at least this large is directional evidence.
    - ``cvd_pressure_threshold`` (percentage points, default 15): a buy-minus-sell
      pressure over the window at least this large is directional evidence.
    - ``lookback_period`` (minutes, default 60): the wall-clock window of the
      profile, the order flow, the momentum and the ATR.
    - ``allow_balance_trades`` (default False): the strategy may fade the value
      area's edges in BALANCE.

    Volume profile:

    - ``value_area_pct`` (percent, default 70): the share of the window's volume
      the value area holds.
    - ``value_area_rule`` (``"pair"`` default, or ``"single"``): grow the value
      area two rows at a time (CBOT/Dalton, as TradingView documents) or one.
    - ``row_size`` (price, default None): the height of a profile row.  None
      picks, per window, the largest power of ten not above one basis point of
      the window's last close (BTC at 40,000 -> 1.0; XRP/ETH at 0.0014 -> 1e-7).
    - ``volume_spread`` (``"path"`` default, ``"close"``, ``"uniform"``,
      ``"typical"``): how a candle's volume is laid over its rows; ``"path"``
      follows the bar's likely path open -> nearer extreme -> other extreme ->
      close (docs/calculators.md).

    Order flow (used only for bars without a true ``buy_volume``):

    - ``flow_estimator`` (``"path"`` default, ``"tick"``, ``"clr"``,
      ``"bvc_normal"``, ``"bvc_t"``, ``"tick_bvc"``): how a candle's buy
      volume is estimated.  The defaults of the estimator and the spread were
      chosen by state kappa and trade match against the tick-exact path on
      every data set measured (docs/accuracy.md, ``scripts/fidelity.py``).
    - ``bvc_df`` (degrees of freedom, default 0.25): of the Student-t CDF of
      ``"bvc_t"``.
    - ``flow_gain`` (default 1.0, range (0, 100]): pushes every estimated buy
      share away from 50/50: ``0.5 + flow_gain * (share - 0.5)``, clipped to
      0..1 (1 = unchanged).  Markets whose bars are more one-sided than the
      estimator says (thin markets) want > 1; a knob for ``parity calibrate``.
    - ``cvd_momentum_buckets`` (1-minute buckets, default 5): CVD momentum is the
      change of cumulative delta over this many buckets.

    ATR: ``atr_period`` (bars, default 14), Wilder's smoothing.

    Strategy and execution (used by the backtest engine only):

    - ``min_confidence`` (points 0..100, default 60): no entry below it.
    - ``min_pressure`` (percent, default 55): the entry side's pressure must
      reach it (buy pressure for longs, sell pressure for shorts).
    - ``stop_atr`` / ``target_atr`` (ATR multiples, defaults 1.5 / 3.0): the
      stop and target distances from the entry price.
    - ``balance_target_atr`` (ATR multiple, default 0.0): in a balance fade the
      target is the POC; this moves it that many ATRs short of it (0 = the POC).
    - ``max_holding_minutes`` (minutes, default 120): a position still open
      after this long is closed at the next bar's open.
    - ``commission_bps`` (basis points of notional per side, default 4.0).
    - ``slippage_bps`` (basis points of price per fill, against the trader,
      default 1.0).
    - ``initial_capital`` (quote currency, default 10,000) and
      ``position_fraction`` (share of equity per trade, default 1.0).
    """

    poc_distance_threshold: float = 1.5
    momentum_threshold: float = 1.5
    cvd_pressure_threshold: float = 15.0
    lookback_period: int = 60
    allow_balance_trades: bool = False

    value_area_pct: float = 70.0
    value_area_rule: str = "pair"
    row_size: float | None = None
    volume_spread: str = "path"

    flow_estimator: str = "path"
    bvc_df: float = 0.25
    flow_gain: float = 1.0
    cvd_momentum_buckets: int = 5

    atr_period: int = 14

    min_confidence: float = 60.0
    min_pressure: float = 55.0
    stop_atr: float = 1.5
    target_atr: float = 3.0
    balance_target_atr: float = 0.0
    max_holding_minutes: int = 120
    commission_bps: float = 4.0
    slippage_bps: float = 1.0
    initial_capital: float = 10_000.0
    position_fraction: float = 1.0

    #: The parameters the desk's web UI calls "expert mode".
    EXPERT_MODE: ClassVar[tuple[str, ...]] = (
        "poc_distance_threshold",
        "momentum_threshold",
        "cvd_pressure_threshold",
        "lookback_period",
        "allow_balance_trades",
    )
    #: The strategy's entry rules and the execution settings: used by the
    #: backtest engine only, never by the calculators.
    STRATEGY: ClassVar[tuple[str, ...]] = (
        "min_confidence",
        "min_pressure",
        "stop_atr",
        "target_atr",
        "balance_target_atr",
        "max_holding_minutes",
        "commission_bps",
        "slippage_bps",
        "initial_capital",
        "position_fraction",
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, f.type, getattr(self, f.name)))
        _check_ranges(self)
        _check_magnitudes(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> Params:
        """Build from a mapping; unknown keys and invalid values raise
        `InvalidInputError` naming the key.  Strings are parsed ("1.5", "true")
        so values can come straight from a command line or a web form."""
        if values is not None and not isinstance(values, Mapping):
            raise InvalidInputError(
                f"parameters must be a mapping of names to values, not {type(values).__name__}"
            )
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown parameter {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """All parameters as a plain dict, in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes: Any) -> Params:
        """A copy with some parameters changed (validated like the constructor)."""
        return Params.from_dict({**self.to_dict(), **changes})

    def digest(self) -> str:
        """A short stable hash of the parameter set (12 hex digits of SHA-256
        over the sorted JSON), for reports and reproduction commands."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


_CHOICES: dict[str, tuple[str, ...]] = {
    "value_area_rule": VALUE_AREA_RULES,
    "volume_spread": VOLUME_SPREADS,
    "flow_estimator": FLOW_ESTIMATORS,
}


def _coerce(name: str, annotation: Any, value: Any) -> Any:
    """Turn ``value`` into the declared type of field ``name`` or raise."""
    kind = str(annotation)
    if value is None:
        if "None" in kind:
            return None
        raise InvalidInputError(f"parameter {name!r} must not be empty")
    if isinstance(value, str):
        text = value.strip()
        if "None" in kind and text.lower() in ("", "none", "null", "auto"):
            return None
        value = text
    try:
        if kind.startswith("bool"):
            return _to_bool(value)
        if kind.startswith("int"):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind.startswith("float"):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind.startswith("str"):
            if not isinstance(value, str):
                raise ValueError
            return value
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"parameter {name!r}: {value!r} is not a valid {kind.split(' ')[0]}"
        ) from None
    raise InvalidInputError(f"parameter {name!r}: unsupported type {kind}")  # pragma: no cover


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValueError


def _check_ranges(p: Params) -> None:
    def need(ok: bool, name: str, rule: str) -> None:
        if not ok:
            raise InvalidInputError(f"parameter {name!r} = {getattr(p, name)!r}: {rule}")

    for name in ("poc_distance_threshold", "momentum_threshold", "cvd_pressure_threshold"):
        need(getattr(p, name) > 0, name, "must be > 0")
    need(p.cvd_pressure_threshold <= 200, "cvd_pressure_threshold", "must be <= 200 points")
    need(1 <= p.lookback_period <= 10_080, "lookback_period", "must be 1..10080 minutes")
    need(0 < p.value_area_pct <= 100, "value_area_pct", "must be in (0, 100]")
    need(p.row_size is None or p.row_size > 0, "row_size", "must be > 0 or None (auto)")
    need(p.bvc_df > 0, "bvc_df", "must be > 0")
    need(0 < p.flow_gain <= 100, "flow_gain", "must be in (0, 100]")
    need(1 <= p.cvd_momentum_buckets <= 10_080, "cvd_momentum_buckets", "must be 1..10080")
    need(1 <= p.atr_period <= 1_000, "atr_period", "must be 1..1000 bars")
    for name, choices in _CHOICES.items():
        need(getattr(p, name) in choices, name, f"must be one of {', '.join(choices)}")
    need(0 <= p.min_confidence <= 100, "min_confidence", "must be in 0..100")
    need(0 <= p.min_pressure <= 100, "min_pressure", "must be in 0..100")
    need(p.stop_atr > 0, "stop_atr", "must be > 0")
    need(p.target_atr > 0, "target_atr", "must be > 0")
    need(p.balance_target_atr >= 0, "balance_target_atr", "must be >= 0")
    need(p.max_holding_minutes >= 1, "max_holding_minutes", "must be >= 1")
    need(p.commission_bps >= 0, "commission_bps", "must be >= 0")
    need(p.slippage_bps >= 0, "slippage_bps", "must be >= 0")
    need(p.initial_capital > 0, "initial_capital", "must be > 0")
    need(0 < p.position_fraction <= 1, "position_fraction", "must be in (0, 1]")


#: Upper bounds that keep every parameter's arithmetic finite and inside int64
#: (minutes become nanoseconds in the kernels: 10,000,000 minutes is 19 years).
_MAGNITUDES: dict[str, float] = {
    "max_holding_minutes": 10_000_000,
    "poc_distance_threshold": 1e6,
    "momentum_threshold": 1e6,
    "bvc_df": 1e6,
    "stop_atr": 1e6,
    "target_atr": 1e6,
    "balance_target_atr": 1e6,
    "commission_bps": 10_000,
    "slippage_bps": 10_000,
    "initial_capital": 1e15,
}


def _check_magnitudes(p: Params) -> None:
    """Refuse magnitudes that would overflow (an integer in the kernels, or to
    an infinite equity), naming the key: see `_MAGNITUDES`."""
    for name, limit in _MAGNITUDES.items():
        value = getattr(p, name, None)
        if value is not None and value > limit:
            raise InvalidInputError(f"parameter {name!r} = {value!r}: must be <= {limit:g}")


def as_params(params: Params | Mapping[str, Any] | None) -> Params:
    """``params`` as `Params`: itself, the defaults for None, or `Params.from_dict`
    of a mapping; anything else raises `InvalidInputError`."""
    if params is None:
        return Params()
    if isinstance(params, Params):
        return params
    if isinstance(params, Mapping):
        return Params.from_dict(params)
    raise InvalidInputError(
        f"params must be a Params or a mapping of names to values, not {type(params).__name__}"
    )
