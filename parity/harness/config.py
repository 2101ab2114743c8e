"""``parity.toml``: the harness's configuration, loaded, checked and frozen.

Every section is optional; an absent key takes the default documented in
docs/parity.md.  Unknown sections and keys are refused with a message naming
them (a typo must not silently disable a threshold)::

    [params]                      # calculators.Params keys (expert mode etc.)
    lookback_period = 60

    [schema]                      # where the live engine keeps its rows
    namespace = "public"
    [schema.market_state]
    table = "market_state"
    id_column = "id"              # "" when the table has no id column
    columns = { state = "state" } # this project's name -> stored name
    [schema.units]                # stored value * factor = this project's unit
    buy_pressure = 100.0          # e.g. pressures stored as 0..1
    [schema.states]               # stored label -> this project's label
    balanced = "BALANCE"

    [alignment]
    bar_offset_minutes = 1        # a row written at 10:01:03 describes bar 10:00

    [tolerance]                   # per metric, in its unit (parity/harness/metrics.py)
    poc = 2.0

    [gate.state]                  # thresholds: min_<statistic> / max_<statistic>
    min_match_rate = 0.6

    [ratchet]
    slack = 0.01                  # how much worse than the baseline a gated figure may get

    [[ignore]]                    # known, explained mismatches: counted as ignored
    metric = "state"
    symbol = "XRPETH"
    start = "2019-10-12T00:00Z"
    end = "2019-10-12T01:00Z"
    reason = "exchange outage"
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calculators import STATES, InvalidInputError, Params
from calculators.validate import BUY_VOLUME, CANDLE_COLUMNS
from parity.db.names import TableNames
from parity.db.tables import LIVE_COLUMNS
from parity.errors import ParityError
from parity.harness.metrics import METRICS

__all__ = ["Check", "HarnessConfig", "IgnoreRule", "LiveSchema", "load_config"]

#: Smallest and largest size (absolute value) of a ``[schema.units]`` factor: a
#: stored value times a factor outside this range is not a unit conversion.
UNIT_FACTOR_RANGE = (1e-9, 1e9)
_SCHEMA_TABLES = ("symbols", "candles", *LIVE_COLUMNS)
#: This project's column names of each table, the keys ``[schema.<table>] columns`` may map.
_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "symbols": ("id", "symbol", "tick_size"),
    "candles": ("symbol_id", "ts", *CANDLE_COLUMNS, BUY_VOLUME),
    **{table: ("id", "symbol_id", "ts", *columns) for table, columns in LIVE_COLUMNS.items()},
}
#: Statistics a gate threshold may name, per kind of metric (see parity/harness/compare.py).
PSEUDO_METRICS = {
    "coverage": ("share",),
    "value_area": ("mean_iou", "median_iou"),
    "true_flow": ("share",),
}
_STATISTICS = (
    "match_rate", "mean_error", "median_error", "p95_error", "max_error", "correlation",
    "kappa", "changes_matched_share", "median_abs_lag_minutes",
)  # fmt: skip


@dataclass(frozen=True)
class LiveSchema:
    """Names of the symbols, candles and live tables, unit factors and state labels."""

    tables: Mapping[str, TableNames]
    id_columns: Mapping[str, bool]
    units: Mapping[str, float]
    states: Mapping[str, str]

    def state_label(self, stored: str) -> str:
        """This project's label for a stored one; `ParityError` if unknown."""
        if stored in self.states:
            return self.states[stored]
        if stored in STATES:
            return stored
        raise ParityError(
            f"unknown state label {stored!r} in the live rows; map it under [schema.states]"
        )


@dataclass(frozen=True)
class Check:
    """One gate threshold: ``metric``'s ``statistic`` must be ``op`` ``threshold``."""

    metric: str
    statistic: str
    op: str  # "min" (value >= threshold) or "max" (value <= threshold)
    threshold: float

    @property
    def name(self) -> str:
        return f"{self.metric}.{self.op}_{self.statistic}"

    def passes(self, value: float | None) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return value >= self.threshold if self.op == "min" else value <= self.threshold


@dataclass(frozen=True)
class IgnoreRule:
    """A known mismatch: divergences it matches are counted as ignored."""

    reason: str
    metric: str | None = None
    symbol: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def mask(self, symbol: str, metric: str, minutes: pd.DatetimeIndex) -> np.ndarray:
        """Which of ``minutes`` (bars of ``metric`` on ``symbol``) the rule
        covers: a boolean array, vectorised over the minutes."""
        if (self.metric is not None and self.metric != metric) or (
            self.symbol is not None and self.symbol != symbol
        ):
            return np.zeros(len(minutes), bool)
        hit = np.ones(len(minutes), bool)
        if self.start is not None:
            hit &= minutes >= self.start
        if self.end is not None:
            hit &= minutes < self.end
        return hit


