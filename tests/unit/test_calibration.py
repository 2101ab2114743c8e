"""The calibration's pieces that need no database: the search space, the
candidates, the TOML it writes, and the trade matching it scores with."""

from __future__ import annotations

import tomllib
from dataclasses import fields

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calculators import Params
from calculators.params import FLOW_ESTIMATORS, VALUE_AREA_RULES, VOLUME_SPREADS
from parity.calibration import CalibrationOptions, CalibrationResult, Figures, candidates
from parity.calibration.output import params_toml
from parity.common.estimation import (
    ESTIMATION_SETTINGS,
    NOT_ESTIMATION,
    Setting,
    estimation_settings,
    settings_of,
)
from parity.common.trades import match_trades
from parity.errors import ParityError
from parity.harness.config import from_dict


def test_every_params_field_is_classified_exactly_once() -> None:
    """A new `Params` knob must be listed: searched by calibrate, or never touched."""
    names = [f.name for f in fields(Params)]
    searched = [s.name for s in estimation_settings()]
    assert sorted(searched + list(NOT_ESTIMATION)) == sorted(names)
    assert set(Params.EXPERT_MODE) <= set(NOT_ESTIMATION)


def test_choice_settings_search_every_choice_the_calculators_know() -> None:
    by_name = {s.name: s for s in ESTIMATION_SETTINGS}
    assert by_name["flow_estimator"].candidates == FLOW_ESTIMATORS
    assert by_name["volume_spread"].candidates == VOLUME_SPREADS
    assert by_name["value_area_rule"].candidates == VALUE_AREA_RULES
    for setting in estimation_settings():  # every candidate is a valid value
        for value in setting.candidates:
            Params().replace(**{setting.name: value})


def test_candidates_vary_a_setting_only_where_it_applies() -> None:
    space = (
        Setting("flow_estimator", ("clr", "tick", "bvc_t")),
        Setting("bvc_df", (0.25, 1.0, 4.0), only_when={"flow_estimator": ("bvc_t",)}),
        Setting("volume_spread", ("close", "uniform")),
    )
    base = Params(
        flow_estimator="tick", bvc_df=2.0, volume_spread="close", poc_distance_threshold=2.0
    )
    found = candidates(base, space)
    assert found[0] == base  # the baseline first (ties go to it)
    # clr, tick: 1 each; bvc_t: 3 dfs -> 5 flow variants x 2 spreads, plus the baseline's df 2.0
    keys = {(p.flow_estimator, p.bvc_df, p.volume_spread) for p in found}
    assert len(keys) == len(found)
    assert keys == {
        ("tick", 2.0, "close"),
        *((f, 2.0, v) for f in ("clr", "tick") for v in ("close", "uniform")),
        *(("bvc_t", d, v) for d in (0.25, 1.0, 4.0) for v in ("close", "uniform")),
    }
    assert all(p.poc_distance_threshold == 2.0 for p in found)  # never the strategy


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.4"])
def test_holdout_fraction_must_be_strictly_between_0_and_1(fraction) -> None:
    with pytest.raises(ParityError, match="holdout-fraction"):
        CalibrationOptions(holdout_fraction=fraction)


def _figures(objective: float) -> Figures:
    return Figures(0.8, 0.5, 0.4, 7.0, 10, 12, 5, objective)


def _result(base: Params, calibrated: Params, held: tuple[float, float]) -> CalibrationResult:
    t = pd.Timestamp("2025-01-01T00:00Z")
    return CalibrationResult(
        symbol="X",
        fit=(t, t + pd.Timedelta(hours=15)),
        holdout=(t + pd.Timedelta(hours=15), t + pd.Timedelta(hours=25)),
        fit_minutes=900,
        holdout_minutes=600,
        baseline=base,
        calibrated=calibrated,
        figures={
            "fit": {"baseline": _figures(0.3), "calibrated": _figures(0.4)},
            "holdout": {"baseline": _figures(held[0]), "calibrated": _figures(held[1])},
        },
        candidates=36,
        seconds=1.0,
    )


def test_improved_needs_a_change_and_a_strictly_better_held_back_objective() -> None:
    base = Params(poc_distance_threshold=2.0)
    other = base.replace(flow_estimator="tick")
    assert _result(base, other, (0.4, 0.5)).improved
    assert not _result(base, other, (0.5, 0.5)).improved
    assert not _result(base, other, (0.5, 0.4)).improved
    assert not _result(base, base, (0.4, 0.5)).improved
    assert _result(base, other, (0.4, 0.5)).changed == {
        "flow_estimator": (base.flow_estimator, "tick")
    }


def test_the_written_toml_is_accepted_by_params_files_and_parity_toml() -> None:
    base = Params(
        poc_distance_threshold=2.5, allow_balance_trades=True, lookback_period=30, row_size=None
    )
    calibrated = base.replace(flow_estimator="tick", volume_spread="typical")
    text = params_toml(_result(base, calibrated, (0.4, 0.5)), "parity calibrate --symbol X")
    parsed = tomllib.loads(text)
    assert set(parsed) == {"params"}
    assert Params.from_dict(parsed["params"]) == calibrated
    assert from_dict(parsed).params == calibrated
    assert "row_size" not in parsed["params"]  # None (auto) is the default
    assert f"flow_estimator {base.flow_estimator!r} -> 'tick'" in text
    assert settings_of(calibrated)["volume_spread"] == "typical"


# ----------------------------------------------------------------------------- trade matching


def _brute_force(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[int, int]]:
    """Every pair within one bar with the same side, nearest first, greedily."""
    pairs = sorted(
        (abs((eb - ea).value), i, j)
        for i, (sa, ea) in enumerate(zip(a["side"], a["entry_time"], strict=True))
        for j, (sb, eb) in enumerate(zip(b["side"], b["entry_time"], strict=True))
        if sa == sb and abs((eb - ea).value) <= 60 * 10**9
    )
    used_a, used_b, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j))
    return sorted(out)


trades = st.lists(
    st.tuples(st.sampled_from(["long", "short"]), st.integers(0, 40 * 60)), max_size=25
)


def _frame(rows) -> pd.DataFrame:
    t0 = pd.Timestamp("2025-01-01T00:00Z")
    return pd.DataFrame(
        {
            "side": [s for s, _ in rows],
            "entry_time": [t0 + pd.Timedelta(seconds=30 * k) for _, k in rows],
        },
        index=pd.RangeIndex(len(rows)) + 100,  # labels are not positions
    )


@given(trades, trades)
def test_match_trades_equals_the_brute_force_definition(a, b) -> None:
    fa, fb = _frame(a), _frame(b)
    assert match_trades(fa, fb) == _brute_force(fa, fb)


def test_match_trades_by_hand() -> None:
    t0 = pd.Timestamp("2025-01-01T00:00Z")
    m = pd.Timedelta(minutes=1)
    a = pd.DataFrame(
        {"side": ["long", "long", "short"], "entry_time": [t0, t0 + 5 * m, t0 + 9 * m]}
    )
    b = pd.DataFrame(
        {
            "side": ["long", "short", "long", "long"],
            "entry_time": [t0 + m, t0 + 9 * m, t0 + 7 * m, t0 + 4 * m],
        }
    )
    # a0-b0 (1 min), a1-b3 (1 min; b2 is 2 min away), a2-b1 (same minute)
    assert match_trades(a, b) == [(0, 0), (1, 3), (2, 1)]
