"""The file ``parity calibrate --out`` writes: a ``[params]`` table that
``--params-file`` and ``parity.toml`` both accept.

Every field of the calibrated `Params` is written (the configuration's own
values for everything but the candle-side settings), so the file alone
reproduces the calibrated run; fields that are None (``row_size`` = auto)
are left out, which is their default.  Comments record where it came from.
"""

from __future__ import annotations

from parity.calibration.search import CalibrationResult
from parity.common.toml import comment_text, toml_value
from parity.io.outdir import FILE_SIGNATURE

__all__ = ["params_toml"]


def params_toml(result: CalibrationResult, command: str | None = None) -> str:
    """The TOML text of ``result``'s calibrated parameters, with comments."""
    held = result.figures["holdout"]
    lines = [
        f"{FILE_SIGNATURE}{comment_text(result.symbol)}; fit {result.fit[0].isoformat()} to "
        f"{result.fit[1].isoformat()}, held back {result.holdout[0].isoformat()} to "
        f"{result.holdout[1].isoformat()}",
    ]
    if command:
        lines.append(f"# command: {comment_text(command)}")
    lines += [
        "# calibrated (candle-side) settings: "
        + ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in sorted(result.changed.items())),
        "# every other parameter is the configuration's own (thresholds and strategy untouched)",
        f"# held-back objective mean(kappa, trade match): {held['baseline'].objective:.4f} "
        f"(configured) -> {held['calibrated'].objective:.4f} (calibrated)",
        "",
        "[params]",
    ]
    for name, value in result.calibrated.to_dict().items():
        if value is not None:
            lines.append(f"{name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"
