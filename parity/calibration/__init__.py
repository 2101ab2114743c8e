"""``parity calibrate``: fit the candle-side estimation settings to a symbol's live rows.

- `search`: the chronological split, the grid over
  `parity.common.estimation.ESTIMATION_SETTINGS`, the objective and the
  held-back judgement (`calibrate_symbol`, `calibrate_data`);
- `output`: the ``[params]`` TOML the command writes (`params_toml`).

The library reads through the harness's read-only source
(`parity.harness.source.load_symbol`) and never imports ``parity.cli``.
"""

from parity.calibration.output import params_toml
from parity.calibration.search import (
    MIN_PART_MINUTES,
    CalibrationOptions,
    CalibrationResult,
    Figures,
    calibrate_data,
    calibrate_symbol,
    candidates,
)

__all__ = [
    "MIN_PART_MINUTES",
    "CalibrationOptions",
    "CalibrationResult",
    "Figures",
    "calibrate_data",
    "calibrate_symbol",
    "candidates",
    "params_toml",
]