@dataclass(frozen=True)
class HarnessConfig:
    """The whole configuration; `load_config` builds it from a TOML file."""

    params: Params = field(default_factory=Params)
    schema: LiveSchema = field(default_factory=lambda: _schema({}))
    bar_offset_minutes: int = 1
    tolerance: Mapping[str, float] = field(
        default_factory=lambda: {name: m.tolerance for name, m in METRICS.items()}
    )
    checks: tuple[Check, ...] = ()
    ratchet_slack: float = 0.01
    ignore: tuple[IgnoreRule, ...] = ()
    source: str = "(defaults)"


def load_config(path: str | Path | None) -> HarnessConfig:
    """The configuration in ``path`` (TOML), or the defaults when None.

    Raises `ParityError` naming the file and the offending key.
    """
    if path is None:
        return HarnessConfig()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParityError(f"config file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParityError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParityError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ParityError(f"{path}: not a parity.toml: nested too deeply") from None
    try:
        return from_dict(raw, source=str(path))
    except ParityError as exc:
        raise ParityError(f"{path}: {exc}") from None


def from_dict(raw: Mapping[str, Any], source: str = "(dict)") -> HarnessConfig:
    """Build a `HarnessConfig` from the parsed TOML mapping."""
    _known(raw, ("params", "schema", "alignment", "tolerance", "gate", "ratchet", "ignore"), "")
    try:
        params = Params.from_dict(dict(_table(raw.get("params", {}), "params")))
    except InvalidInputError as exc:
        raise ParityError(f"[params] {exc}") from None
    alignment = raw.get("alignment", {})
    _known(alignment, ("bar_offset_minutes",), "alignment")
    offset = alignment.get("bar_offset_minutes", 1)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= 60:
        raise ParityError("[alignment] bar_offset_minutes must be a whole number 0..60")
    tolerance = {name: m.tolerance for name, m in METRICS.items()}
    for name, value in _table(raw.get("tolerance", {}), "tolerance").items():
        if name not in METRICS:
            raise ParityError(f"[tolerance] unknown metric {name!r} (known: {', '.join(METRICS)})")
        tolerance[name] = _number(value, f"[tolerance] {name}", minimum=0.0)
    ratchet = raw.get("ratchet", {})
    _known(ratchet, ("slack",), "ratchet")
    return HarnessConfig(
        params=params,
        schema=_schema(raw.get("schema", {})),
        bar_offset_minutes=offset,
        tolerance=tolerance,
        checks=_checks(_table(raw.get("gate", {}), "gate")),
        ratchet_slack=_number(ratchet.get("slack", 0.01), "[ratchet] slack", minimum=0.0),
        ignore=tuple(_ignore(rule, i) for i, rule in enumerate(_rules(raw.get("ignore", [])))),
        source=source,
    )


def _schema(raw: Mapping[str, Any]) -> LiveSchema:
    _known(raw, ("namespace", *_SCHEMA_TABLES, "units", "states"), "schema")
    namespace = _name(raw.get("namespace", ""), "[schema] namespace") or None
    tables: dict[str, TableNames] = {}
    ids: dict[str, bool] = {}
    for name in _SCHEMA_TABLES:
        section = raw.get(name, {})
        _known(section, ("table", "columns", "id_column"), f"schema.{name}")
        columns_raw = section.get("columns", {})
        _known(columns_raw, _TABLE_COLUMNS[name], f"schema.{name}.columns")
        columns = {
            str(k): _name(v, f"[schema.{name}.columns] {k}", empty=False)
            for k, v in columns_raw.items()
        }
        id_column = _name(section.get("id_column", "id"), f"[schema.{name}] id_column")
        if id_column:
            columns.setdefault("id", id_column)
        ids[name] = bool(id_column)
        table = _name(section.get("table", name), f"[schema.{name}] table", empty=False)
        tables[name] = TableNames(table, namespace, columns)
    units = {}
    for metric, factor in _table(raw.get("units", {}), "schema.units").items():
        if metric not in METRICS or METRICS[metric].kind == "label":
            raise ParityError(f"[schema.units] unknown numeric metric {metric!r}")
        units[metric] = _number(factor, f"[schema.units] {metric}")
        if not UNIT_FACTOR_RANGE[0] <= abs(units[metric]) <= UNIT_FACTOR_RANGE[1]:
            raise ParityError(
                f"[schema.units] {metric} = {factor!r} is not a plausible unit factor "
                f"(its size must be {UNIT_FACTOR_RANGE[0]:g}..{UNIT_FACTOR_RANGE[1]:g})"
            )
    states = {}
    for stored, ours in _table(raw.get("states", {}), "schema.states").items():
        if not isinstance(ours, str) or ours not in STATES:
            raise ParityError(
                f"[schema.states] {stored!r} maps to {ours!r}, not one of {', '.join(STATES)}"
            )
        states[str(stored)] = ours
    return LiveSchema(tables=tables, id_columns=ids, units=units, states=states)


def _checks(raw: Mapping[str, Any]) -> tuple[Check, ...]:
    checks = []
    for metric, limits in raw.items():
        if metric not in METRICS and metric not in PSEUDO_METRICS:
            known = ", ".join([*METRICS, *PSEUDO_METRICS])
            raise ParityError(f"[gate] unknown metric {metric!r} (known: {known})")
        if not isinstance(limits, Mapping):
            raise ParityError(f"[gate.{metric}] must be a table of min_/max_ thresholds")
        allowed = PSEUDO_METRICS.get(metric, _STATISTICS)
        for key, value in limits.items():
            op, _, statistic = key.partition("_")
            if op not in ("min", "max") or statistic not in allowed:
                raise ParityError(
                    f"[gate.{metric}] unknown threshold {key!r} "
                    f"(min_/max_ + one of {', '.join(allowed)})"
                )
            checks.append(Check(metric, statistic, op, _number(value, f"[gate.{metric}] {key}")))
    return tuple(checks)


def _ignore(rule: Any, i: int) -> IgnoreRule:
    where = f"[[ignore]] #{i + 1}"
    if not isinstance(rule, Mapping):
        raise ParityError(f"{where} must be a table")
    _known(rule, ("reason", "metric", "symbol", "start", "end"), "ignore")
    reason = _name(rule.get("reason", ""), f"{where} reason").strip()
    if not reason:
        raise ParityError(f"{where} needs a reason (a known mismatch must be explained)")
    metric = rule.get("metric")
    if metric is not None and (not isinstance(metric, str) or metric not in METRICS):
        raise ParityError(f"{where} unknown metric {metric!r}")
    symbol = rule.get("symbol")
    if symbol is not None:
        symbol = _name(symbol, f"{where} symbol", empty=False)
    return IgnoreRule(
        reason=reason,
        metric=metric,
        symbol=symbol,
        start=_time(rule.get("start"), f"{where} start"),
        end=_time(rule.get("end"), f"{where} end"),
    )


def _time(value: Any, where: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParityError(f"{where} {value!r} is not a time") from None
    if stamp.tzinfo is None:
        raise ParityError(f"{where} {value!r} has no timezone (use e.g. 2024-01-01T00:00Z)")
    return stamp.tz_convert("UTC")


def _number(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParityError(f"{where} must be a number, not {value!r}")
    if minimum is not None and value < minimum:
        raise ParityError(f"{where} must be >= {minimum}")
    return float(value)


def _table(section: Any, where: str) -> Mapping[str, Any]:
    """``section`` when it is a TOML table; `ParityError` naming ``[where]`` otherwise."""
    if not isinstance(section, Mapping):
        raise ParityError(f"[{where}] must be a table, not {section!r}")
    return section


def _rules(section: Any) -> list[Any]:
    """The ``[[ignore]]`` array of tables; `ParityError` when it is anything else."""
    if not isinstance(section, list):
        raise ParityError(f"ignore must be an array of tables ([[ignore]]), not {section!r}")
    return section


def _name(value: Any, where: str, empty: bool = True) -> str:
    """``value`` when it is a string (non-empty unless ``empty``); `ParityError` otherwise."""
    if not isinstance(value, str) or (not empty and not value):
        kind = "string" if empty else "non-empty string"
        raise ParityError(f"{where} must be a {kind}, not {value!r}")
    return value


def _known(section: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(section, Mapping):
        raise ParityError(f"[{where}] must be a table")
    unknown = sorted(set(section) - set(keys))
    if unknown:
        label = f"[{where}] " if where else ""
        raise ParityError(f"{label}unknown key {unknown[0]!r} (known: {', '.join(keys)})")
