"""The candle-side estimation settings: how candles are turned into estimates.

These `calculators.Params` fields decide how a candle's volume is split into
buy and sell volume and laid over the profile rows; they are not the user's
strategy (the expert-mode thresholds, the lookback, the entry and exit rules),
and a live engine that sees every trade does not need them.  ``parity
calibrate`` searches exactly these settings (over ``candidates``) and reports
show them.

**THE LIST**: a new knob of `calculators.Params` that changes how candles are
estimated goes into `ESTIMATION_SETTINGS` (with the values ``parity calibrate``
should try); every other field belongs to `NOT_ESTIMATION`.
``tests/unit/test_calibration.py`` fails until each field of `Params` is in
exactly one of the two.  A listed name that `Params` does not have (yet) is
skipped, so the list may run ahead of the calculators.  Choice settings take
their candidates from the calculators' own tuples, so a new estimator or
spread model is searched without touching this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from calculators.params import FLOW_ESTIMATORS, VALUE_AREA_RULES, VOLUME_SPREADS, Params

__all__ = [
    "ESTIMATION_SETTINGS",
    "NOT_ESTIMATION",
    "Setting",
    "estimation_settings",
    "settings_of",
]


@dataclass(frozen=True)
class Setting:
    """One candle-side setting: its `Params` field, the values calibration tries,
    and when it matters (``only_when``: other fields' values it is used with;
    empty = always)."""

    name: str
    candidates: tuple[Any, ...]
    only_when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether the setting matters for a combination of ``values``."""
        return all(values.get(k) in allowed for k, allowed in self.only_when.items())


#: The candle-side estimation settings, in search order (see the module docstring).
ESTIMATION_SETTINGS: tuple[Setting, ...] = (
    Setting("flow_estimator", FLOW_ESTIMATORS),
    Setting("bvc_df", (0.25, 1.0, 4.0), only_when={"flow_estimator": ("bvc_t",)}),
    Setting("flow_gain", (1.0, 1.5, 2.0)),
    Setting("volume_spread", VOLUME_SPREADS),
    Setting("value_area_rule", VALUE_AREA_RULES),
)

#: Every other `Params` field: the expert-mode thresholds and the strategy and
#: execution settings (the user's strategy), and the definitions the live
#: engine shares with the candle path (window, value-area share, row size,
#: CVD momentum buckets, ATR period).  Calibration never changes them.
NOT_ESTIMATION: tuple[str, ...] = (
    *Params.EXPERT_MODE,
    "value_area_pct",
    "row_size",
    "cvd_momentum_buckets",
    "atr_period",
    *Params.STRATEGY,
)


def estimation_settings() -> tuple[Setting, ...]:
    """The listed settings that `Params` has."""
    known = {f.name for f in fields(Params)}
    return tuple(s for s in ESTIMATION_SETTINGS if s.name in known)


def settings_of(params: Params) -> dict[str, Any]:
    """The candle-side estimation settings of ``params``, by name (for reports)."""
    return {s.name: getattr(params, s.name) for s in estimation_settings()}
